package coffer

import "context"

// ActorType tells who acted.
type ActorType string

// The kinds of actor.
const (
	ActorUser   ActorType = "user"
	ActorToken  ActorType = "token" // a service token
	ActorSystem ActorType = "system"
	ActorAnon   ActorType = "anonymous"
)

// Actor is the authenticated caller of an operation.
type Actor struct {
	Type ActorType
	ID   string // user id, token id, or "" for system/anonymous

	// Set for users (directly or through a personal token).
	UserID    string
	SessionID string // browser and CLI sessions
	TokenID   string // personal or service token in use
	IsAdmin   bool

	// Set for service tokens.
	ProjectID    string
	Environments []string
	Access       Access
}

// IsUser reports whether the actor is a signed-in user.
func (a Actor) IsUser() bool { return a.Type == ActorUser && a.UserID != "" }

type actorKey struct{}

// NewContextWithActor returns a copy of ctx that carries a.
func NewContextWithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor in ctx, or an anonymous one.
func ActorFromContext(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Type: ActorAnon}
}

// Origin is where a request came from, recorded in audit events.
type Origin struct {
	IP        string
	UserAgent string
	RequestID string
}

type originKey struct{}

// NewContextWithOrigin returns a copy of ctx that carries o.
func NewContextWithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFromContext returns the origin in ctx, or a zero one.
func OriginFromContext(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}
