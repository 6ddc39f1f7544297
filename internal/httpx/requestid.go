package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-Id" // canonical, as the header map holds it

// RequestID is a middleware that gives every request an id: the incoming
// X-Request-ID when it is well formed (so a proxy's id correlates logs
// across hops), a random 128-bit hex id otherwise. The id is echoed on the
// response and stored in Info.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, info := EnsureInfo(r)
		id := r.Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		info.RequestID = id
		w.Header().Set(HeaderRequestID, id)
		next.ServeHTTP(w, r)
	})
}

// RequestIDFrom returns the id of the request ctx belongs to, or "".
func RequestIDFrom(ctx context.Context) string { return InfoFrom(ctx).RequestID }

// validRequestID reports whether id matches ^[A-Za-z0-9._:-]{8,128}$. A
// loop, not a regexp: it runs on every request. The charset keeps ids safe
// in log lines and headers.
func validRequestID(id string) bool {
	if len(id) < 8 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '_' || c == ':' || c == '-':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	return hex.EncodeToString(b[:])
}
