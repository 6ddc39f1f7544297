package auth

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/golang-jwt/jwt/v5"
)

const (
	testSecret = "test-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
	oldSecret  = "old-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func mustSigner(t testing.TB, secret string, previous ...string) *Signer {
	t.Helper()
	s, err := NewSigner(secret, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims() Claims {
	return Claims{UserID: "u1", SessionID: "s1", IssuedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
}

func mustIssue(t testing.TB, s *Signer, c Claims) string {
	t.Helper()
	tok, err := s.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSigner_IssueVerify(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testSecret)
	tok := mustIssue(t, s, validClaims())
	got, err := s.Verify(tok, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := validClaims()
	if got.UserID != want.UserID || got.SessionID != want.SessionID ||
		!got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if strings.Contains(tok, testSecret) {
		t.Fatal("token contains the secret")
	}
}

func TestSigner_HeaderHasKIDNotSecret(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testSecret)
	tok := mustIssue(t, s, validClaims())
	hdr, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hdr), `"kid":"`+s.KeyID()+`"`) || !strings.Contains(string(hdr), `"alg":"HS256"`) {
		t.Fatalf("header %s", hdr)
	}
	if len(s.KeyID()) != 16 || mustSigner(t, oldSecret).KeyID() == s.KeyID() {
		t.Fatalf("kid %q not a distinct 16-char id", s.KeyID())
	}
}

func TestSigner_Rotation(t *testing.T) {
	t.Parallel()
	old := mustSigner(t, oldSecret)
	rotated := mustSigner(t, testSecret, oldSecret)
	now := t0.Add(time.Minute)

	if _, err := rotated.Verify(mustIssue(t, old, validClaims()), now); err != nil {
		t.Fatalf("previous secret no longer verifies: %v", err)
	}
	tok := mustIssue(t, rotated, validClaims())
	if _, err := old.Verify(tok, now); err == nil {
		t.Fatal("rotated signer issued with the previous secret")
	}
	if _, err := mustSigner(t, testSecret).Verify(tok, now); err != nil {
		t.Fatalf("rotated signer did not issue with the current secret: %v", err)
	}
}

func TestNewSigner_EmptySecret(t *testing.T) {
	t.Parallel()
	if _, err := NewSigner(""); err == nil {
		t.Fatal("empty secret accepted")
	}
	if _, err := NewSigner(testSecret, ""); err == nil {
		t.Fatal("empty previous secret accepted")
	}
}

func TestSigner_IssueRefusesIncompleteClaims(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testSecret)
	for _, tt := range []struct {
		name string
		edit func(*Claims)
	}{
		{"NoUser", func(c *Claims) { c.UserID = "" }},
		{"NoSession", func(c *Claims) { c.SessionID = "" }},
		{"NoIssuedAt", func(c *Claims) { c.IssuedAt = time.Time{} }},
		{"ExpiryBeforeIssue", func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(-time.Second) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := validClaims()
			tt.edit(&c)
			if _, err := s.Issue(c); err == nil {
				t.Fatal("want error")
			}
		})
	}
}

// sign builds a token with arbitrary header and claims, for the attacks
// Issue would never produce.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != nil {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func baseClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": Issuer, "aud": Audience, "sub": "u1", "sid": "s1",
		"iat": t0.Unix(), "nbf": t0.Unix(), "exp": t0.Add(15 * time.Minute).Unix(),
	}
}

func with(kv ...any) jwt.MapClaims {
	c := baseClaims()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

// hsWithHeaderAlg signs with the right secret via HS256 but claims another
// algorithm in the header: the algorithm-confusion attack.
func hsWithHeaderAlg(t *testing.T, s *Signer, alg string) string {
	t.Helper()
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + alg + `","kid":"` + s.KeyID() + `","typ":"JWT"}`))
	body := strings.Split(sign(t, jwt.SigningMethodHS256, []byte(testSecret), s.KeyID(), baseClaims()), ".")[1]
	sig, err := jwt.SigningMethodHS256.Sign(hdr+"."+body, []byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return hdr + "." + body + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestSigner_VerifyRefuses(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testSecret)
	kid := s.KeyID()
	key := []byte(testSecret)
	now := t0.Add(time.Minute)
	good := mustIssue(t, s, validClaims())
	parts := strings.Split(good, ".")

	for _, tt := range []struct {
		name  string
		token string
		now   time.Time
	}{
		{"AlgNone", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, baseClaims()), now},
		{"AlgNoneStrippedSignature", func() string {
			hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"` + kid + `"}`))
			return hdr + "." + parts[1] + "."
		}(), now},
		{"HS512", sign(t, jwt.SigningMethodHS512, key, kid, baseClaims()), now},
		{"HS384", sign(t, jwt.SigningMethodHS384, key, kid, baseClaims()), now},
		{"RS256HeaderConfusion", hsWithHeaderAlg(t, s, "RS256"), now},
		{"BadSignature", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])), now},
		{"OtherSecretSameKID", sign(t, jwt.SigningMethodHS256, []byte(oldSecret), kid, baseClaims()), now},
		{"TamperedClaims", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin"}`)) + "." + parts[2], now},
		{"Expired", good, t0.Add(16 * time.Minute)},
		{"ExpiredLongAgo", good, t0.Add(24 * time.Hour)},
		{"IssuedInFuture", sign(t, jwt.SigningMethodHS256, key, kid, with("iat", t0.Add(time.Hour).Unix(), "nbf", nil)), now},
		{"NotBeforeInFuture", sign(t, jwt.SigningMethodHS256, key, kid, with("nbf", t0.Add(time.Hour).Unix())), now},
		{"MissingExp", sign(t, jwt.SigningMethodHS256, key, kid, with("exp", nil)), now},
		{"MissingIat", sign(t, jwt.SigningMethodHS256, key, kid, with("iat", nil)), now},
		{"WrongAudience", sign(t, jwt.SigningMethodHS256, key, kid, with("aud", "other-api")), now},
		{"MissingAudience", sign(t, jwt.SigningMethodHS256, key, kid, with("aud", nil)), now},
		{"WrongIssuer", sign(t, jwt.SigningMethodHS256, key, kid, with("iss", "evil")), now},
		{"MissingIssuer", sign(t, jwt.SigningMethodHS256, key, kid, with("iss", nil)), now},
		{"MissingSubject", sign(t, jwt.SigningMethodHS256, key, kid, with("sub", nil)), now},
		{"MissingSession", sign(t, jwt.SigningMethodHS256, key, kid, with("sid", nil)), now},
		{"UnknownKID", sign(t, jwt.SigningMethodHS256, key, "0123456789abcdef", baseClaims()), now},
		{"MissingKID", sign(t, jwt.SigningMethodHS256, key, nil, baseClaims()), now},
		{"NonStringKID", sign(t, jwt.SigningMethodHS256, key, 42, baseClaims()), now},
		{"Empty", "", now},
		{"Garbage", "not.a.jwt", now},
		{"TwoParts", parts[0] + "." + parts[1], now},
		{"Bearer", "Bearer " + good, now},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := s.Verify(tt.token, tt.now)
			if c != nil {
				t.Fatalf("claims returned: %+v", c)
			}
			if code := coffer.ErrorCode(err); code != coffer.EUNAUTHORIZED {
				t.Fatalf("code %q (err %v), want %q", code, err, coffer.EUNAUTHORIZED)
			}
		})
	}
}

func TestSigner_VerifyToleratesClockSkew(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testSecret)
	tok := mustIssue(t, s, validClaims())
	for _, now := range []time.Time{t0.Add(-10 * time.Second), t0.Add(15*time.Minute + 10*time.Second)} {
		if _, err := s.Verify(tok, now); err != nil {
			t.Errorf("at %v: %v", now, err)
		}
	}
}

func TestSigner_ExpiredSaysSo(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, testSecret)
	_, err := s.Verify(mustIssue(t, s, validClaims()), t0.Add(time.Hour))
	if !strings.Contains(coffer.ErrorMessage(err), "expired") {
		t.Fatalf("message %q", coffer.ErrorMessage(err))
	}
}

func BenchmarkVerify(b *testing.B) {
	s := mustSigner(b, testSecret, oldSecret)
	tok := mustIssue(b, s, validClaims())
	now := t0.Add(time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok, now); err != nil {
			b.Fatal(err)
		}
	}
}
