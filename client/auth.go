package client

import (
	"context"
	"net/http"

	"github.com/cofferhq/coffer/api"
)

// Signup creates an account and signs in (operation signup). In cookie mode
// the session cookies and CSRF token are kept for later calls.
func (c *Client) Signup(ctx context.Context, in api.SignupRequest) (*api.Session, error) {
	return c.session(ctx, "/auth/signup", in)
}

// Login signs in with a password, the browser way (operation login).
func (c *Client) Login(ctx context.Context, in api.LoginRequest) (*api.Session, error) {
	return c.session(ctx, "/auth/login", in)
}

// Refresh rotates the refresh cookie and renews the access cookie
// (operation refreshSession). It needs cookie mode.
func (c *Client) Refresh(ctx context.Context) (*api.Session, error) {
	return c.session(ctx, "/auth/refresh", nil)
}

func (c *Client) session(ctx context.Context, p string, in any) (*api.Session, error) {
	var out api.Session
	if _, err := c.do(ctx, http.MethodPost, apiPrefix+p, nil, in, &out); err != nil {
		return nil, err
	}
	c.setCSRF(out.CSRFToken)
	return &out, nil
}

// Logout revokes the current session, whether it is held in cookies or in
// a bearer JWT (operation logout).
func (c *Client) Logout(ctx context.Context) error {
	if _, err := c.do(ctx, http.MethodPost, apiPrefix+"/auth/logout", nil, nil, nil); err != nil {
		return err
	}
	c.setCSRF("")
	return nil
}

// Token obtains bearer tokens with a password or a refresh token
// (operation createToken). The client keeps using its own credentials; pass
// the access token to a new client with WithToken.
func (c *Client) Token(ctx context.Context, in api.TokenRequest) (*api.TokenResponse, error) {
	var out api.TokenResponse
	if _, err := c.do(ctx, http.MethodPost, apiPrefix+"/auth/token", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
