package coffer

import "time"

// TokenKind tells a personal access token from a service token.
type TokenKind string

// The token kinds and the prefixes their plain values start with.
const (
	TokenPersonal TokenKind = "personal" // acts as its user
	TokenService  TokenKind = "service"  // scoped to environments of one project

	PersonalTokenPrefix = "cof_pat_"
	ServiceTokenPrefix  = "cof_svc_"
	RefreshTokenPrefix  = "cof_rt_"
)

// Access is what a service token may do in its environments.
type Access string

// Service token access levels.
const (
	AccessRead      Access = "read"
	AccessReadWrite Access = "read_write"
)

// Token is an opaque bearer credential, stored only as a hash.
type Token struct {
	ID           string
	Kind         TokenKind
	Name         string
	Hash         []byte
	UserID       string   // personal tokens: the owner; service tokens: the creator
	ProjectID    string   // service tokens only
	Environments []string // service tokens only: environment ids in scope
	Access       Access   // service tokens only
	CreatedAt    time.Time
	ExpiresAt    *time.Time
	LastUsedAt   *time.Time
	RevokedAt    *time.Time
}

// Active reports whether the token can be used at now.
func (t *Token) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}
