package client

import (
	"context"
	"net/http"

	"github.com/cofferhq/coffer/api"
)

// Projects returns one page of the caller's projects (operation
// listProjects). Pass "" and 0 for the first page with the server's page
// size, then the answer's NextCursor until it is empty.
func (c *Client) Projects(ctx context.Context, cursor string, limit int) (*api.ProjectList, error) {
	return call[api.ProjectList](ctx, c, http.MethodGet, apiPrefix+"/projects", pageQuery(cursor, limit), nil)
}

// CreateProject creates a project owned by the caller (operation
// createProject), with dev, staging and prod unless in names environments.
func (c *Client) CreateProject(ctx context.Context, in api.CreateProjectRequest) (*api.Project, error) {
	return call[api.Project](ctx, c, http.MethodPost, apiPrefix+"/projects", nil, in)
}

// Project returns a project by slug (operation getProject).
func (c *Client) Project(ctx context.Context, project string) (*api.Project, error) {
	return callPath[api.Project](ctx, c, http.MethodGet, nil, nil, "/projects/%s", project)
}

// UpdateProject renames a project or changes its slug (operation
// updateProject).
func (c *Client) UpdateProject(ctx context.Context, project string, in api.UpdateProjectRequest) (*api.Project, error) {
	return callPath[api.Project](ctx, c, http.MethodPatch, nil, in, "/projects/%s", project)
}

// DeleteProject deletes a project with everything in it (operation
// deleteProject).
func (c *Client) DeleteProject(ctx context.Context, project string) error {
	return c.noContent(ctx, http.MethodDelete, nil, "/projects/%s", project)
}
