package coffer

import "time"

// Audit actions. An event never carries a secret value.
const (
	AuditLogin          = "auth.login"
	AuditLoginFailed    = "auth.login_failed"
	AuditLogout         = "auth.logout"
	AuditSignup         = "auth.signup"
	AuditRefreshReuse   = "auth.refresh_reuse"
	AuditPasswordChange = "user.password_changed"
	AuditUserUpdate     = "user.updated"
	AuditUserDelete     = "user.deleted"
	AuditUserExport     = "user.exported"
	AuditSessionRevoke  = "session.revoked"
	AuditTokenCreate    = "token.created"
	AuditTokenRevoke    = "token.revoked"
	AuditProjectCreate  = "project.created"
	AuditProjectUpdate  = "project.updated"
	AuditProjectDelete  = "project.deleted"
	AuditMemberAdd      = "member.added"
	AuditMemberInvite   = "member.invited"
	AuditInviteRevoke   = "member.invitation_revoked"
	AuditMemberUpdate   = "member.updated"
	AuditMemberRemove   = "member.removed"
	AuditEnvCreate      = "environment.created"
	AuditEnvUpdate      = "environment.updated"
	AuditEnvDelete      = "environment.deleted"
	AuditSecretRead     = "secret.read"
	AuditSecretsRead    = "secrets.read" // one event per bulk read, naming the keys
	AuditSecretWrite    = "secret.written"
	AuditSecretDelete   = "secret.deleted"
	AuditSecretRollback = "secret.rolled_back"
	AuditSecretsImport  = "secrets.imported"
	AuditSecretVersions = "secret.versions_read"
)

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// AuditEvent is one append-only, hash-chained record of who did what.
type AuditEvent struct {
	Seq           int64 // position in the chain, from 1
	ID            string
	Time          time.Time
	ActorType     ActorType
	ActorID       string
	Action        string
	Outcome       string
	ProjectID     string
	EnvironmentID string
	Target        string   // e.g. a secret key, a member's user id, a token id
	Keys          []string // secret keys touched (bulk reads and imports)
	IP            string
	UserAgent     string
	RequestID     string
	PrevHash      []byte
	Hash          []byte
}

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	ProjectID     string
	ActorID       string
	Action        string
	EnvironmentID string
	From, To      time.Time
	BeforeSeq     int64 // cursor: events with Seq < BeforeSeq (newest first)
	Limit         int
}
