package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/cofferhq/coffer"
)

const (
	msgSessionNotFound      = "Session not found."
	msgRefreshTokenNotFound = "Refresh token not found."
)

const sessionColumns = `id, user_id, user_agent, ip, created_at, last_seen_at, expires_at, revoked_at`

func scanSession(row scanner) (*coffer.Session, error) {
	var s coffer.Session
	var created, seen, expires int64
	var revoked sql.NullInt64
	if err := row.Scan(&s.ID, &s.UserID, &s.UserAgent, &s.IP, &created, &seen, &expires, &revoked); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	s.RevokedAt = timePtr(revoked)
	return &s, nil
}

// CreateSession stores a new session.
func (q queries) CreateSession(ctx context.Context, s *coffer.Session) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.ID, s.UserID, s.UserAgent, s.IP, micros(s.CreatedAt), micros(s.LastSeenAt), micros(s.ExpiresAt), nullMicros(s.RevokedAt))
	if err != nil {
		return dbError(err, "create session", "", "")
	}
	return nil
}

// SessionByID returns a session, active or not; ENOTFOUND if there is none.
func (q queries) SessionByID(ctx context.Context, id string) (*coffer.Session, error) {
	s, err := scanSession(q.db.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id))
	if err != nil {
		return nil, dbError(err, "read session", msgSessionNotFound, "")
	}
	return s, nil
}

// ListSessions returns a user's sessions that are neither revoked nor
// expired at now, newest first.
func (q queries) ListSessions(ctx context.Context, userID string, now time.Time) ([]*coffer.Session, error) {
	return queryList(ctx, q, "list sessions", scanSession, `
		SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
		ORDER BY created_at DESC, id DESC`, userID, micros(now))
}

// TouchSession records that the session was used at at; ENOTFOUND if there
// is none.
func (q queries) TouchSession(ctx context.Context, id string, at time.Time) error {
	if err := q.execOne(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, id, micros(at)); err != nil {
		return dbError(err, "touch session", msgSessionNotFound, "")
	}
	return nil
}

// RevokeSession revokes a session; revoking it again keeps the first
// revocation time. ENOTFOUND if there is none.
func (q queries) RevokeSession(ctx context.Context, id string, at time.Time) error {
	err := q.execOne(ctx, `UPDATE sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, micros(at))
	if err != nil {
		return dbError(err, "revoke session", msgSessionNotFound, "")
	}
	return nil
}

// RevokeUserSessions revokes every active session of a user except
// exceptID ("" for none) and returns how many it revoked.
func (q queries) RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time) (int, error) {
	// The id is compared as text: exceptID may be "", which is not a UUID.
	n, err := q.exec(ctx, `
		UPDATE sessions SET revoked_at = $3
		WHERE user_id = $1 AND CAST(id AS TEXT) <> $2 AND revoked_at IS NULL`, userID, exceptID, micros(at))
	if err != nil {
		return 0, dbError(err, "revoke user sessions", "", "")
	}
	return n, nil
}

// DeleteExpiredSessions deletes sessions that expired or were revoked
// before before, with their refresh tokens, and returns how many.
func (q queries) DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error) {
	n, err := q.exec(ctx, `DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1`, micros(before))
	if err != nil {
		return 0, dbError(err, "delete expired sessions", "", "")
	}
	return n, nil
}

// CreateRefreshToken stores a refresh token of a session.
func (q queries) CreateRefreshToken(ctx context.Context, rt *coffer.RefreshToken) error {
	_, err := q.db.ExecContext(ctx, `
		INSERT INTO refresh_tokens (hash, session_id, created_at, used_at) VALUES ($1, $2, $3, $4)`,
		rt.Hash, rt.SessionID, micros(rt.CreatedAt), nullMicros(rt.UsedAt))
	if err != nil {
		return dbError(err, "create refresh token", "", "Refresh token already exists.")
	}
	return nil
}

// RefreshTokenByHash returns a refresh token, used or not; ENOTFOUND if
// there is none.
func (q queries) RefreshTokenByHash(ctx context.Context, hash []byte) (*coffer.RefreshToken, error) {
	var rt coffer.RefreshToken
	var created int64
	var used sql.NullInt64
	err := q.db.QueryRowContext(ctx, `
		SELECT hash, session_id, created_at, used_at FROM refresh_tokens WHERE hash = $1`, hash).
		Scan(&rt.Hash, &rt.SessionID, &created, &used)
	if err != nil {
		return nil, dbError(err, "read refresh token", msgRefreshTokenNotFound, "")
	}
	rt.CreatedAt, rt.UsedAt = fromMicros(created), timePtr(used)
	return &rt, nil
}

// UseRefreshToken marks a refresh token used at at and reports true, or
// reports false when it was already used: a replay, which the caller
// answers by revoking the session. The check and the mark are one
// statement, so two concurrent refreshes cannot both win. ENOTFOUND if
// there is no such token.
func (q queries) UseRefreshToken(ctx context.Context, hash []byte, at time.Time) (bool, error) {
	n, err := q.exec(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE hash = $1 AND used_at IS NULL`, hash, micros(at))
	if err != nil {
		return false, dbError(err, "use refresh token", "", "")
	}
	if n == 1 {
		return true, nil
	}
	if _, err := q.RefreshTokenByHash(ctx, hash); err != nil {
		return false, err
	}
	return false, nil
}
