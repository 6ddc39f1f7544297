package store

import (
	"context"
	"database/sql"

	"github.com/cofferhq/coffer"
)

const msgInvitationNotFound = "Invitation not found."

// CreateInvitation records that inv.Email may join inv.ProjectID with
// inv.Role once it signs up; ECONFLICT if that email is already invited
// there.
func (q queries) CreateInvitation(ctx context.Context, inv *coffer.Invitation) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO invitations (project_id, email, role, invited_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
		inv.ProjectID, inv.Email, inv.Role, nullString(inv.InvitedBy), micros(inv.CreatedAt))
	if err != nil {
		return dbError(err, "create invitation", "", "This email is already invited to the project.")
	}
	return nil
}

// ListInvitations returns a project's pending invitations ordered by
// email (the primary key serves both the filter and the order).
func (q queries) ListInvitations(ctx context.Context, projectID string) ([]*coffer.Invitation, error) {
	return queryList(ctx, q, "list invitations", func(row scanner) (*coffer.Invitation, error) {
		var inv coffer.Invitation
		var invitedBy sql.NullString
		var created int64
		err := row.Scan(&inv.ProjectID, &inv.Email, &inv.Role, &invitedBy, &created)
		inv.InvitedBy, inv.CreatedAt = invitedBy.String, fromMicros(created)
		return &inv, err
	}, `
		SELECT project_id, email, role, invited_by, created_at FROM invitations
		WHERE project_id = $1
		ORDER BY email`, projectID)
}

// DeleteInvitation revokes the invitation of email to a project; ENOTFOUND
// if there is none.
func (q queries) DeleteInvitation(ctx context.Context, projectID, email string) error {
	err := q.execOne(ctx, `DELETE FROM invitations WHERE project_id = $1 AND email = $2`, projectID, email)
	if err != nil {
		return dbError(err, "delete invitation", msgInvitationNotFound, "")
	}
	return nil
}

// HasInvitation reports whether any project has invited email.
func (q queries) HasInvitation(ctx context.Context, email string) (bool, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM invitations WHERE email = $1`, email).Scan(&n)
	if err != nil {
		return false, dbError(err, "read invitations", "", "")
	}
	return n > 0, nil
}

// AcceptInvitations turns every invitation of u's email into a membership
// of u and removes the invitations.
func (q queries) AcceptInvitations(ctx context.Context, u *coffer.User) error {
	return q.atomic(ctx, func(q queries) error { return q.acceptInvitations(ctx, u) })
}

func (q queries) acceptInvitations(ctx context.Context, u *coffer.User) error {
	if _, err := q.db.ExecContext(ctx, `
		INSERT INTO members (project_id, user_id, role, created_at)
		SELECT project_id, $1, role, $2 FROM invitations WHERE email = $3`,
		u.ID, micros(u.CreatedAt), u.Email); err != nil {
		return dbError(err, "accept invitations", "", "")
	}
	if _, err := q.db.ExecContext(ctx, `DELETE FROM invitations WHERE email = $1`, u.Email); err != nil {
		return dbError(err, "remove accepted invitations", "", "")
	}
	return nil
}
