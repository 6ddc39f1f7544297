package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

	fastjson "github.com/goccy/go-json"

	"github.com/cofferhq/coffer"
)

// MaxJSONDepth is the deepest nesting of objects and arrays DecodeJSON
// accepts. Coffer's requests nest three or four levels; the cap stops a
// small body from costing deep recursion.
const MaxJSONDepth = 32

// maxDecodeBytes is a last line of defence for a request that escaped the
// MaxBytes middleware; the real, per-route limit is set there.
const maxDecodeBytes = 16 << 20

// DecodeJSON decodes the single JSON value in r's body into dst. Every
// failure is a *coffer.Error whose message can be shown to the client:
//
//   - EINVALID when Content-Type is not application/json. A 415 status would
//     be more precise, but every error goes through the one code→status table
//     and clients match on the code; the message says what to send.
//   - EINVALID for an empty body, invalid JSON, nesting deeper than
//     MaxJSONDepth, an unknown field, a value of the wrong type (naming the
//     field), or data after the value.
//   - ETOOLARGE when the body is over the limit set by MaxBytes.
func DecodeJSON(r *http.Request, dst any) error {
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxDecodeBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return coffer.Errorf(coffer.ETOOLARGE, "The request body must not exceed %d bytes.", mbe.Limit)
		}
		return coffer.Errorf(coffer.EINVALID, "The request body could not be read.")
	}
	if len(body) > maxDecodeBytes {
		return coffer.Errorf(coffer.ETOOLARGE, "The request body must not exceed %d bytes.", maxDecodeBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return coffer.Errorf(coffer.EINVALID, "The request body must not be empty.")
	}
	if jsonDepth(body) > MaxJSONDepth {
		return coffer.Errorf(coffer.EINVALID, "The request body nests deeper than %d levels.", MaxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return coffer.Errorf(coffer.EINVALID, "The request body must contain a single JSON value.")
	}
	return nil
}

func checkJSONContentType(ct string) error {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return coffer.Errorf(coffer.EINVALID, "The request body must be JSON, sent with Content-Type: application/json.")
	}
	return nil
}

// jsonDepth returns the deepest nesting of objects and arrays in b. It is a
// byte scan that skips strings, cheaper than a token scan; malformed input
// is left to the decoder to report.
func jsonDepth(b []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// decodeError turns an encoding/json error into a message for people.
func decodeError(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return coffer.Errorf(coffer.ETOOLARGE, "The request body must not exceed %d bytes.", mbe.Limit)
	case errors.As(err, &syntaxErr):
		return coffer.Errorf(coffer.EINVALID, "The request body is not valid JSON (at byte %d).", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return coffer.Errorf(coffer.EINVALID, "The request body is truncated JSON.")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return coffer.Errorf(coffer.EINVALID, "The request body must be a JSON %s.", jsonKind(typeErr.Type))
		}
		return coffer.Errorf(coffer.EINVALID, "field %q must be %s", typeErr.Field, withArticle(jsonKind(typeErr.Type)))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no type for this error; the field is quoted in it.
		return coffer.Errorf(coffer.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return coffer.Errorf(coffer.EINVALID, "The request body could not be decoded.")
}

// jsonKind names the JSON type a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "value"
}

func withArticle(kind string) string {
	switch kind {
	case "array", "object", "integer":
		return "an " + kind
	}
	return "a " + kind
}

// bodies recycles response buffers: a bulk read writes a few kilobytes on
// every request. A buffer is wiped before it goes back, since answers
// carry secret values and tokens.
var bodies = sync.Pool{New: func() any { return new([]byte) }}

// WriteBody answers status with the body fill appends to the buffer it is
// given, in one write with its Content-Length (no chunked framing). The
// buffer is pooled and wiped once written; fill returning an error writes
// nothing.
func WriteBody(w http.ResponseWriter, status int, contentType string, fill func([]byte) ([]byte, error)) error {
	bp := bodies.Get().(*[]byte)
	body, err := fill((*bp)[:0])
	defer func() {
		clear(body)
		if cap(body) <= 1<<20 { // let a rare huge answer go to the collector
			*bp = body[:0]
			bodies.Put(bp)
		}
	}()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// WriteJSON writes v as a JSON response with the given status, through
// WriteBody. It encodes with goccy/go-json, which produces what
// encoding/json would (every response is checked against the contract in
// the tests) about five times faster. Requests are still decoded by
// encoding/json, for its strictness.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	return WriteBody(w, status, "application/json", func(b []byte) ([]byte, error) {
		out := appender{b}
		if err := fastjson.NewEncoder(&out).Encode(v); err != nil {
			return out.b, fmt.Errorf("encode response: %w", err)
		}
		return out.b, nil
	})
}

// appender is an io.Writer onto a byte slice. The encoder writes its whole
// output at once, so growing the slice never leaves a copy of the answer
// behind.
type appender struct{ b []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}
