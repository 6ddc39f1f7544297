// Package service holds Coffer's use cases. Every operation takes the actor
// from the context, asks the one policy function whether it may proceed,
// seals or opens values through the barrier, writes its audit event in the
// same transaction as its change, and only then touches the store.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/barrier"
	"github.com/cofferhq/coffer/internal/ratelimit"
	"github.com/cofferhq/coffer/internal/store"
)

// Signup modes.
const (
	SignupOpen   = "open"   // anyone may create an account
	SignupInvite = "invite" // only emails a project has invited
	SignupClosed = "closed" // only the first account (the instance admin)
)

// Config is what a Service needs. Every field but Events, Replicas,
// Bundles, Limiter, Now and HashSlots is required.
type Config struct {
	Store      *store.Store
	Keyring    *barrier.Keyring
	Signer     *auth.Signer
	Hasher     auth.Hasher
	CSRFKey    []byte
	AuditLog   *audit.Writer
	Logger     *slog.Logger
	SignupMode string
	AccessTTL  time.Duration
	SessionTTL time.Duration

	// Events receives every committed change (nil: nobody listens).
	Events coffer.EventPublisher

	// Replicas serve the rows of bulk secret reads when caught up (nil:
	// every read goes to the primary). See replica.go.
	Replicas *Replicas

	// Bundles is a cache of sealed bundles shared by every instance
	// (Redis), asked before the database when this instance's own cache
	// misses (nil: none). See bundles.go.
	Bundles SharedBundles

	// Limiter throttles password attempts per account (nil: no limit).
	Limiter      ratelimit.Limiter
	AccountLimit ratelimit.Limit

	// HashSlots caps concurrent bcrypt work so a login storm cannot take
	// every core from secret reads; 0 means half the CPUs, at least one.
	HashSlots int
	Now       func() time.Time
}

// Service implements Coffer's use cases.
type Service struct {
	Config
	hashSlots      chan struct{}
	passwordChecks atomic.Int64
	cache          *lookups
	bundles        *bundleCache
	deks           *dekCache
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HashSlots <= 0 {
		cfg.HashSlots = max(1, runtime.GOMAXPROCS(0)/2)
	}
	return &Service{Config: cfg, hashSlots: make(chan struct{}, cfg.HashSlots), cache: newLookups(cfg.Now), bundles: newBundleCache(), deks: newDEKCache()}
}

// PasswordChecks is how many passwords were compared with a hash since
// start, real or dummy: what login throttling is meant to bound.
func (s *Service) PasswordChecks() int64 { return s.passwordChecks.Load() }

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// event starts an audit event for the caller in ctx.
func (s *Service) event(ctx context.Context, action string) *coffer.AuditEvent {
	a := coffer.ActorFromContext(ctx)
	o := coffer.OriginFromContext(ctx)
	return &coffer.AuditEvent{
		ID:        newID(),
		Time:      s.now(),
		ActorType: a.Type,
		ActorID:   a.ID,
		Action:    action,
		Outcome:   coffer.OutcomeSuccess,
		IP:        o.IP,
		UserAgent: o.UserAgent,
		RequestID: o.RequestID,
	}
}

// tx runs fn in a transaction and appends the events fn returns to the
// audit chain in that same transaction: no change without its record.
func (s *Service) tx(ctx context.Context, fn func(tx *store.Tx) ([]*coffer.AuditEvent, error)) error {
	return s.Store.Tx(ctx, func(tx *store.Tx) error {
		events, err := fn(tx)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, events...)
	})
}

// record writes an audit event outside a change (reads, failures) and
// waits until it is durable.
func (s *Service) record(ctx context.Context, e *coffer.AuditEvent) error {
	if err := s.AuditLog.Record(ctx, e); err != nil {
		return fmt.Errorf("record %s: %w", e.Action, err)
	}
	return nil
}

// hashSlot waits for a free bcrypt slot.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	select {
	case s.hashSlots <- struct{}{}:
		return func() { <-s.hashSlots }, nil
	case <-ctx.Done():
		return nil, coffer.Errorf(coffer.EUNAVAILABLE, "The server is busy; try again shortly.")
	}
}

// change starts a live event about sc's project (and environment).
func (s *Service) change(ctx context.Context, typ string, sc *scope) coffer.Event {
	a := coffer.ActorFromContext(ctx)
	e := coffer.Event{
		Type: typ, ProjectID: sc.project.ID, Project: sc.project.Slug,
		ActorType: a.Type, ActorID: a.ID, At: s.now(),
	}
	if sc.env != nil {
		e.EnvironmentID, e.Environment, e.Revision = sc.env.ID, sc.env.Slug, sc.env.Revision
	}
	return e
}

// publish drops what committed changes make stale in this instance's
// caches and hands the changes to the live feed, which tells the other
// instances. It runs after the transaction (a change that rolled back is
// never announced) and before the change is answered.
func (s *Service) publish(ctx context.Context, events ...coffer.Event) {
	for _, e := range events {
		s.Invalidate(e)
	}
	if s.Events != nil && len(events) > 0 {
		s.Events.Publish(ctx, events...)
	}
}

// revoked announces that a session or token ended, so that live feeds
// holding it close at once, on every instance.
func (s *Service) revoked(ctx context.Context, typ, userID, sessionID, tokenID string) {
	a := coffer.ActorFromContext(ctx)
	s.publish(ctx, coffer.Event{
		Type: typ, UserID: userID, SessionID: sessionID, TokenID: tokenID,
		ActorType: a.Type, ActorID: a.ID, At: s.now(),
	})
}
