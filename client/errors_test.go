package client

import (
	"errors"
	"testing"

	"github.com/cofferhq/coffer/api"
)

// Each code helper recognises its own code, wrapped or not, and no other.
func TestCodeHelpers(t *testing.T) {
	helpers := map[api.ErrorCode]func(error) bool{
		api.ErrorCodeNotFound:     IsNotFound,
		api.ErrorCodeConflict:     IsConflict,
		api.ErrorCodeUnauthorized: IsUnauthorized,
		api.ErrorCodeForbidden:    IsForbidden,
		api.ErrorCodeRateLimited:  IsRateLimited,
	}
	for code := range helpers {
		err := wrap(&Error{Status: 400, Code: string(code)})
		for other, is := range helpers {
			if got := is(err); got != (other == code) {
				t.Errorf("the %s helper says %v of a %s error", other, got, code)
			}
		}
	}
	for _, err := range []error{nil, errors.New("connection refused")} {
		for code, is := range helpers {
			if is(err) {
				t.Errorf("the %s helper says true of %v", code, err)
			}
		}
	}
}
