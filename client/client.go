// Package client is the public Go client of the Coffer API. The coffer CLI
// and the end-to-end tests drive the server through it, so it covers every
// operation of api/openapi.yaml and speaks only the generated api types.
//
// A Client is safe for concurrent use. It never logs: requests carry
// secrets, and what to record is the caller's decision.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
)

// defaultUserAgent names the client in the server's logs and audit events.
const defaultUserAgent = "coffer-go-client"

// apiPrefix is where the versioned API lives under the base URL.
const apiPrefix = "/api/v1"

// Client calls one Coffer instance.
type Client struct {
	base      string // scheme://host[/prefix], without a trailing slash
	baseURL   *url.URL
	hc        *http.Client
	token     string
	userAgent string
	jar       http.CookieJar // set in cookie mode

	mu   sync.Mutex
	csrf string // the CSRF token of the last Session, in cookie mode
}

// Option configures a Client.
type Option func(*options)

type options struct {
	token     string
	hc        *http.Client
	userAgent string
	cookies   bool
}

// WithToken authenticates every request with "Authorization: Bearer token":
// a JWT access token from Token, a personal token (cof_pat_…) or a service
// token (cof_svc_…).
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithHTTPClient sends requests through hc (timeouts, proxies, TLS
// settings). The client is not modified; WithCookieJar works on a copy.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.hc = hc } }

// WithUserAgent sets the User-Agent header, e.g. "coffer-cli/1.2.0".
func WithUserAgent(ua string) Option { return func(o *options) { o.userAgent = ua } }

// WithCookieJar makes the client behave like a browser: it keeps the
// session cookies that Signup, Login and Refresh set, and sends the CSRF
// token as X-CSRF-Token on POST, PUT, PATCH and DELETE. It exists to test
// the browser flows; programs should prefer tokens.
func WithCookieJar() Option { return func(o *options) { o.cookies = true } }

// New returns a client of the instance at baseURL, e.g.
// "https://coffer.example.com" (a path prefix is kept, for instances
// served under one).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("client: base URL %q: want http(s)://host[/path] without query, fragment or credentials", baseURL)
	}
	o := options{hc: http.DefaultClient, userAgent: defaultUserAgent}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{
		base:      strings.TrimRight(u.String(), "/"),
		baseURL:   u,
		hc:        o.hc,
		token:     o.token,
		userAgent: o.userAgent,
	}
	if o.cookies {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return nil, fmt.Errorf("client: cookie jar: %w", err)
		}
		hc := *o.hc // a copy, so that the caller's client keeps no cookies
		hc.Jar = jar
		c.hc, c.jar = &hc, jar
	}
	return c, nil
}

// request is one call, before it becomes an *http.Request.
type request struct {
	method      string
	path        string // under the base URL, segments already escaped
	query       url.Values
	header      http.Header
	body        []byte
	contentType string
	accept      string
}

// send performs r. A 2xx or 304 answer is returned for the caller to read
// and close; any other becomes an *Error.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	target := c.base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", r.method, r.path, err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	accept := r.accept
	if accept == "" {
		accept = "application/json, application/problem+json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.jar != nil && r.method != http.MethodGet && r.method != http.MethodHead {
		if t := c.csrfToken(); t != "" {
			req.Header.Set("X-CSRF-Token", t)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", r.method, r.path, err)
	}
	if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusNotModified {
		return resp, nil
	}
	defer drain(resp)
	return nil, parseError(resp)
}

// do sends a JSON call: in (if not nil) is the body, out (if not nil)
// receives the answer. It returns the status code so that callers can tell
// 200 from 201.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	r := request{method: method, path: path, query: query}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("client: %s %s: encode body: %w", method, path, err)
		}
		r.body, r.contentType = b, "application/json"
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return 0, err
	}
	defer drain(resp)
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, fmt.Errorf("client: %s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// drain reads what is left of the body, so that the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// path joins the API prefix and format, escaping each argument as one path
// segment. An empty or dot argument is refused: it would silently address
// another resource (an empty project slug turns /projects/{project} into
// /projects/).
func path(format string, args ...string) (string, error) {
	escaped := make([]any, len(args))
	for i, a := range args {
		if a == "" || a == "." || a == ".." {
			return "", fmt.Errorf("client: invalid path segment %q", a)
		}
		escaped[i] = url.PathEscape(a)
	}
	return apiPrefix + fmt.Sprintf(format, escaped...), nil
}

// pageQuery is the cursor and limit of a list call; zero values are left
// out so that the server's defaults apply.
func pageQuery(cursor string, limit int) url.Values {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	return q
}

// csrfToken is the token to send on a cookie-authenticated change. The
// server compares the header with the coffer_csrf cookie (double submit), so
// the cookie wins when the jar holds one; the token of the last Session
// covers servers that set the cookie on another path.
func (c *Client) csrfToken() string {
	for _, ck := range c.jar.Cookies(c.baseURL) {
		if ck.Name == "coffer_csrf" || ck.Name == "__Host-coffer_csrf" {
			return ck.Value
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.csrf
}

func (c *Client) setCSRF(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.csrf = token
}

// call is do for the common case: one JSON answer of type T.
func call[T any](ctx context.Context, c *Client, method, p string, q url.Values, in any) (*T, error) {
	var out T
	if _, err := c.do(ctx, method, p, q, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// callPath is call on a path built by path; the path error is returned
// before anything is sent.
func callPath[T any](ctx context.Context, c *Client, method string, q url.Values, in any, format string, args ...string) (*T, error) {
	p, err := path(format, args...)
	if err != nil {
		return nil, err
	}
	return call[T](ctx, c, method, p, q, in)
}

// noContent sends a call whose answer has no body (204).
func (c *Client) noContent(ctx context.Context, method string, in any, format string, args ...string) error {
	p, err := path(format, args...)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, method, p, nil, in, nil)
	return err
}
