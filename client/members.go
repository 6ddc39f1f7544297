package client

import (
	"context"
	"encoding/json"
	"fmt"
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

// Added is the answer of AddMember: exactly one field is set.
type Added struct {
	Member     *api.Member     // the email had an account, which joined (201)
	Invitation *api.Invitation // the email was invited and joins when it signs up (202)
}

// AddMember adds a user, by email, to a project; with sign-up by
// invitation, an email without an account is invited instead (operation
// addMember).
func (c *Client) AddMember(ctx context.Context, project string, in api.AddMemberRequest) (*Added, error) {
	p, err := path("/projects/%s/members", project)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	status, err := c.do(ctx, http.MethodPost, p, nil, in, &raw)
	if err != nil {
		return nil, err
	}
	var out Added
	if status == http.StatusAccepted {
		out.Invitation = new(api.Invitation)
		err = json.Unmarshal(raw, out.Invitation)
	} else {
		out.Member = new(api.Member)
		err = json.Unmarshal(raw, out.Member)
	}
	if err != nil {
		return nil, fmt.Errorf("client: POST %s: decode answer: %w", p, err)
	}
	return &out, nil
}

// ListInvitations lists a project's pending invitations (operation
// listInvitations).
func (c *Client) ListInvitations(ctx context.Context, project string) ([]api.Invitation, error) {
	out, err := callPath[api.InvitationList](ctx, c, http.MethodGet, nil, nil, "/projects/%s/invitations", project)
	if err != nil {
		return nil, err
	}
	return out.Invitations, nil
}

// RevokeInvitation withdraws the invitation of email to a project
// (operation revokeInvitation).
func (c *Client) RevokeInvitation(ctx context.Context, project, email string) error {
	return c.noContent(ctx, http.MethodDelete, nil, "/projects/%s/invitations/%s", project, email)
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
