package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/cofferhq/coffer"
)

const msgTokenNotFound = "Token not found."

const tokenColumns = `id, kind, name, hash, user_id, project_id, access, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row scanner) (*coffer.Token, error) {
	var t coffer.Token
	var userID, projectID sql.NullString
	var created int64
	var expires, used, revoked sql.NullInt64
	err := row.Scan(&t.ID, &t.Kind, &t.Name, &t.Hash, &userID, &projectID, &t.Access,
		&created, &expires, &used, &revoked)
	if err != nil {
		return nil, err
	}
	t.UserID, t.ProjectID = userID.String, projectID.String
	t.CreatedAt = fromMicros(created)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = timePtr(expires), timePtr(used), timePtr(revoked)
	return &t, nil
}

// CreateToken stores a personal or service token with its environments
// (kept in the order given); ECONFLICT if the hash exists.
func (q queries) CreateToken(ctx context.Context, t *coffer.Token) error {
	return q.atomic(ctx, func(q queries) error {
		_, err := q.db.ExecContext(ctx, `
			INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			t.ID, t.Kind, t.Name, t.Hash, nullString(t.UserID), nullString(t.ProjectID), t.Access,
			micros(t.CreatedAt), nullMicros(t.ExpiresAt), nullMicros(t.LastUsedAt), nullMicros(t.RevokedAt))
		if err != nil {
			return dbError(err, "create token", "", "Token already exists.")
		}
		for i, envID := range t.Environments {
			_, err := q.db.ExecContext(ctx, `
				INSERT INTO token_environments (token_id, environment_id, pos) VALUES ($1, $2, $3)`,
				t.ID, envID, i)
			if err != nil {
				return dbError(err, "create token scope", "", "The token names an environment twice.")
			}
		}
		return nil
	})
}

// TokenByHash returns the token with this hash, with its scope, whether
// active or not; ENOTFOUND if there is none. Every bearer request calls it.
func (q queries) TokenByHash(ctx context.Context, hash []byte) (*coffer.Token, error) {
	return q.token(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash)
}

// TokenByID returns a token with its scope; ENOTFOUND if there is none.
func (q queries) TokenByID(ctx context.Context, id string) (*coffer.Token, error) {
	return q.token(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = $1`, id)
}

func (q queries) token(ctx context.Context, query string, arg any) (*coffer.Token, error) {
	t, err := scanToken(q.db.QueryRowContext(ctx, query, arg))
	if err != nil {
		return nil, dbError(err, "read token", msgTokenNotFound, "")
	}
	if t.Kind != coffer.TokenService {
		return t, nil
	}
	t.Environments, err = queryList(ctx, q, "read token scope", scanString, `
		SELECT environment_id FROM token_environments WHERE token_id = $1 ORDER BY pos`, t.ID)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func scanString(row scanner) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}

// ListPersonalTokens returns a user's personal tokens that are not revoked,
// expired ones included, newest first.
func (q queries) ListPersonalTokens(ctx context.Context, userID string) ([]*coffer.Token, error) {
	return queryList(ctx, q, "list personal tokens", scanToken, `
		SELECT `+tokenColumns+` FROM tokens
		WHERE user_id = $1 AND kind = 'personal' AND revoked_at IS NULL
		ORDER BY created_at DESC, id DESC`, userID)
}

// ListProjectTokens returns a project's service tokens that are not
// revoked, expired ones included, newest first, with their scopes.
func (q queries) ListProjectTokens(ctx context.Context, projectID string) ([]*coffer.Token, error) {
	tokens, err := queryList(ctx, q, "list project tokens", scanToken, `
		SELECT `+tokenColumns+` FROM tokens
		WHERE project_id = $1 AND revoked_at IS NULL
		ORDER BY created_at DESC, id DESC`, projectID)
	if err != nil || len(tokens) == 0 {
		return tokens, err
	}
	// All scopes in one query rather than one per token.
	type scope struct{ tokenID, envID string }
	scopes, err := queryList(ctx, q, "list project token scopes", func(row scanner) (scope, error) {
		var s scope
		err := row.Scan(&s.tokenID, &s.envID)
		return s, err
	}, `
		SELECT te.token_id, te.environment_id FROM token_environments te
		JOIN tokens t ON t.id = te.token_id
		WHERE t.project_id = $1 AND t.revoked_at IS NULL
		ORDER BY te.token_id, te.pos`, projectID)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*coffer.Token, len(tokens))
	for _, t := range tokens {
		byID[t.ID] = t
	}
	for _, s := range scopes {
		if t := byID[s.tokenID]; t != nil {
			t.Environments = append(t.Environments, s.envID)
		}
	}
	return tokens, nil
}

// RevokeToken revokes a token; revoking it again keeps the first time.
// ENOTFOUND if there is none.
func (q queries) RevokeToken(ctx context.Context, id string, at time.Time) error {
	err := q.execOne(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, micros(at))
	if err != nil {
		return dbError(err, "revoke token", msgTokenNotFound, "")
	}
	return nil
}

// TouchToken records that a token was used at at; ENOTFOUND if there is
// none.
func (q queries) TouchToken(ctx context.Context, id string, at time.Time) error {
	if err := q.execOne(ctx, `UPDATE tokens SET last_used_at = $2 WHERE id = $1`, id, micros(at)); err != nil {
		return dbError(err, "touch token", msgTokenNotFound, "")
	}
	return nil
}

// DeleteExpiredTokens deletes tokens that expired or were revoked before
// before, and returns how many.
func (q queries) DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error) {
	n, err := q.exec(ctx, `DELETE FROM tokens WHERE expires_at < $1 OR revoked_at < $1`, micros(before))
	if err != nil {
		return 0, dbError(err, "delete expired tokens", "", "")
	}
	return n, nil
}
