package store

import (
	"context"
	"time"

	"github.com/cofferhq/coffer"
)

const (
	msgEnvNotFound = "Environment not found."
	msgEnvSlug     = "An environment with this slug already exists in the project."
)

const environmentColumns = `id, project_id, slug, name, revision, created_at, updated_at`

func scanEnvironment(row scanner) (*coffer.Environment, error) {
	var e coffer.Environment
	var created, updated int64
	if err := row.Scan(&e.ID, &e.ProjectID, &e.Slug, &e.Name, &e.Revision, &created, &updated); err != nil {
		return nil, err
	}
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &e, nil
}

// CreateEnvironment stores a new environment; ECONFLICT if the project has
// one with the same slug.
func (q queries) CreateEnvironment(ctx context.Context, e *coffer.Environment) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO environments (`+environmentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.ID, e.ProjectID, e.Slug, e.Name, e.Revision, micros(e.CreatedAt), micros(e.UpdatedAt))
	if err != nil {
		return dbError(err, "create environment", "", msgEnvSlug)
	}
	return nil
}

// EnvironmentByID returns an environment; ENOTFOUND if there is none.
func (q queries) EnvironmentByID(ctx context.Context, id string) (*coffer.Environment, error) {
	e, err := scanEnvironment(q.db.QueryRowContext(ctx, `
		SELECT `+environmentColumns+` FROM environments WHERE id = $1`, id))
	if err != nil {
		return nil, dbError(err, "read environment", msgEnvNotFound, "")
	}
	return e, nil
}

// EnvironmentBySlug returns a project's environment; ENOTFOUND if there is
// none.
func (q queries) EnvironmentBySlug(ctx context.Context, projectID, slug string) (*coffer.Environment, error) {
	e, err := scanEnvironment(q.db.QueryRowContext(ctx, `
		SELECT `+environmentColumns+` FROM environments WHERE project_id = $1 AND slug = $2`, projectID, slug))
	if err != nil {
		return nil, dbError(err, "read environment by slug", msgEnvNotFound, "")
	}
	return e, nil
}

// ListEnvironments returns a project's environments in the order they were
// created (dev, staging, prod for a new project), then by slug.
func (q queries) ListEnvironments(ctx context.Context, projectID string) ([]*coffer.Environment, error) {
	return queryList(ctx, q, "list environments", scanEnvironment, `
		SELECT `+environmentColumns+` FROM environments
		WHERE project_id = $1
		ORDER BY created_at, slug`, projectID)
}

// UpdateEnvironment saves an environment's slug, name and update time;
// ENOTFOUND if it is gone, ECONFLICT if the slug is taken in the project.
func (q queries) UpdateEnvironment(ctx context.Context, e *coffer.Environment) error {
	err := q.execOne(ctx, `
		UPDATE environments SET slug = $2, name = $3, updated_at = $4 WHERE id = $1`,
		e.ID, e.Slug, e.Name, micros(e.UpdatedAt))
	if err != nil {
		return dbError(err, "update environment", msgEnvNotFound, msgEnvSlug)
	}
	return nil
}

// DeleteEnvironment deletes an environment with its secrets and their
// versions, and drops it from service token scopes; ENOTFOUND if there is
// none.
func (q queries) DeleteEnvironment(ctx context.Context, id string) error {
	if err := q.execOne(ctx, `DELETE FROM environments WHERE id = $1`, id); err != nil {
		return dbError(err, "delete environment", msgEnvNotFound, "")
	}
	return nil
}

// BumpRevision adds one to an environment's revision and returns the new
// value; ENOTFOUND if there is no such environment. Called first in a
// transaction that changes secrets, its row lock makes writers of one
// environment take turns, so revisions never repeat or go back.
func (q queries) BumpRevision(ctx context.Context, envID string, at time.Time) (int64, error) {
	var rev int64
	err := q.db.QueryRowContext(ctx, `
		UPDATE environments SET revision = revision + 1, updated_at = $2
		WHERE id = $1
		RETURNING revision`, envID, micros(at)).Scan(&rev)
	if err != nil {
		return 0, dbError(err, "bump environment revision", msgEnvNotFound, "")
	}
	return rev, nil
}
