package coffer

import (
	"context"
	"time"
)

// Event types: what subscribers of the live feed are told. Events carry
// ids, keys, versions and revisions — never values.
const (
	EventSecretCreated      = "secret.created"
	EventSecretUpdated      = "secret.updated"
	EventSecretDeleted      = "secret.deleted"
	EventEnvironmentCreated = "environment.created"
	EventEnvironmentUpdated = "environment.updated"
	EventEnvironmentDeleted = "environment.deleted"
	EventMemberAdded        = "member.added"
	EventMemberUpdated      = "member.updated"
	EventMemberRemoved      = "member.removed"

	// Internal events that end access: feeds close what they revoke.
	EventSessionRevoked = "session.revoked"
	EventTokenRevoked   = "token.revoked"
	EventProjectDeleted = "project.deleted"
	EventProjectUpdated = "project.updated" // renamed: caches drop the old slug
)

// Event is one change, published after its transaction commits.
type Event struct {
	Type          string    `json:"type"`
	ProjectID     string    `json:"project_id"`
	Project       string    `json:"project"` // slug
	EnvironmentID string    `json:"environment_id,omitempty"`
	Environment   string    `json:"environment,omitempty"` // slug
	Key           string    `json:"key,omitempty"`
	Version       int       `json:"version,omitempty"`
	Revision      int64     `json:"revision,omitempty"`
	UserID        string    `json:"user_id,omitempty"`    // member events; whose session or token ended
	SessionID     string    `json:"session_id,omitempty"` // session.revoked
	TokenID       string    `json:"token_id,omitempty"`   // token.revoked
	ActorType     ActorType `json:"actor_type"`
	ActorID       string    `json:"actor_id"`
	At            time.Time `json:"at"`
}

// IsEnvironmentEvent reports whether typ announces the creation, update or
// deletion of an environment: news for every watcher of its project that
// may read it, not only for its subscribers (a new one has none yet).
func IsEnvironmentEvent(typ string) bool {
	switch typ {
	case EventEnvironmentCreated, EventEnvironmentUpdated, EventEnvironmentDeleted:
		return true
	}
	return false
}

// EventPublisher delivers committed events to subscribers, on this
// instance and — with a shared bus — on every other. Publish must not
// block on slow subscribers.
type EventPublisher interface {
	Publish(ctx context.Context, events ...Event)
}
