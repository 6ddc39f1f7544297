package server

import (
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/service"
)

// Message types of the live feed protocol (docs/live-events.md) that are
// not event types.
const (
	msgSubscribe   = "subscribe"
	msgUnsubscribe = "unsubscribe"
	msgSubscribed  = "subscribed"
	msgError       = "error"
)

// clientMessage is a frame a feed client sends.
type clientMessage struct {
	Type        string `json:"type"`
	Project     string `json:"project"`
	Environment string `json:"environment"`
	Since       *int64 `json:"since,omitempty"`
}

// feedMessage is a frame the server sends: an event, an acknowledgement
// or an error. It carries ids, keys, versions and revisions — never a
// value, and never the session or token ids of internal events.
type feedMessage struct {
	Type          string     `json:"type"`
	ProjectID     string     `json:"project_id,omitempty"`
	Project       string     `json:"project,omitempty"`
	EnvironmentID string     `json:"environment_id,omitempty"`
	Environment   string     `json:"environment,omitempty"`
	Key           string     `json:"key,omitempty"`
	Version       int        `json:"version,omitempty"`
	Revision      *int64     `json:"revision,omitempty"`
	UserID        string     `json:"user_id,omitempty"` // member events
	Actor         *feedActor `json:"actor,omitempty"`
	At            *time.Time `json:"at,omitempty"`
	Code          string     `json:"code,omitempty"`
	Detail        string     `json:"detail,omitempty"`
}

type feedActor struct {
	Type coffer.ActorType `json:"type"`
	ID   string           `json:"id,omitempty"`
}

// eventMessage is the frame announcing e.
func eventMessage(e coffer.Event) feedMessage {
	m := feedMessage{
		Type: e.Type, ProjectID: e.ProjectID, Project: e.Project,
		EnvironmentID: e.EnvironmentID, Environment: e.Environment,
		Key: e.Key, Version: e.Version, Actor: &feedActor{Type: e.ActorType, ID: e.ActorID},
	}
	if e.Revision != 0 {
		m.Revision = &e.Revision
	}
	if isMemberEvent(e.Type) {
		m.UserID = e.UserID
	}
	if !e.At.IsZero() {
		at := e.At.UTC()
		m.At = &at
	}
	return m
}

func subscribedMessage(sc service.FeedScope, revision int64) feedMessage {
	return feedMessage{
		Type: msgSubscribed, ProjectID: sc.ProjectID, Project: sc.Project,
		EnvironmentID: sc.EnvironmentID, Environment: sc.Environment, Revision: &revision,
	}
}

// errorMessage reports err, naming the subscription it concerns if any by
// the slugs the client sent: never by id, which would tell a refused
// caller that the environment exists.
// Internal errors get the generic message; their text is logged.
func errorMessage(project, env string, err error) feedMessage {
	return feedMessage{
		Type: msgError, Project: project, Environment: env,
		Code: coffer.ErrorCode(err), Detail: coffer.ErrorMessage(err),
	}
}

func isMemberEvent(typ string) bool {
	switch typ {
	case coffer.EventMemberAdded, coffer.EventMemberUpdated, coffer.EventMemberRemoved:
		return true
	}
	return false
}

func isSecretEvent(typ string) bool {
	switch typ {
	case coffer.EventSecretCreated, coffer.EventSecretUpdated, coffer.EventSecretDeleted:
		return true
	}
	return false
}
