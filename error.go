// Package coffer holds the domain of Coffer: users, projects, environments,
// secrets, tokens and audit events, their validation, the authorization
// policy, and the error codes every layer speaks. It imports nothing of the
// project; adapters (store, barrier, http) depend on it, never the reverse.
package coffer

import (
	"errors"
	"fmt"
)

// Error codes. They are stable: clients match on them, and the HTTP layer maps
// each to exactly one status in one table.
const (
	EINVALID      = "invalid"            // the request is malformed or a value is out of range
	ENOTFOUND     = "not_found"          // missing, or not visible to the caller
	ECONFLICT     = "conflict"           // the change clashes with existing state
	EUNAUTHORIZED = "unauthorized"       // no valid credentials
	EFORBIDDEN    = "forbidden"          // credentials valid, action refused (never used to hide existence)
	ETOOLARGE     = "too_large"          // a body or value is over its limit
	ERATELIMITED  = "rate_limited"       // too many requests
	EUNAVAILABLE  = "unavailable"        // a dependency is down; retry later
	EINTERNAL     = "internal"           // a fault of ours; details are logged, never returned
	EPRECONDITION = "precondition"       // a conditional request's precondition failed
	EMETHOD       = "method_not_allowed" // the path exists, the method does not
)

// Error is a domain error: a stable code and a message written for people.
// The message is safe to show to the caller; internal causes are wrapped
// elsewhere and logged, never placed here.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("coffer: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of the first *Error in err's
// chain, or a generic message for internal errors so that no internal detail
// ever reaches a client.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}
