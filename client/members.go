package client

import (
	"context"
	"net/http"

	"github.com/cofferhq/coffer/api"
)

// Members lists a project's members (operation listMembers).
func (c *Client) Members(ctx context.Context, project string) ([]api.Member, error) {
	out, err := callPath[api.MemberList](ctx, c, http.MethodGet, nil, nil, "/projects/%s/members", project)
	if err != nil {
		return nil, err
	}
	return out.Members, nil
}

// AddMember adds an existing user, by email, to a project (operation
// addMember).
func (c *Client) AddMember(ctx context.Context, project string, in api.AddMemberRequest) (*api.Member, error) {
	return callPath[api.Member](ctx, c, http.MethodPost, nil, in, "/projects/%s/members", project)
}

// UpdateMember changes a member's role (operation updateMember).
func (c *Client) UpdateMember(ctx context.Context, project, userID string, role api.Role) (*api.Member, error) {
	return callPath[api.Member](ctx, c, http.MethodPatch, nil, api.UpdateMemberRequest{Role: role},
		"/projects/%s/members/%s", project, userID)
}

// RemoveMember removes a member from a project (operation removeMember).
func (c *Client) RemoveMember(ctx context.Context, project, userID string) error {
	return c.noContent(ctx, http.MethodDelete, nil, "/projects/%s/members/%s", project, userID)
}
