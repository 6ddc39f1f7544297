package store

import (
	"context"

	"github.com/cofferhq/coffer"
)

// CreateInvitation records that m.Email may join m.ProjectID with m.Role
// once it signs up; ECONFLICT if that email is already invited there.
func (q queries) CreateInvitation(ctx context.Context, m *coffer.Member, invitedBy string) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO invitations (project_id, email, role, invited_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
		m.ProjectID, m.Email, m.Role, nullString(invitedBy), micros(m.CreatedAt))
	if err != nil {
		return dbError(err, "create invitation", "", "This email is already invited to the project.")
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
