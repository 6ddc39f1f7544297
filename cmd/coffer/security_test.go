package main

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/config"
)

// TestWrongEncryptionKeyRefusedAtStart: a server started on an existing
// database with another ENCRYPTION_KEY stops with a clear message instead
// of serving garbage later.
func TestWrongEncryptionKeyRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	first := startServer(t, "sqlite", map[string]string{"DATA_DIR": dir, "ENCRYPTION_KEY": config.GenerateEncryptionKey()})
	c, _ := first.signup(t, "owner")
	ok(c.CreateProject(t.Context(), api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)

	cfg := testConfig(t, "sqlite", map[string]string{"DATA_DIR": dir, "ENCRYPTION_KEY": config.GenerateEncryptionKey()})
	m := NewMain(cfg, discardLogger())
	err := m.Run(t.Context())
	if err == nil {
		m.Close(t.Context(), 0)
		t.Fatal("a wrong ENCRYPTION_KEY was accepted")
	}
	if !strings.Contains(err.Error(), "ENCRYPTION_KEY") {
		t.Fatalf("the error does not name ENCRYPTION_KEY: %v", err)
	}
}

// TestForgedAccessTokensRefused sends JWTs that a careless verifier would
// accept; each must get 401.
func TestForgedAccessTokensRefused(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	_, u := s.signup(t, "owner")
	_, tok := s.bearer(t, u.Email)
	parts := strings.Split(tok.AccessToken, ".")
	secret, err := os.ReadFile(filepath.Join(s.Config.DataDir, config.JWTSecretFile))
	if err != nil {
		t.Fatal(err)
	}
	key := []byte(strings.TrimSpace(string(secret)))
	noChange := func(jwt.MapClaims) {}

	for name, token := range map[string]string{
		"AlgNone":      base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".",
		"WrongAlg":     resign(t, tok.AccessToken, jwt.SigningMethodHS512, key, "", noChange),
		"WrongKey":     resign(t, tok.AccessToken, jwt.SigningMethodHS256, []byte(strings.Repeat("k", 64)), "", noChange),
		"UnknownKid":   resign(t, tok.AccessToken, jwt.SigningMethodHS256, key, "unknown", noChange),
		"BadSignature": parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString([]byte("not the signature")),
		"Expired":      resign(t, tok.AccessToken, jwt.SigningMethodHS256, key, "", func(m jwt.MapClaims) { m["exp"] = time.Now().Add(-time.Hour).Unix() }),
		"WrongAud":     resign(t, tok.AccessToken, jwt.SigningMethodHS256, key, "", func(m jwt.MapClaims) { m["aud"] = "someone-else" }),
		"WrongIssuer":  resign(t, tok.AccessToken, jwt.SigningMethodHS256, key, "", func(m jwt.MapClaims) { m["iss"] = "evil" }),
		"Garbage":      "a.b.c",
	} {
		t.Run(name, func(t *testing.T) {
			if got := send(t, s.URL+"/api/v1/me", "GET", "", "", token); got != http.StatusUnauthorized {
				t.Fatalf("got %d", got)
			}
		})
	}
	// The genuine token passes, so the refusals above are the checks at work.
	if got := send(t, s.URL+"/api/v1/me", "GET", "", "", resign(t, tok.AccessToken, jwt.SigningMethodHS256, key, "", noChange)); got != http.StatusOK {
		t.Fatalf("a correctly re-signed token got %d", got)
	}
}

// resign signs token's claims, changed by edit, with alg and key; the kid
// stays the original one unless kid is given.
func resign(t *testing.T, token string, alg jwt.SigningMethod, key []byte, kid string, edit func(jwt.MapClaims)) string {
	t.Helper()
	m := jwt.MapClaims{}
	parsed, _, err := jwt.NewParser().ParseUnverified(token, m)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	tk := jwt.NewWithClaims(alg, m)
	tk.Header["kid"] = parsed.Header["kid"]
	if kid != "" {
		tk.Header["kid"] = kid
	}
	out, err := tk.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLoginThrottlePerAccount: 1000 sign-in attempts against one account
// in a minute let at most 10 reach the password hash, and forged
// X-Forwarded-For headers do not buy more.
func TestLoginThrottlePerAccount(t *testing.T) {
	s := startServer(t, "sqlite", map[string]string{"RATE_LIMIT_MAX_REQUESTS": "100000", "METRICS_TOKEN": testMetricsToken})
	_, u := s.signup(t, "victim")
	before := s.Service.PasswordChecks()
	var limited int
	for i := range 1000 {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/api/v1/auth/login",
			strings.NewReader(`{"email":"`+u.Email+`","password":"wrong-password-`+string(rune('a'+i%26))+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113."+string(rune('0'+i%10)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	if checks := s.Service.PasswordChecks() - before; checks > 10 {
		t.Fatalf("%d password checks reached the hash, want at most 10", checks)
	}
	if limited < 990 {
		t.Fatalf("only %d of 1000 attempts were refused", limited)
	}
	// Every refusal is counted, whichever limit made it: the client's
	// address (a middleware) or the account (the service).
	_, body := scrape(t, s.URL+"/metrics", testMetricsToken)
	m := parseScrape(t, body)
	rejected := func(scope string) float64 { // -1, no series: none yet
		return max(m.value("coffer_rate_limit_rejections_total", "scope", scope), 0)
	}
	byAccount, byIP := rejected("login_account"), rejected("auth_ip")
	if byAccount == 0 || int(byAccount+byIP) != limited {
		t.Errorf("rejections counted: %v by account + %v by address, want %d with some by account", byAccount, byIP, limited)
	}
}
