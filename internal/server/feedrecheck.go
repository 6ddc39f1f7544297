package server

import (
	"context"
	"errors"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/service"
)

// A socket outlives the request that opened it, so a feed checks again
// that its credential is live and its subscriptions readable. Events make
// that immediate: a revocation closes the feed at once, a member removed
// or changed rechecks the project (recheck). The periodic recheck is the
// fallback for what announces nothing — a session that merely expires, an
// event lost on its way — and bounds it: each connection is rechecked once
// per RecheckInterval.

// recheckFeeds is one tick of the periodic recheck, over the connections
// of one slot of the hub's recheck wheel. All the connections of a
// credential share a slot: the credential is checked once for all of
// them, and each environment they watch once for all of them. The
// database work runs here, one query at a time; each connection then
// takes the answers on a goroutine of its own, which may wait for the
// connection's work in progress or send.
func (s *Server) recheckFeeds(conns []*feedConn) {
	byCredential := map[[2]string][]*feedConn{}
	for _, c := range conns {
		k := [2]string{c.actor.SessionID, c.actor.TokenID}
		byCredential[k] = append(byCredential[k], c)
	}
	for _, group := range byCredential {
		ctx := group[0].ctx // the same credential and actor for all of them
		if !s.credentialLive(ctx, group...) {
			continue
		}
		access := map[service.FeedScope]accessResult{}
		for _, c := range group {
			for _, sc := range c.scopes() {
				if _, ok := access[sc]; !ok {
					rev, err := s.svc.FeedAccess(ctx, sc)
					access[sc] = accessResult{rev, err}
				}
			}
		}
		for _, c := range group {
			c.spawn(func() {
				c.exec(func() {
					c.recheckAccess("", func(sc service.FeedScope) (int64, error) {
						r, ok := access[sc]
						if !ok {
							return 0, errNotRechecked
						}
						return r.rev, r.err
					})
				})
			})
		}
	}
}

// credentialLive reports whether the credential in ctx, which conns share,
// is still live, and closes conns if it has ended. A database error
// reports false and keeps them open: the next check decides.
func (s *Server) credentialLive(ctx context.Context, conns ...*feedConn) bool {
	err := s.svc.CredentialLive(ctx)
	if coffer.ErrorCode(err) == coffer.EUNAUTHORIZED {
		for _, c := range conns {
			c.stop(closeRevoked)
		}
	}
	return err == nil
}

// accessResult is FeedAccess's answer for one scope.
type accessResult struct {
	rev int64
	err error
}

// errNotRechecked answers for a subscription made after the pass looked:
// it stays as it is.
var errNotRechecked = errors.New("subscribed after the recheck began")

// recheck asks the service whether the connection's credential is still
// live and, for the subscriptions of projectID (all when ""), whether
// they are still readable; it closes the connection or drops the
// subscriptions that are not. A database error keeps things as they are:
// the next check decides. Events that may end access call it.
func (c *feedConn) recheck(projectID string) {
	if !c.s.credentialLive(c.ctx, c) {
		return
	}
	c.recheckAccess(projectID, func(sc service.FeedScope) (int64, error) { return c.s.svc.FeedAccess(c.ctx, sc) })
}

// recheckAccess asks access whether each subscription of projectID (all
// when "") is still readable, once the credential is known to be live.
func (c *feedConn) recheckAccess(projectID string, access func(service.FeedScope) (int64, error)) {
	for _, fs := range c.subs {
		if projectID != "" && fs.scope.ProjectID != projectID {
			continue
		}
		rev, err := access(fs.scope)
		if err == nil {
			// A revision committed and never announced — the last write
			// before a quiet spell, lost — shows here.
			if fs.revs.exists(rev, time.Now()); fs.revs.open() {
				c.checkGaps()
			}
			continue
		}
		switch coffer.ErrorCode(err) {
		case coffer.EUNAUTHORIZED:
			c.stop(closeRevoked)
			return
		case coffer.ENOTFOUND, coffer.EFORBIDDEN:
			c.drop(fs)
			c.send(errorMessage(fs.scope.Project, fs.scope.Environment, err))
		}
	}
}
