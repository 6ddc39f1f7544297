package service

import (
	"context"

	"github.com/cofferhq/coffer"
)

// FeedScope is an environment a live feed watches, by id (what events are
// filtered on) and by slug (what the client named).
type FeedScope struct {
	ProjectID     string
	EnvironmentID string
	Project       string
	Environment   string
}

// Changes is what a feed subscriber missed: one event per secret changed
// after the revision it asked from, in revision order, and the revision it
// is now at.
type Changes struct {
	FeedScope
	Revision int64
	Events   []coffer.Event
}

// Changes resolves an environment the caller may read secrets of
// (ENOTFOUND otherwise, exactly as for a missing one) and lists the
// secrets changed after revision since, without opening a value. A
// negative since asks for no replay: only the current revision.
//
// resolved, if not nil, runs after the policy check and before the
// database read: a feed subscribes to live events there, so that every
// change is in the replay, among the live events, or both — never in
// neither.
//
// A key changed several times since the revision appears once, at its
// latest version and revision: the store keeps the current state of each
// key, and a client refetches values anyway. Its type is
// secret.deleted when it is deleted now, secret.created when its latest
// version is the first, secret.updated otherwise.
func (s *Service) Changes(ctx context.Context, project, env string, since int64, resolved func(FeedScope)) (*Changes, error) {
	sc, err := s.feedScope(ctx, project, env)
	if err != nil {
		return nil, err
	}
	c := &Changes{FeedScope: scopeOf(sc), Revision: sc.env.Revision}
	if resolved != nil {
		resolved(c.FeedScope)
	}
	// Read the revision again after the subscription: a change committed
	// before it is counted here (and replayed), one committed after it is
	// announced live; one in between is both, and the feed drops the
	// announcement by its revision.
	cur, err := s.Store.EnvironmentByID(ctx, sc.env.ID)
	if err != nil {
		return nil, notFoundAs(err, "Environment not found.")
	}
	c.Revision = cur.Revision
	if since < 0 {
		return c, nil
	}
	rows, err := s.Store.SecretsSince(ctx, sc.env.ID, since)
	if err != nil {
		return nil, err
	}
	for _, sec := range rows {
		typ := coffer.EventSecretUpdated
		switch {
		case sec.Deleted:
			typ = coffer.EventSecretDeleted
		case sec.Version == 1:
			typ = coffer.EventSecretCreated
		}
		e := s.change(ctx, typ, sc)
		e.Key, e.Version, e.Revision = sec.Key, sec.Version, sec.Revision
		e.ActorType, e.ActorID, e.At = sec.UpdatedBy.Type, sec.UpdatedBy.ID, sec.UpdatedAt
		c.Events = append(c.Events, e)
		c.Revision = max(c.Revision, sec.Revision)
	}
	return c, nil
}

// FeedAccess reports whether the caller in ctx may still follow sc: nil
// if so, ENOTFOUND if the project or environment is gone or no longer
// readable (a removed member, a narrowed token). It does not check the
// caller's session or token: a feed checks that with CredentialLive first,
// once for all its subscriptions, or once for all the feeds of one
// credential. Feeds call it when a revocation event concerns them, since
// a socket outlives the request that opened it, and every minute. It also
// returns the environment's revision (possibly a second old), by which a
// feed notices an event that never reached it.
func (s *Service) FeedAccess(ctx context.Context, sc FeedScope) (revision int64, err error) {
	// By id: the slugs the client subscribed with may have been renamed
	// since, which changes nothing of what it may read.
	p, err := s.Store.ProjectByID(ctx, sc.ProjectID)
	if err != nil {
		return 0, notFoundAs(err, "Project not found.")
	}
	env, err := s.Store.EnvironmentByID(ctx, sc.EnvironmentID)
	if err != nil || env.ProjectID != p.ID {
		return 0, notFoundAs(err, "Environment not found.")
	}
	got, err := s.feedScope(ctx, p.Slug, env.Slug)
	if err != nil {
		return 0, err
	}
	if got.env.ID != sc.EnvironmentID {
		return 0, errEnvNotFound // deleted and made again meanwhile
	}
	return got.env.Revision, nil
}

// FeedSeesEnvironment returns nil if the caller in ctx may read
// environment envID of project projectID, as the list of the project's
// environments would show it, and ENOTFOUND otherwise. A feed asks before
// it tells a connection that watches another environment of the project
// of that one's creation, update or deletion; it asks by id, since a
// deleted environment is no longer there to resolve.
func (s *Service) FeedSeesEnvironment(ctx context.Context, projectID, envID string) error {
	a := coffer.ActorFromContext(ctx)
	sc := &scope{actor: a, project: &coffer.Project{ID: projectID}, env: &coffer.Environment{ID: envID}}
	if a.IsUser() {
		role, err := s.memberRole(ctx, projectID, a.UserID)
		if err != nil {
			return err
		}
		sc.role = role
	}
	if !sc.can(coffer.ActProjectRead) || !sc.can(coffer.ActEnvRead) {
		return errEnvNotFound
	}
	return nil
}

// CredentialLive returns EUNAUTHORIZED unless the session or token the
// caller in ctx authenticated with is still live, as Authenticate would
// decide now.
func (s *Service) CredentialLive(ctx context.Context) error {
	a := coffer.ActorFromContext(ctx)
	now := s.Now()
	switch {
	case a.SessionID != "":
		sess, err := s.Store.SessionByID(ctx, a.SessionID)
		if err != nil {
			return liveErr(err)
		}
		if !sess.Active(now) || sess.UserID != a.UserID {
			return errBadToken
		}
		return nil
	case a.TokenID != "":
		t, err := s.Store.TokenByID(ctx, a.TokenID)
		if err != nil {
			return liveErr(err)
		}
		if !t.Active(now) {
			return errBadToken
		}
		return nil
	}
	return errBadToken
}

func liveErr(err error) error {
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		return errBadToken
	}
	return err
}

// feedScope resolves an environment the caller may read secrets of; one
// it may not read is missing, as the wire protocol promises.
func (s *Service) feedScope(ctx context.Context, project, env string) (*scope, error) {
	sc, err := s.environment(ctx, project, env, coffer.ActSecretRead)
	if coffer.ErrorCode(err) == coffer.EFORBIDDEN {
		return nil, errEnvNotFound
	}
	return sc, err
}

func scopeOf(sc *scope) FeedScope {
	return FeedScope{
		ProjectID: sc.project.ID, EnvironmentID: sc.env.ID,
		Project: sc.project.Slug, Environment: sc.env.Slug,
	}
}
