package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// CSRFToken returns the CSRF token of a session: HMAC-SHA256(key, sessionID)
// in unpadded base64url. Binding it to the session means it needs no
// storage, and a token stolen from one session is useless in another.
func CSRFToken(key []byte, sessionID string) string {
	return base64.RawURLEncoding.EncodeToString(csrfMAC(key, sessionID))
}

// VerifyCSRF reports, in constant time, whether token is the CSRF token of
// sessionID. An empty session or token never verifies.
func VerifyCSRF(key []byte, sessionID, token string) bool {
	if sessionID == "" || token == "" {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return false
	}
	return hmac.Equal(got, csrfMAC(key, sessionID))
}

func csrfMAC(key []byte, sessionID string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("coffer csrf v1\x00"))
	m.Write([]byte(sessionID))
	return m.Sum(nil)
}
