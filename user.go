package coffer

import "time"

// User is a person who signs in to Coffer.
type User struct {
	ID           string
	Email        string // stored lower-cased; unique
	Name         string
	PasswordHash []byte // bcrypt; never leaves the server
	IsAdmin      bool   // instance administrator (the first user to sign up)
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Session is one sign-in on one device. Its refresh tokens rotate; reuse of a
// rotated refresh token revokes the whole session.
type Session struct {
	ID         string
	UserID     string
	UserAgent  string
	IP         string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

// Active reports whether the session can still be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// RefreshToken is one link of a session's refresh chain, stored by hash.
type RefreshToken struct {
	Hash      []byte
	SessionID string
	CreatedAt time.Time
	UsedAt    *time.Time // set when rotated; a second use is a replay
}
