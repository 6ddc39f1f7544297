package client

import (
	"context"
	"net/http"

	"github.com/cofferhq/coffer/api"
)

// ServiceTokens lists a project's service tokens (operation
// listServiceTokens).
func (c *Client) ServiceTokens(ctx context.Context, project string) ([]api.ServiceToken, error) {
	out, err := callPath[api.ServiceTokenList](ctx, c, http.MethodGet, nil, nil, "/projects/%s/tokens", project)
	if err != nil {
		return nil, err
	}
	return out.Tokens, nil
}

// CreateServiceToken creates a service token for some environments of a
// project (operation createServiceToken). The answer's Secret is the token;
// it is shown once.
func (c *Client) CreateServiceToken(ctx context.Context, project string, in api.CreateServiceTokenRequest) (*api.CreatedServiceToken, error) {
	return callPath[api.CreatedServiceToken](ctx, c, http.MethodPost, nil, in, "/projects/%s/tokens", project)
}

// RevokeServiceToken revokes a service token (operation revokeServiceToken).
func (c *Client) RevokeServiceToken(ctx context.Context, project, id string) error {
	return c.noContent(ctx, http.MethodDelete, nil, "/projects/%s/tokens/%s", project, id)
}
