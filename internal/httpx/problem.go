package httpx

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
)

// ProblemTypeBase prefixes the code of a problem to form its type URI.
const ProblemTypeBase = "https://coffer.dev/problems/"

// statusByCode is the one table from error code to HTTP status.
var statusByCode = map[string]int{
	coffer.EINVALID:      http.StatusBadRequest,
	coffer.EUNAUTHORIZED: http.StatusUnauthorized,
	coffer.EFORBIDDEN:    http.StatusForbidden,
	coffer.ENOTFOUND:     http.StatusNotFound,
	coffer.ECONFLICT:     http.StatusConflict,
	coffer.EPRECONDITION: http.StatusPreconditionFailed,
	coffer.EMETHOD:       http.StatusMethodNotAllowed,
	coffer.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	coffer.ERATELIMITED:  http.StatusTooManyRequests,
	coffer.EUNAVAILABLE:  http.StatusServiceUnavailable,
	coffer.EINTERNAL:     http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for an error code; unknown codes are 500.
func StatusOf(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem details body, extended with Coffer's
// stable error code, the request id and per-field validation errors.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Code      string       `json:"code"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError is one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FieldErrors collects validation failures so that a client learns of every
// invalid field at once. It is an EINVALID error: it unwraps to a
// *coffer.Error, so coffer.ErrorCode works on it, and Error lists the fields
// in the problem's "errors" array.
type FieldErrors struct {
	List []FieldError
}

// Add records that field is invalid for the reason in message.
func (f *FieldErrors) Add(field, message string) {
	f.List = append(f.List, FieldError{Field: field, Message: message})
}

// Err returns f as an error, or nil when no field was added, so that
// validation ends with `return errs.Err()`.
func (f *FieldErrors) Err() error {
	if len(f.List) == 0 {
		return nil
	}
	return f
}

// Error implements error; the text is safe to show.
func (f *FieldErrors) Error() string {
	msgs := make([]string, len(f.List))
	for i, e := range f.List {
		msgs[i] = e.Field + ": " + e.Message
	}
	return "invalid fields: " + strings.Join(msgs, "; ")
}

// Unwrap returns f as a *coffer.Error with code EINVALID.
func (f *FieldErrors) Unwrap() error {
	return &coffer.Error{Code: coffer.EINVALID, Message: "The request has invalid fields."}
}

// WriteProblem writes an application/problem+json response with the given
// status, code and human detail, and the request id.
func WriteProblem(w http.ResponseWriter, r *http.Request, status int, code, detail string) {
	writeProblem(w, r, Problem{Status: status, Code: code, Detail: detail})
}

// RetryAfterError is an error that knows when the caller may try again;
// Error sends that as Retry-After.
type RetryAfterError interface {
	error
	RetryAfter() time.Duration
}

// Error writes err as a problem. The status comes from the error's code
// through the one table; the detail is coffer.ErrorMessage, so an internal
// error shows a generic message while its text is logged here — once, with
// the request id — and passed to the request's ErrorReporter, if any.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	code := coffer.ErrorCode(err)
	if code == "" { // a nil error is a bug at the call site, not a success
		code = coffer.EINTERNAL
	}
	p := Problem{Status: StatusOf(code), Code: code, Detail: coffer.ErrorMessage(err)}
	if code == coffer.EINTERNAL {
		// Even a *coffer.Error with code internal may carry a detail meant
		// for the log; the client gets the generic message.
		p.Detail = coffer.ErrorMessage(errors.New(code))
	}
	var fe *FieldErrors
	if errors.As(err, &fe) {
		p.Errors = fe.List
	}
	var ra RetryAfterError
	if errors.As(err, &ra) {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, ceilSeconds(ra.RetryAfter()))))
	}
	switch code {
	case coffer.EINTERNAL:
		// Inside the handler Info.Route is not set yet (Routes records it
		// on the way out); the reporter reads it from the context.
		info := InfoFrom(r.Context())
		if info.Route == "" {
			info.Route = r.Pattern
		}
		Logger(r.Context()).LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("method", r.Method), slog.String("route", RouteOf(r)), slog.Any("error", err))
		reportError(r.Context(), err)
	case coffer.EUNAVAILABLE:
		Logger(r.Context()).LogAttrs(r.Context(), slog.LevelWarn, "dependency unavailable",
			slog.String("method", r.Method), slog.String("route", RouteOf(r)), slog.Any("error", err))
	}
	writeProblem(w, r, p)
}

func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	p.Type = ProblemTypeBase + p.Code
	p.Title = http.StatusText(p.Status)
	p.RequestID = RequestIDFrom(r.Context())
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Content-Encoding")
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p) // the client went away; nothing to do
}
