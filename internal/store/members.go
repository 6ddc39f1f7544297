package store

import (
	"context"

	"github.com/cofferhq/coffer"
)

const (
	msgMemberNotFound = "Member not found."
	msgMemberExists   = "This user is already a member of the project."
)

// AddMember adds a user to a project; ECONFLICT if they are a member
// already.
func (q queries) AddMember(ctx context.Context, m *coffer.Member) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		m.ProjectID, m.UserID, m.Role, micros(m.CreatedAt))
	if err != nil {
		return dbError(err, "add member", "", msgMemberExists)
	}
	return nil
}

// MemberRole returns a user's role in a project; ENOTFOUND if they are not
// a member. Every project request calls it.
func (q queries) MemberRole(ctx context.Context, projectID, userID string) (coffer.Role, error) {
	var role coffer.Role
	err := q.db.QueryRowContext(ctx, `
		SELECT role FROM members WHERE project_id = $1 AND user_id = $2`, projectID, userID).Scan(&role)
	if err != nil {
		return "", dbError(err, "read member role", msgMemberNotFound, "")
	}
	return role, nil
}

// ListMembers returns a project's members with their email and name,
// ordered by email.
func (q queries) ListMembers(ctx context.Context, projectID string) ([]*coffer.Member, error) {
	return queryList(ctx, q, "list members", func(row scanner) (*coffer.Member, error) {
		var m coffer.Member
		var created int64
		err := row.Scan(&m.ProjectID, &m.UserID, &m.Email, &m.Name, &m.Role, &created)
		m.CreatedAt = fromMicros(created)
		return &m, err
	}, `
		SELECT m.project_id, m.user_id, u.email, u.name, m.role, m.created_at FROM members m
		JOIN users u ON u.id = m.user_id
		WHERE m.project_id = $1
		ORDER BY u.email`, projectID)
}

// UpdateMemberRole changes a member's role; ENOTFOUND if they are not a
// member.
func (q queries) UpdateMemberRole(ctx context.Context, projectID, userID string, role coffer.Role) error {
	err := q.execOne(ctx, `UPDATE members SET role = $3 WHERE project_id = $1 AND user_id = $2`, projectID, userID, role)
	if err != nil {
		return dbError(err, "update member role", msgMemberNotFound, "")
	}
	return nil
}

// RemoveMember removes a user from a project; ENOTFOUND if they are not a
// member.
func (q queries) RemoveMember(ctx context.Context, projectID, userID string) error {
	err := q.execOne(ctx, `DELETE FROM members WHERE project_id = $1 AND user_id = $2`, projectID, userID)
	if err != nil {
		return dbError(err, "remove member", msgMemberNotFound, "")
	}
	return nil
}

// CountOwners returns how many owners a project has, so that the last one
// cannot leave or be demoted.
func (q queries) CountOwners(ctx context.Context, projectID string) (int, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `
		SELECT count(*) FROM members WHERE project_id = $1 AND role = 'owner'`, projectID).Scan(&n)
	if err != nil {
		return 0, dbError(err, "count owners", "", "")
	}
	return n, nil
}

// SoleOwnerProjects returns the projects, ordered by slug, that the user
// owns with no other owner: deleting the user would leave them ownerless.
func (q queries) SoleOwnerProjects(ctx context.Context, userID string) ([]*coffer.Project, error) {
	return queryList(ctx, q, "list sole-owner projects", scanProject, `
		SELECT `+projectColumns+` FROM members m
		JOIN projects p ON p.id = m.project_id
		WHERE m.user_id = $1 AND m.role = 'owner' AND NOT EXISTS (
			SELECT 1 FROM members o
			WHERE o.project_id = m.project_id AND o.role = 'owner' AND o.user_id <> m.user_id)
		ORDER BY p.slug`, userID)
}
