package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/golang-jwt/jwt/v5"
)

// Issuer and Audience are the iss and aud of every access token. Pinning
// both means a token minted for another purpose with the same secret is
// refused.
const (
	Issuer   = "coffer"
	Audience = "coffer-api"
)

// clockSkew is how far apart instances' clocks may be before a fresh token
// is refused as not yet valid, or an expired one still accepted.
const clockSkew = 30 * time.Second

// Claims is what an access token asserts: which user, through which session
// (so that revoking the session revokes its tokens), and for how long.
type Claims struct {
	UserID    string
	SessionID string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// jwtClaims is the wire form of Claims.
type jwtClaims struct {
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

// Signer issues and verifies HS256 access tokens. The current secret signs;
// previous secrets only verify, so JWT_SECRET can rotate without logging
// everyone out. It is immutable and safe for concurrent use.
type Signer struct {
	kid  string
	keys map[string][]byte
}

// NewSigner returns a Signer that signs with secret and also accepts tokens
// signed with any of previous. The strength of the secrets is checked by
// configuration; here they need only be non-empty.
func NewSigner(secret string, previous ...string) (*Signer, error) {
	if secret == "" {
		return nil, errors.New("auth: JWT secret is empty")
	}
	s := &Signer{kid: keyID(secret), keys: map[string][]byte{keyID(secret): []byte(secret)}}
	for i, p := range previous {
		if p == "" {
			return nil, fmt.Errorf("auth: previous JWT secret %d is empty", i+1)
		}
		s.keys[keyID(p)] = []byte(p)
	}
	return s, nil
}

// keyID derives a token's kid one-way from its secret, so the header names
// the key without revealing anything about it.
func keyID(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("coffer jwt kid"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// KeyID returns the kid of the current secret.
func (s *Signer) KeyID() string { return s.kid }

// Issue signs c with the current secret. UserID and SessionID must be set
// and ExpiresAt must follow IssuedAt.
func (s *Signer) Issue(c Claims) (string, error) {
	if c.UserID == "" || c.SessionID == "" {
		return "", errors.New("auth: issue token: user and session ids are required")
	}
	if c.IssuedAt.IsZero() || !c.ExpiresAt.After(c.IssuedAt) {
		return "", errors.New("auth: issue token: expiry must follow issue time")
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwtClaims{
		SessionID: c.SessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   c.UserID,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			NotBefore: jwt.NewNumericDate(c.IssuedAt),
			ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
		},
	})
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.keys[s.kid])
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return signed, nil
}

// Verify checks token at time now and returns its claims. Every failure is
// a coffer.EUNAUTHORIZED error; an expired token says so, so that clients
// know to refresh, and nothing else is distinguished.
func (s *Signer) Verify(token string, now time.Time) (*Claims, error) {
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	var jc jwtClaims
	_, err := p.ParseWithClaims(token, &jc, s.key)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "The access token has expired.")
	case err != nil, jc.Subject == "", jc.SessionID == "", jc.IssuedAt == nil:
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "The access token is invalid.")
	}
	return &Claims{
		UserID:    jc.Subject,
		SessionID: jc.SessionID,
		IssuedAt:  jc.IssuedAt.Time,
		ExpiresAt: jc.ExpiresAt.Time,
	}, nil
}

// key picks the secret named by the token's kid. A token without a kid, or
// with one we do not know, is refused rather than tried against every key.
func (s *Signer) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	k, ok := s.keys[kid]
	if !ok {
		return nil, errors.New("unknown kid")
	}
	return k, nil
}
