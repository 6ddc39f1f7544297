package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// Environment variables that let scripts and services run without a
// stored sign-in.
const (
	envAddr  = "COFFER_ADDR"
	envToken = "COFFER_TOKEN"
)

// apiTimeout bounds one API call; the live feed has no such bound.
const apiTimeout = 60 * time.Second

// session is the credential a command acts with: COFFER_TOKEN, or the
// stored sign-in, whose access token it renews when the server says it
// has expired. It is an http.RoundTripper so that every call — API and
// WebSocket upgrade alike — gets the header and the renewal.
type session struct {
	addr  string
	store *credStore
	base  http.RoundTripper

	mu    sync.Mutex
	creds *credentials // nil when COFFER_TOKEN is in use
	token string       // what goes into Authorization
}

// openSession finds the credentials to use. COFFER_TOKEN wins over the
// stored sign-in; COFFER_ADDR names its server (else the stored one).
func openSession() (*session, error) {
	store, err := newCredStore()
	if err != nil {
		return nil, err
	}
	addrEnv := normalizeAddr(os.Getenv(envAddr))
	if tok := os.Getenv(envToken); tok != "" {
		addr := addrEnv
		if addr == "" {
			if c, err := store.load(); err == nil {
				addr = c.Addr
			}
		}
		if addr == "" {
			return nil, usagef("%s is set but no server is known: set %s too", envToken, envAddr)
		}
		return &session{addr: addr, store: store, base: defaultTransport(), token: tok}, nil
	}
	c, err := store.load()
	if err != nil {
		return nil, err
	}
	if addrEnv != "" && addrEnv != c.Addr {
		// Sending the stored tokens to another server would hand them over.
		return nil, &exitStatus{code: exitUnauthorized, err: fmt.Errorf(
			"%s=%s is not the server you signed in to (%s): run `coffer login --addr %s` or set %s",
			envAddr, addrEnv, c.Addr, addrEnv, envToken)}
	}
	return &session{addr: c.Addr, store: store, base: defaultTransport(), creds: c, token: c.AccessToken}, nil
}

// normalizeAddr trims what users tend to type around a base URL.
func normalizeAddr(addr string) string { return strings.TrimRight(strings.TrimSpace(addr), "/") }

// defaultTransport is what the CLI's requests travel over: the standard
// transport, which honours HTTPS_PROXY and NO_PROXY.
func defaultTransport() http.RoundTripper { return http.DefaultTransport }

// userAgent names the CLI and its version in the server's logs and audit.
func userAgent() string { return "coffer-cli/" + version }

// client returns an API client that authenticates through s.
func (s *session) client() (*client.Client, error) {
	return client.New(s.addr, client.WithUserAgent(userAgent()),
		client.WithHTTPClient(&http.Client{Transport: s, Timeout: apiTimeout}))
}

// cacheSecret is the token the offline copies are sealed with: the
// long-lived one, so that a copy outlives the access token that fetched it.
func (s *session) cacheSecret() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds != nil {
		return s.creds.RefreshToken
	}
	return s.token
}

// renewable reports whether a refresh token backs the access token;
// COFFER_TOKEN has none.
func (s *session) renewable() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creds != nil
}

func (s *session) currentToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// RoundTrip sends req with the current token; on a 401 it renews the
// access token once and sends req again. The retry is safe: a 401 means
// the server did nothing.
func (s *session) RoundTrip(req *http.Request) (*http.Response, error) {
	tok := s.currentToken()
	resp, err := s.base.RoundTrip(withBearer(req, tok, req.Body))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !s.renewable() {
		return resp, err
	}
	if req.Body != nil && req.GetBody == nil {
		return resp, nil // the body is spent and cannot be sent again
	}
	// Keep the refusal: it is the answer if the renewal fails too.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	fresh, rerr := s.renew(req.Context(), tok)
	if rerr != nil {
		return resp, nil
	}
	var again io.ReadCloser
	if req.GetBody != nil {
		if again, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	return s.base.RoundTrip(withBearer(req, fresh, again))
}

// withBearer is req with its own headers carrying tok, as RoundTrip may
// not modify the caller's request.
func withBearer(req *http.Request, tok string, body io.ReadCloser) *http.Request {
	r := req.Clone(req.Context())
	r.Body = body
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// renew trades the refresh token for a new pair, unless another goroutine
// or another coffer process did so since stale was read: the server
// rotates refresh tokens and treats a second use as theft.
func (s *session) renew(ctx context.Context, stale string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != stale {
		return s.token, nil
	}
	unlock, err := lockFile(filepath.Join(s.store.dir, "credentials.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if disk, err := s.store.load(); err == nil && disk.Addr == s.creds.Addr && disk.RefreshToken != s.creds.RefreshToken {
		s.creds, s.token = disk, disk.AccessToken
		return s.token, nil
	}
	plain, err := client.New(s.addr, client.WithUserAgent(userAgent()),
		client.WithHTTPClient(&http.Client{Transport: s.base, Timeout: apiTimeout}))
	if err != nil {
		return "", err
	}
	res, err := plain.Token(ctx, api.TokenRequest{GrantType: api.GrantTypeRefreshToken, RefreshToken: s.creds.RefreshToken})
	if err != nil {
		return "", err
	}
	old := s.creds.RefreshToken
	next := *s.creds
	next.AccessToken, next.RefreshToken = res.AccessToken, res.RefreshToken
	if err := s.store.save(&next); err != nil {
		return "", err
	}
	s.creds, s.token = &next, next.AccessToken
	// The offline copies were sealed under the old refresh token; carry
	// them over, or the next outage would find them unreadable.
	if cache, err := newBundleCache(); err == nil {
		cache.rekey(old, next.RefreshToken)
	}
	return s.token, nil
}
