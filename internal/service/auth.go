package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/ratelimit"
	"github.com/cofferhq/coffer/internal/store"
)

// Login is a new or refreshed session with its credentials. The refresh
// token and CSRF token exist in plain form only here, on their way to the
// client.
type Login struct {
	User            *coffer.User
	Session         *coffer.Session
	AccessToken     string
	AccessExpiresAt time.Time
	RefreshToken    string
	CSRFToken       string
}

var errBadCredentials = coffer.Errorf(coffer.EUNAUTHORIZED, "The email or password is incorrect.")

// Signup creates an account and signs it in. The first account becomes the
// instance administrator; after that SignupMode decides.
func (s *Service) Signup(ctx context.Context, email, name, password string) (*Login, error) {
	email, err := coffer.NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if err := coffer.ValidateName("user", name); err != nil {
		return nil, err
	}
	if err := coffer.ValidatePassword(password); err != nil {
		return nil, err
	}
	release, err := s.hashSlot(ctx)
	if err != nil {
		return nil, err
	}
	hash, err := s.Hasher.Hash(password)
	release()
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	now := s.now()
	u := &coffer.User{ID: newID(), Email: email, Name: strings.TrimSpace(name), PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	var login *Login
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		n, err := tx.CountUsers(ctx)
		if err != nil {
			return nil, err
		}
		u.IsAdmin = n == 0
		if err := s.signupAllowed(ctx, tx, n, email); err != nil {
			return nil, err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			if coffer.ErrorCode(err) == coffer.ECONFLICT {
				return nil, coffer.Errorf(coffer.ECONFLICT, "An account with this email already exists.")
			}
			return nil, err
		}
		if err := tx.AcceptInvitations(ctx, u); err != nil {
			return nil, err
		}
		if login, err = s.startSession(ctx, tx, u); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditSignup)
		e.ActorType, e.ActorID, e.Target = coffer.ActorUser, u.ID, u.ID
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return nil, err
	}
	return login, nil
}

func (s *Service) signupAllowed(ctx context.Context, tx *store.Tx, users int, email string) error {
	if users == 0 {
		return nil
	}
	switch s.SignupMode {
	case SignupOpen:
		return nil
	case SignupInvite:
		ok, err := tx.HasInvitation(ctx, email)
		if err != nil || ok {
			return err
		}
		return coffer.Errorf(coffer.EFORBIDDEN, "Sign-up needs an invitation; ask a project admin to add your email.")
	}
	return coffer.Errorf(coffer.EFORBIDDEN, "Sign-up is closed on this server; ask an administrator.")
}

// Login checks a password and starts a session. Unknown emails cost the
// same bcrypt time as known ones, and each account's attempts are
// throttled before any hashing happens.
func (s *Service) Login(ctx context.Context, email, password string) (*Login, error) {
	email, err := coffer.NormalizeEmail(email)
	if err != nil {
		return nil, errBadCredentials
	}
	if err := s.throttleAccount(ctx, email); err != nil {
		return nil, err
	}
	u, err := s.checkPassword(ctx, email, password)
	if err != nil {
		return nil, err
	}
	var login *Login
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		var err error
		if login, err = s.startSession(ctx, tx, u); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditLogin)
		e.ActorType, e.ActorID, e.Target = coffer.ActorUser, u.ID, login.Session.ID
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return nil, err
	}
	return login, nil
}

func (s *Service) throttleAccount(ctx context.Context, email string) error {
	if s.Limiter == nil {
		return nil
	}
	res, err := s.Limiter.Allow(ctx, "login:"+email, s.AccountLimit)
	if err != nil {
		return fmt.Errorf("throttle login: %w", err)
	}
	if !res.Allowed {
		return &RateLimitError{Result: res}
	}
	return nil
}

// RateLimitError refuses a request over its limit; the HTTP layer turns it
// into a 429 with Retry-After.
type RateLimitError struct {
	Result ratelimit.Result
}

func (e *RateLimitError) Error() string { return "too many attempts" }

// RetryAfter says when the account may try again.
func (e *RateLimitError) RetryAfter() time.Duration { return e.Result.RetryAfter }

// Unwrap lets coffer.ErrorCode see the rate_limited code.
func (e *RateLimitError) Unwrap() error {
	return coffer.Errorf(coffer.ERATELIMITED, "Too many sign-in attempts for this account; wait and try again.")
}

// checkPassword returns the user whose password matches, recording
// failures in the audit trail.
func (s *Service) checkPassword(ctx context.Context, email, password string) (*coffer.User, error) {
	u, err := s.Store.UserByEmail(ctx, email)
	if err != nil && coffer.ErrorCode(err) != coffer.ENOTFOUND {
		return nil, err
	}
	release, err := s.hashSlot(ctx)
	if err != nil {
		return nil, err
	}
	s.passwordChecks.Add(1)
	ok := false
	if u != nil {
		ok = s.Hasher.Compare(u.PasswordHash, password)
	} else {
		s.Hasher.CompareDummy(password)
	}
	release()
	if ok {
		return u, nil
	}
	e := s.event(ctx, coffer.AuditLoginFailed)
	e.Outcome = coffer.OutcomeFailure
	if u != nil {
		e.ActorType, e.ActorID = coffer.ActorUser, u.ID
	}
	if err := s.record(ctx, e); err != nil {
		return nil, err
	}
	return nil, errBadCredentials
}

// startSession creates a session with its first refresh token and signs an
// access token for it.
func (s *Service) startSession(ctx context.Context, tx *store.Tx, u *coffer.User) (*Login, error) {
	now := s.now()
	o := coffer.OriginFromContext(ctx)
	sess := &coffer.Session{
		ID: newID(), UserID: u.ID, UserAgent: truncateRunes(o.UserAgent, 256), IP: o.IP,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.SessionTTL),
	}
	if err := tx.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return s.issue(ctx, tx, u, sess)
}

// issue makes a fresh refresh token and access token for sess.
func (s *Service) issue(ctx context.Context, tx *store.Tx, u *coffer.User, sess *coffer.Session) (*Login, error) {
	now := s.now()
	plain, hash := auth.NewToken(coffer.RefreshTokenPrefix)
	if err := tx.CreateRefreshToken(ctx, &coffer.RefreshToken{Hash: hash, SessionID: sess.ID, CreatedAt: now}); err != nil {
		return nil, err
	}
	exp := now.Add(s.AccessTTL)
	access, err := s.Signer.Issue(auth.Claims{UserID: u.ID, SessionID: sess.ID, IssuedAt: now, ExpiresAt: exp})
	if err != nil {
		return nil, fmt.Errorf("sign access token: %w", err)
	}
	return &Login{
		User: u, Session: sess, AccessToken: access, AccessExpiresAt: exp,
		RefreshToken: plain, CSRFToken: auth.CSRFToken(s.CSRFKey, sess.ID),
	}, nil
}

var errSessionEnded = coffer.Errorf(coffer.EUNAUTHORIZED, "Your session has ended; sign in again.")

// errReplay carries a detected refresh-token replay out of its transaction
// so the revocation can be committed separately.
var errReplay = errors.New("refresh token replayed")

// Refresh rotates a refresh token. Presenting a token that was already
// rotated means it was stolen or replayed: the whole session is revoked.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Login, error) {
	if !strings.HasPrefix(refreshToken, coffer.RefreshTokenPrefix) {
		return nil, errSessionEnded
	}
	hash := auth.HashToken(refreshToken)
	var (
		login *Login
		sess  *coffer.Session
	)
	err := s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		rt, err := tx.RefreshTokenByHash(ctx, hash)
		if err != nil {
			return nil, sessionErr(err)
		}
		if sess, err = tx.SessionByID(ctx, rt.SessionID); err != nil {
			return nil, sessionErr(err)
		}
		if !sess.Active(s.now()) {
			return nil, errSessionEnded
		}
		fresh, err := tx.UseRefreshToken(ctx, hash, s.now())
		if err != nil {
			return nil, err
		}
		if !fresh {
			return nil, errReplay
		}
		u, err := tx.UserByID(ctx, sess.UserID)
		if err != nil {
			return nil, sessionErr(err)
		}
		if err := tx.TouchSession(ctx, sess.ID, s.now()); err != nil {
			return nil, err
		}
		login, err = s.issue(ctx, tx, u, sess)
		return nil, err
	})
	if errors.Is(err, errReplay) {
		return nil, s.revokeReplayed(ctx, sess)
	}
	if err != nil {
		return nil, err
	}
	return login, nil
}

func (s *Service) revokeReplayed(ctx context.Context, sess *coffer.Session) error {
	err := s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.RevokeSession(ctx, sess.ID, s.now()); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditRefreshReuse)
		e.ActorType, e.ActorID, e.Target, e.Outcome = coffer.ActorUser, sess.UserID, sess.ID, coffer.OutcomeFailure
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return err
	}
	s.revoked(ctx, coffer.EventSessionRevoked, sess.UserID, sess.ID, "")
	return errSessionEnded
}

func sessionErr(err error) error {
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		return errSessionEnded
	}
	return err
}

// Logout revokes the caller's current session at once.
func (s *Service) Logout(ctx context.Context) error {
	a := coffer.ActorFromContext(ctx)
	if a.SessionID == "" {
		return coffer.Errorf(coffer.EFORBIDDEN, "Tokens cannot sign out; revoke the token instead.")
	}
	err := s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.RevokeSession(ctx, a.SessionID, s.now()); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditLogout)
		e.Target = a.SessionID
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return err
	}
	s.revoked(ctx, coffer.EventSessionRevoked, a.UserID, a.SessionID, "")
	return nil
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// SignupState says whether any account exists yet and which sign-up mode
// applies, so that a new instance can lead its first visitor to set-up.
func (s *Service) SignupState(ctx context.Context) (hasUsers bool, mode string, err error) {
	n, err := s.Store.CountUsers(ctx)
	if err != nil {
		return false, "", err
	}
	return n > 0, s.SignupMode, nil
}
