package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
)

type decodeTarget struct {
	Key     string            `json:"key"`
	Version int               `json:"version"`
	Ratio   float64           `json:"ratio"`
	Tags    []string          `json:"tags"`
	Meta    map[string]string `json:"meta"`
	Nested  struct {
		Flag bool `json:"flag"`
	} `json:"nested"`
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", 33) + strings.Repeat("]", 33)
	okDeep := `{"meta":{"a":"` + strings.Repeat("[", 100) + `"}}` // brackets inside a string do not nest
	tests := []struct {
		name        string
		contentType string
		body        string
		limit       int64
		code        string
		msg         string
	}{
		{"OK", "application/json", `{"key":"DB_URL","version":2,"tags":["a"],"nested":{"flag":true}}`, 0, "", ""},
		{"OKWithCharset", "application/json; charset=utf-8", `{"key":"A"}`, 0, "", ""},
		{"OKBracketsInString", "application/json", okDeep, 0, "", ""},
		{"OKTrailingWhitespace", "application/json", "{}\n\t ", 0, "", ""},
		{"WrongContentType", "text/plain", `{}`, 0, coffer.EINVALID, "Content-Type: application/json"},
		{"MissingContentType", "", `{}`, 0, coffer.EINVALID, "Content-Type"},
		{"EmptyBody", "application/json", "", 0, coffer.EINVALID, "must not be empty"},
		{"WhitespaceBody", "application/json", "  \n", 0, coffer.EINVALID, "must not be empty"},
		{"Syntax", "application/json", `{"key":}`, 0, coffer.EINVALID, "not valid JSON"},
		{"Truncated", "application/json", `{"key":"a"`, 0, coffer.EINVALID, "truncated"},
		{"UnknownField", "application/json", `{"key":"a","admin":true}`, 0, coffer.EINVALID, `unknown field "admin"`},
		{"WrongTypeString", "application/json", `{"key":5}`, 0, coffer.EINVALID, `field "key" must be a string`},
		{"WrongTypeInteger", "application/json", `{"version":"2"}`, 0, coffer.EINVALID, `field "version" must be an integer`},
		{"WrongTypeNumber", "application/json", `{"ratio":true}`, 0, coffer.EINVALID, `field "ratio" must be a number`},
		{"WrongTypeArray", "application/json", `{"tags":"a"}`, 0, coffer.EINVALID, `field "tags" must be an array`},
		{"WrongTypeObject", "application/json", `{"meta":[]}`, 0, coffer.EINVALID, `field "meta" must be an object`},
		{"WrongTypeNested", "application/json", `{"nested":{"flag":"yes"}}`, 0, coffer.EINVALID, `field "nested.flag" must be a boolean`},
		{"WrongTopLevel", "application/json", `[1]`, 0, coffer.EINVALID, "must be a JSON object"},
		{"TrailingData", "application/json", `{} {}`, 0, coffer.EINVALID, "single JSON value"},
		{"TrailingGarbage", "application/json", `{}x`, 0, coffer.EINVALID, "single JSON value"},
		{"TooDeep", "application/json", `{"meta":` + deep + `}`, 0, coffer.EINVALID, "deeper than 32"},
		{"TooLarge", "application/json", `{"key":"` + strings.Repeat("a", 100) + `"}`, 50, coffer.ETOOLARGE, "50 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var err error
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var dst decodeTarget
				err = DecodeJSON(r, &dst)
			})
			var handler http.Handler = h
			if tt.limit > 0 {
				handler = MaxBytes(tt.limit)(h)
			}
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			handler.ServeHTTP(httptest.NewRecorder(), r)
			if got := coffer.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
			if tt.code != "" && !strings.Contains(coffer.ErrorMessage(err), tt.msg) {
				t.Fatalf("message = %q, want it to contain %q", coffer.ErrorMessage(err), tt.msg)
			}
		})
	}
}

func TestDecodeJSONUnreadableBody(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "/", errReader{})
	r.Header.Set("Content-Type", "application/json")
	var v struct{}
	if err := DecodeJSON(r, &v); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Fatalf("err = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, http.ErrBodyReadAfterClose }

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, http.StatusCreated, map[string]int{"revision": 3}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 201 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != "{\"revision\":3}\n" {
		t.Fatalf("got %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if err := WriteJSON(httptest.NewRecorder(), 200, func() {}); err == nil {
		t.Fatal("unencodable value: no error")
	}
}
