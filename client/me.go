package client

import (
	"context"
	"net/http"

	"github.com/cofferhq/coffer/api"
)

// Me returns the signed-in user (operation getMe).
func (c *Client) Me(ctx context.Context) (*api.User, error) {
	return call[api.User](ctx, c, http.MethodGet, apiPrefix+"/me", nil, nil)
}

// UpdateMe changes the user's name, email or password (operation updateMe);
// nil and empty fields stay as they are. Changing the email or the password
// needs CurrentPassword.
func (c *Client) UpdateMe(ctx context.Context, in api.UpdateMeRequest) (*api.User, error) {
	return call[api.User](ctx, c, http.MethodPatch, apiPrefix+"/me", nil, in)
}

// DeleteMe erases the account (operation deleteMe). It fails with code
// "conflict" while the user is the last owner of a project.
func (c *Client) DeleteMe(ctx context.Context, password string) error {
	return c.noContent(ctx, http.MethodDelete, api.DeleteMeRequest{Password: password}, "/me")
}

// ExportMe returns everything the instance holds about the user
// (operation exportMe).
func (c *Client) ExportMe(ctx context.Context) (*api.PersonalData, error) {
	return call[api.PersonalData](ctx, c, http.MethodGet, apiPrefix+"/me/export", nil, nil)
}

// Sessions lists the user's active sessions (operation listSessions).
func (c *Client) Sessions(ctx context.Context) ([]api.SessionInfo, error) {
	out, err := call[api.SessionList](ctx, c, http.MethodGet, apiPrefix+"/me/sessions", nil, nil)
	if err != nil {
		return nil, err
	}
	return out.Sessions, nil
}

// RevokeSession ends one of the user's sessions (operation revokeSession).
func (c *Client) RevokeSession(ctx context.Context, id string) error {
	return c.noContent(ctx, http.MethodDelete, nil, "/me/sessions/%s", id)
}

// PersonalTokens lists the user's personal access tokens
// (operation listPersonalTokens).
func (c *Client) PersonalTokens(ctx context.Context) ([]api.PersonalToken, error) {
	out, err := call[api.PersonalTokenList](ctx, c, http.MethodGet, apiPrefix+"/me/tokens", nil, nil)
	if err != nil {
		return nil, err
	}
	return out.Tokens, nil
}

// CreatePersonalToken creates a personal access token (operation
// createPersonalToken). The answer's Secret is the token; it is shown once.
func (c *Client) CreatePersonalToken(ctx context.Context, in api.CreatePersonalTokenRequest) (*api.CreatedPersonalToken, error) {
	return call[api.CreatedPersonalToken](ctx, c, http.MethodPost, apiPrefix+"/me/tokens", nil, in)
}

// RevokePersonalToken revokes a personal access token
// (operation revokePersonalToken).
func (c *Client) RevokePersonalToken(ctx context.Context, id string) error {
	return c.noContent(ctx, http.MethodDelete, nil, "/me/tokens/%s", id)
}
