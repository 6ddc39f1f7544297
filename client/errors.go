package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/cofferhq/coffer/api"
)

// Error is a non-2xx answer of the server, read from its problem document
// (RFC 9457). Code is one of the stable codes of api.ErrorCode; match on it
// (HasCode), not on Detail, which is written for people.
type Error struct {
	Status    int              // HTTP status
	Code      string           // e.g. "not_found"
	Detail    string           // human explanation
	RequestID string           // quote it when reporting a problem
	Fields    []api.FieldError // the invalid fields, for some "invalid" answers
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := fmt.Sprintf("coffer: %d %s: %s", e.Status, e.Code, e.Detail)
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// HasCode reports whether err is, or wraps, an *Error with the given code.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// IsNotFound reports whether err says the object is missing or not visible
// to the caller (the server answers both alike).
func IsNotFound(err error) bool { return HasCode(err, string(api.ErrorCodeNotFound)) }

// IsConflict reports whether err says the change clashes with existing state.
func IsConflict(err error) bool { return HasCode(err, string(api.ErrorCodeConflict)) }

// IsUnauthorized reports whether err says the credentials are missing,
// expired or revoked.
func IsUnauthorized(err error) bool { return HasCode(err, string(api.ErrorCodeUnauthorized)) }

// IsForbidden reports whether err says the caller may not do this.
func IsForbidden(err error) bool { return HasCode(err, string(api.ErrorCodeForbidden)) }

// IsRateLimited reports whether err says the caller should slow down.
func IsRateLimited(err error) bool { return HasCode(err, string(api.ErrorCodeRateLimited)) }

// maxProblemSize bounds how much of an error body is read: a problem
// document is small, and a misbehaving proxy's page should not be buffered.
const maxProblemSize = 64 << 10

// parseError turns a failed answer into an *Error. Answers that are not
// problem documents (a proxy's HTML error page) still get a code, derived
// from the status, so that HasCode works on them.
func parseError(resp *http.Response) *Error {
	e := &Error{
		Status:    resp.StatusCode,
		Code:      codeForStatus(resp.StatusCode),
		Detail:    http.StatusText(resp.StatusCode),
		RequestID: resp.Header.Get("X-Request-ID"),
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/problem+json" && mt != "application/json" {
		return e
	}
	var p api.Problem
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxProblemSize)).Decode(&p); err != nil {
		return e
	}
	if p.Code != "" {
		e.Code = string(p.Code)
	}
	if p.Detail != "" {
		e.Detail = p.Detail
	}
	if p.RequestID != "" {
		e.RequestID = p.RequestID
	}
	e.Fields = p.Errors
	return e
}

// codeForStatus inverts the server's code→status table for answers that
// carry no code.
func codeForStatus(status int) string {
	var c api.ErrorCode
	switch status {
	case http.StatusBadRequest, http.StatusUnsupportedMediaType:
		c = api.ErrorCodeInvalid
	case http.StatusUnauthorized:
		c = api.ErrorCodeUnauthorized
	case http.StatusForbidden:
		c = api.ErrorCodeForbidden
	case http.StatusNotFound:
		c = api.ErrorCodeNotFound
	case http.StatusConflict:
		c = api.ErrorCodeConflict
	case http.StatusMethodNotAllowed:
		c = api.ErrorCodeMethodNotAllowed
	case http.StatusPreconditionFailed:
		c = api.ErrorCodePrecondition
	case http.StatusRequestEntityTooLarge:
		c = api.ErrorCodeTooLarge
	case http.StatusTooManyRequests:
		c = api.ErrorCodeRateLimited
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		c = api.ErrorCodeUnavailable
	default:
		c = api.ErrorCodeInternal
	}
	return string(c)
}
