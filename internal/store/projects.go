package store

import (
	"context"

	"github.com/cofferhq/coffer"
)

const (
	msgProjectNotFound = "Project not found."
	msgProjectSlug     = "A project with this slug already exists."
)

const projectColumns = `p.id, p.slug, p.name, p.wrapped_dek, p.kek_id, p.created_at, p.updated_at`

func scanProject(row scanner) (*coffer.Project, error) {
	var p coffer.Project
	var created, updated int64
	if err := row.Scan(&p.ID, &p.Slug, &p.Name, &p.WrappedDEK, &p.KEKID, &created, &updated); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

// CreateProject stores a new project; ECONFLICT if the slug is taken.
func (q queries) CreateProject(ctx context.Context, p *coffer.Project) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO projects (id, slug, name, wrapped_dek, kek_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, p.Slug, p.Name, p.WrappedDEK, p.KEKID, micros(p.CreatedAt), micros(p.UpdatedAt))
	if err != nil {
		return dbError(err, "create project", "", msgProjectSlug)
	}
	return nil
}

// ProjectByID returns a project; ENOTFOUND if there is none.
func (q queries) ProjectByID(ctx context.Context, id string) (*coffer.Project, error) {
	p, err := scanProject(q.db.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.id = $1`, id))
	if err != nil {
		return nil, dbError(err, "read project", msgProjectNotFound, "")
	}
	return p, nil
}

// ProjectBySlug returns a project; ENOTFOUND if there is none.
func (q queries) ProjectBySlug(ctx context.Context, slug string) (*coffer.Project, error) {
	p, err := scanProject(q.db.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.slug = $1`, slug))
	if err != nil {
		return nil, dbError(err, "read project by slug", msgProjectNotFound, "")
	}
	return p, nil
}

// ListUserProjects returns the projects a user is a member of, with the
// user's role in each, ordered by slug.
func (q queries) ListUserProjects(ctx context.Context, userID string) ([]ProjectRole, error) {
	return queryList(ctx, q, "list user projects", func(row scanner) (ProjectRole, error) {
		var pr ProjectRole
		var p coffer.Project
		var created, updated int64
		err := row.Scan(&p.ID, &p.Slug, &p.Name, &p.WrappedDEK, &p.KEKID, &created, &updated, &pr.Role)
		p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
		pr.Project = &p
		return pr, err
	}, `
		SELECT `+projectColumns+`, m.role FROM members m
		JOIN projects p ON p.id = m.project_id
		WHERE m.user_id = $1
		ORDER BY p.slug`, userID)
}

// UpdateProject saves a project's slug, name, wrapped key, key id and
// update time; ENOTFOUND if it is gone, ECONFLICT if the slug is taken.
func (q queries) UpdateProject(ctx context.Context, p *coffer.Project) error {
	err := q.execOne(ctx, `
		UPDATE projects SET slug = $2, name = $3, wrapped_dek = $4, kek_id = $5, updated_at = $6
		WHERE id = $1`,
		p.ID, p.Slug, p.Name, p.WrappedDEK, p.KEKID, micros(p.UpdatedAt))
	if err != nil {
		return dbError(err, "update project", msgProjectNotFound, msgProjectSlug)
	}
	return nil
}

// DeleteProject deletes a project with its environments, secrets and their
// versions, members and service tokens; ENOTFOUND if there is none.
func (q queries) DeleteProject(ctx context.Context, id string) error {
	if err := q.execOne(ctx, `DELETE FROM projects WHERE id = $1`, id); err != nil {
		return dbError(err, "delete project", msgProjectNotFound, "")
	}
	return nil
}
