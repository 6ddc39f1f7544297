package client

import (
	"context"
	"net/http"

	"github.com/cofferhq/coffer/api"
)

// Environments lists a project's environments (operation listEnvironments).
func (c *Client) Environments(ctx context.Context, project string) ([]api.Environment, error) {
	out, err := callPath[api.EnvironmentList](ctx, c, http.MethodGet, nil, nil, "/projects/%s/environments", project)
	if err != nil {
		return nil, err
	}
	return out.Environments, nil
}

// CreateEnvironment adds an environment to a project (operation
// createEnvironment).
func (c *Client) CreateEnvironment(ctx context.Context, project string, in api.CreateEnvironmentRequest) (*api.Environment, error) {
	return callPath[api.Environment](ctx, c, http.MethodPost, nil, in, "/projects/%s/environments", project)
}

// Environment returns one environment, with its current revision
// (operation getEnvironment).
func (c *Client) Environment(ctx context.Context, project, env string) (*api.Environment, error) {
	return callPath[api.Environment](ctx, c, http.MethodGet, nil, nil, "/projects/%s/environments/%s", project, env)
}

// UpdateEnvironment renames an environment or changes its slug (operation
// updateEnvironment).
func (c *Client) UpdateEnvironment(ctx context.Context, project, env string, in api.UpdateEnvironmentRequest) (*api.Environment, error) {
	return callPath[api.Environment](ctx, c, http.MethodPatch, nil, in, "/projects/%s/environments/%s", project, env)
}

// DeleteEnvironment deletes an environment with its secrets (operation
// deleteEnvironment).
func (c *Client) DeleteEnvironment(ctx context.Context, project, env string) error {
	return c.noContent(ctx, http.MethodDelete, nil, "/projects/%s/environments/%s", project, env)
}
