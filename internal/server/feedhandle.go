package server

import (
	"log/slog"
	"slices"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/service"
)

var (
	errUnknownMessage = coffer.Errorf(coffer.EINVALID, `Unknown message; send {"type":"subscribe"|"unsubscribe","project":…,"environment":…}.`)
	errMissingFields  = coffer.Errorf(coffer.EINVALID, "Name the project and the environment.")
	errBadSince       = coffer.Errorf(coffer.EINVALID, "since must be a revision (0 or more).")
	errNotSubscribed  = coffer.Errorf(coffer.ENOTFOUND, "Not subscribed to this environment.")
)

// handle answers one client message.
func (c *feedConn) handle(m clientMessage) {
	switch m.Type {
	case msgSubscribe, msgUnsubscribe:
	default:
		c.send(errorMessage("", "", errUnknownMessage))
		return
	}
	if m.Project == "" || m.Environment == "" {
		c.send(errorMessage(m.Project, m.Environment, errMissingFields))
		return
	}
	if m.Type == msgUnsubscribe {
		c.unsubscribe(m)
		return
	}
	c.subscribe(m)
}

// subscribe replays what the client missed and then follows the
// environment live. The subscription to the broker is taken before the
// database is read (in Changes' resolved hook), and live events queue
// meanwhile: a change is then replayed, announced, or both — and the
// floor drops the announcement of one already replayed.
func (c *feedConn) subscribe(m clientMessage) {
	since := int64(-1) // no replay
	if m.Since != nil {
		if *m.Since < 0 {
			c.send(errorMessage(m.Project, m.Environment, errBadSince))
			return
		}
		since = *m.Since
	}
	if c.find(m.Project, m.Environment) == nil && len(c.subs) >= c.limits.MaxSubscriptions {
		c.send(errorMessage(m.Project, m.Environment, coffer.Errorf(coffer.ETOOLARGE,
			"At most %d subscriptions per connection.", c.limits.MaxSubscriptions)))
		return
	}
	var added *service.FeedScope
	ch, err := c.s.svc.Changes(c.ctx, m.Project, m.Environment, since, func(sc service.FeedScope) {
		if c.subs.get(sc.EnvironmentID) == nil {
			added = &sc
			c.sub.Add(sc.ProjectID, sc.EnvironmentID)
		}
	})
	if err != nil {
		if added != nil {
			c.sub.Remove(added.EnvironmentID)
		}
		c.fail(m.Project, m.Environment, err)
		return
	}
	for _, e := range ch.Events {
		c.sendEvent(e)
	}
	fs := &feedSub{scope: ch.FeedScope, floor: ch.Revision, revs: newRevisions(ch.Revision)}
	c.setSubs(append(c.subs.without(ch.EnvironmentID), fs)) // subscribed again: replaces the old one
	c.send(subscribedMessage(ch.FeedScope, ch.Revision))
}

func (c *feedConn) unsubscribe(m clientMessage) {
	fs := c.find(m.Project, m.Environment)
	if fs == nil {
		c.send(errorMessage(m.Project, m.Environment, errNotSubscribed))
		return
	}
	c.drop(fs)
}

// find returns the subscription the client names by slugs, or nil.
func (c *feedConn) find(project, env string) *feedSub {
	for _, fs := range c.subs {
		if fs.scope.Project == project && fs.scope.Environment == env {
			return fs
		}
	}
	return nil
}

func (c *feedConn) drop(fs *feedSub) {
	c.setSubs(c.subs.without(fs.scope.EnvironmentID))
	c.sub.Remove(fs.scope.EnvironmentID)
}

// fail reports a failed subscription; an internal error is logged here
// and shown as the generic message.
func (c *feedConn) fail(project, env string, err error) {
	switch coffer.ErrorCode(err) {
	case coffer.EUNAUTHORIZED:
		c.stop(closeRevoked)
		return
	case coffer.EINTERNAL, coffer.EUNAVAILABLE:
		c.log.LogAttrs(c.ctx, slog.LevelError, "live feed subscribe failed", slog.Any("error", err))
	}
	c.send(errorMessage(project, env, err))
}

// deliver forwards a broker event to the client if it concerns one of its
// subscriptions, and acts on the events that end access.
func (c *feedConn) deliver(e coffer.Event) {
	switch e.Type {
	case coffer.EventSessionRevoked, coffer.EventTokenRevoked:
		c.revoked(e)
		return
	case coffer.EventProjectDeleted:
		for _, fs := range c.subs {
			if fs.scope.ProjectID == e.ProjectID {
				c.drop(fs)
				c.send(errorMessage(fs.scope.Project, fs.scope.Environment, coffer.Errorf(coffer.ENOTFOUND, "Project not found.")))
			}
		}
		return
	}
	if coffer.IsEnvironmentEvent(e.Type) {
		c.deliverLifecycle(e)
		return
	}
	if e.EnvironmentID == "" { // project-wide: members, the project itself
		if e.Type == coffer.EventProjectUpdated {
			c.rename(e)
		}
		if c.watchesProject(e.ProjectID) {
			c.sendEvent(e)
		}
		if (e.Type == coffer.EventMemberRemoved || e.Type == coffer.EventMemberUpdated) && e.UserID == c.actor.UserID && c.actor.IsUser() {
			c.recheck(e.ProjectID)
		}
		return
	}
	fs := c.subs.get(e.EnvironmentID)
	if fs == nil {
		return // unsubscribed since the event was queued, or not yet subscribed
	}
	if isSecretEvent(e.Type) {
		if e.Revision <= fs.floor {
			return // in the replay already
		}
		if fs.revs.see(e.Revision, time.Now()); fs.revs.open() {
			c.checkGaps()
		}
	}
	c.sendEvent(e)
}

// deliverLifecycle forwards the creation, update or deletion of an
// environment to a connection watching it or, since a new environment has
// no subscribers yet, any other environment of its project — to the
// latter only if the caller may read the environment (a service token
// outside its scope may not). These events take no revision of their own
// and are never replayed: a client that was away learns of them by
// listing the environments again. A deleted environment's subscription
// ends after its event.
func (c *feedConn) deliverLifecycle(e coffer.Event) {
	fs := c.subs.get(e.EnvironmentID)
	if fs == nil && (!c.watchesProject(e.ProjectID) || !c.mayRead(e)) {
		return
	}
	if fs != nil && e.Type == coffer.EventEnvironmentUpdated {
		c.rename(e)
	}
	c.sendEvent(e)
	if fs != nil && e.Type == coffer.EventEnvironmentDeleted {
		c.drop(fs)
		c.send(errorMessage(fs.scope.Project, fs.scope.Environment, coffer.Errorf(coffer.ENOTFOUND, "Environment not found.")))
	}
}

// rename gives the subscriptions e names the slugs e carries, so that the
// client unsubscribes by, and errors name, the slugs as they are now. A
// subscription's scope never changes in place (scopes reads it without
// waiting for the connection's work): a renamed one is a copy.
func (c *feedConn) rename(e coffer.Event) {
	var subs feedSubs
	for i, fs := range c.subs {
		scope := fs.scope
		if scope.ProjectID == e.ProjectID && e.Project != "" {
			scope.Project = e.Project
		}
		if scope.EnvironmentID == e.EnvironmentID && e.Environment != "" {
			scope.Environment = e.Environment
		}
		if scope == fs.scope {
			continue
		}
		if subs == nil {
			subs = slices.Clone(c.subs)
		}
		moved := *fs
		moved.scope = scope
		subs[i] = &moved
	}
	if subs != nil {
		c.setSubs(subs)
	}
}

// mayRead asks the service whether the caller may read e's environment.
// A database error withholds the event: it is never replayed, but the
// next listing of the environments shows what it announced.
func (c *feedConn) mayRead(e coffer.Event) bool {
	err := c.s.svc.FeedSeesEnvironment(c.ctx, e.ProjectID, e.EnvironmentID)
	if err == nil {
		return true
	}
	if code := coffer.ErrorCode(err); code != coffer.ENOTFOUND && code != coffer.EFORBIDDEN {
		c.log.LogAttrs(c.ctx, slog.LevelWarn, "live feed withheld an environment event",
			slog.String("event", e.Type), slog.Any("error", err))
	}
	return false
}

func (c *feedConn) watchesProject(projectID string) bool {
	for _, fs := range c.subs {
		if fs.scope.ProjectID == projectID {
			return true
		}
	}
	return false
}

// revoked closes the connection when its own session or token ended. An
// event naming only the user (a password change signs out the other
// sessions) is checked against the database.
func (c *feedConn) revoked(e coffer.Event) {
	switch {
	case e.SessionID != "" && e.SessionID == c.actor.SessionID,
		e.TokenID != "" && e.TokenID == c.actor.TokenID:
		c.stop(closeRevoked)
	case e.SessionID == "" && e.TokenID == "" && e.UserID != "" && e.UserID == c.actor.UserID:
		c.recheck("")
	}
}
