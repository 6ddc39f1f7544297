package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/store"
)

// Me returns the signed-in user.
func (s *Service) Me(ctx context.Context) (*coffer.User, error) {
	a, err := s.user(ctx)
	if err != nil {
		return nil, err
	}
	return s.Store.UserByID(ctx, a.UserID)
}

// UserUpdate is a change to the signed-in user; nil fields stay.
type UserUpdate struct {
	Name            *string
	Email           *string
	CurrentPassword string
	NewPassword     *string
}

// UpdateMe changes the caller's name, email or password. Email and
// password changes need the current password; a password change signs out
// every other session.
func (s *Service) UpdateMe(ctx context.Context, upd UserUpdate) (*coffer.User, error) {
	a, err := s.user(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserByID(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	if upd.Name != nil {
		if err := coffer.ValidateName("user", *upd.Name); err != nil {
			return nil, err
		}
		u.Name = strings.TrimSpace(*upd.Name)
	}
	sensitive := upd.Email != nil || upd.NewPassword != nil
	if upd.Email != nil {
		if u.Email, err = coffer.NormalizeEmail(*upd.Email); err != nil {
			return nil, err
		}
	}
	if upd.NewPassword != nil {
		if err := coffer.ValidatePassword(*upd.NewPassword); err != nil {
			return nil, err
		}
	}
	if sensitive {
		if err := s.confirmPassword(ctx, u, upd.CurrentPassword); err != nil {
			return nil, err
		}
	}
	if upd.NewPassword != nil {
		release, err := s.hashSlot(ctx)
		if err != nil {
			return nil, err
		}
		u.PasswordHash, err = s.Hasher.Hash(*upd.NewPassword)
		release()
		if err != nil {
			return nil, fmt.Errorf("hash password: %w", err)
		}
	}
	u.UpdatedAt = s.now()
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.UpdateUser(ctx, u); err != nil {
			if coffer.ErrorCode(err) == coffer.ECONFLICT {
				return nil, coffer.Errorf(coffer.ECONFLICT, "An account with this email already exists.")
			}
			return nil, err
		}
		e := s.event(ctx, coffer.AuditUserUpdate)
		e.Target = u.ID
		if upd.NewPassword == nil {
			return []*coffer.AuditEvent{e}, nil
		}
		if _, err := tx.RevokeUserSessions(ctx, u.ID, a.SessionID, s.now()); err != nil {
			return nil, err
		}
		e.Action = coffer.AuditPasswordChange
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return nil, err
	}
	if upd.NewPassword != nil {
		s.revoked(ctx, coffer.EventSessionRevoked, u.ID, "", "")
	}
	return u, nil
}

// confirmPassword checks the caller's current password for a sensitive
// change.
func (s *Service) confirmPassword(ctx context.Context, u *coffer.User, password string) error {
	if password == "" {
		return coffer.Errorf(coffer.EINVALID, "Enter your current password to confirm this change.")
	}
	if err := s.throttleAccount(ctx, u.Email); err != nil {
		return err
	}
	release, err := s.hashSlot(ctx)
	if err != nil {
		return err
	}
	s.passwordChecks.Add(1)
	ok := s.Hasher.Compare(u.PasswordHash, password)
	release()
	if !ok {
		return coffer.Errorf(coffer.EFORBIDDEN, "The current password is incorrect.")
	}
	return nil
}

// DeleteMe erases the caller's account: sessions, tokens and memberships go
// with it. It is refused while the caller is the last owner of a project.
func (s *Service) DeleteMe(ctx context.Context, password string) error {
	a, err := s.user(ctx)
	if err != nil {
		return err
	}
	u, err := s.Store.UserByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	if err := s.confirmPassword(ctx, u, password); err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		owned, err := tx.SoleOwnerProjects(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		if len(owned) > 0 {
			slugs := make([]string, len(owned))
			for i, p := range owned {
				slugs[i] = p.Slug
			}
			return nil, coffer.Errorf(coffer.ECONFLICT, "You are the last owner of %s; transfer ownership or delete them first.", strings.Join(slugs, ", "))
		}
		if err := tx.DeleteUser(ctx, u.ID); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditUserDelete)
		e.Target = u.ID
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return err
	}
	s.revoked(ctx, coffer.EventSessionRevoked, u.ID, "", "")
	return nil
}

// Sessions lists the caller's live sessions.
func (s *Service) Sessions(ctx context.Context) ([]*coffer.Session, error) {
	a, err := s.user(ctx)
	if err != nil {
		return nil, err
	}
	return s.Store.ListSessions(ctx, a.UserID, s.Now())
}

// RevokeSession signs out one of the caller's sessions.
func (s *Service) RevokeSession(ctx context.Context, id string) error {
	a, err := s.user(ctx)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		sess, err := tx.SessionByID(ctx, id)
		if err != nil || sess.UserID != a.UserID || sess.RevokedAt != nil {
			return nil, notFoundAs(err, "Session not found.")
		}
		if err := tx.RevokeSession(ctx, id, s.now()); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditSessionRevoke)
		e.Target = id
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return err
	}
	s.revoked(ctx, coffer.EventSessionRevoked, a.UserID, id, "")
	return nil
}

// notFoundAs turns a missing (or foreign, err == nil) object into one
// not-found error; other errors pass through.
func notFoundAs(err error, msg string) error {
	if err == nil || coffer.ErrorCode(err) == coffer.ENOTFOUND {
		return coffer.Errorf(coffer.ENOTFOUND, "%s", msg)
	}
	return err
}

// PersonalTokens lists the caller's personal access tokens.
func (s *Service) PersonalTokens(ctx context.Context) ([]*coffer.Token, error) {
	a, err := s.user(ctx)
	if err != nil {
		return nil, err
	}
	return s.Store.ListPersonalTokens(ctx, a.UserID)
}

// CreatePersonalToken makes a token that acts as the caller. The plain
// token is returned once and only its hash is kept.
func (s *Service) CreatePersonalToken(ctx context.Context, name string, expiresAt *time.Time) (*coffer.Token, string, error) {
	a, err := s.user(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := s.validateToken(name, expiresAt); err != nil {
		return nil, "", err
	}
	plain, hash := auth.NewToken(coffer.PersonalTokenPrefix)
	t := &coffer.Token{ID: newID(), Kind: coffer.TokenPersonal, Name: strings.TrimSpace(name), Hash: hash, UserID: a.UserID, CreatedAt: s.now(), ExpiresAt: expiresAt}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.CreateToken(ctx, t); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditTokenCreate)
		e.Target = t.ID
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return nil, "", err
	}
	return t, plain, nil
}

func (s *Service) validateToken(name string, expiresAt *time.Time) error {
	if err := coffer.ValidateName("token", name); err != nil {
		return err
	}
	if expiresAt != nil && !expiresAt.After(s.Now()) {
		return coffer.Errorf(coffer.EINVALID, "The expiry must be in the future.")
	}
	return nil
}

// RevokePersonalToken revokes one of the caller's tokens.
func (s *Service) RevokePersonalToken(ctx context.Context, id string) error {
	a, err := s.user(ctx)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		t, err := tx.TokenByID(ctx, id)
		if err != nil || t.Kind != coffer.TokenPersonal || t.UserID != a.UserID || t.RevokedAt != nil {
			return nil, notFoundAs(err, "Token not found.")
		}
		if err := tx.RevokeToken(ctx, id, s.now()); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditTokenRevoke)
		e.Target = id
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return err
	}
	s.revoked(ctx, coffer.EventTokenRevoked, a.UserID, "", id)
	return nil
}

// PersonalData is everything Coffer keeps about one user.
type PersonalData struct {
	User        *coffer.User
	Sessions    []*coffer.Session
	Tokens      []*coffer.Token
	Memberships []store.ProjectRole
	Events      []*coffer.AuditEvent
}

// maxExportEvents bounds the audit events in one export.
const maxExportEvents = 10000

// ExportMe gathers the caller's personal data and records that it did.
func (s *Service) ExportMe(ctx context.Context) (*PersonalData, error) {
	a, err := s.user(ctx)
	if err != nil {
		return nil, err
	}
	d := &PersonalData{}
	if d.User, err = s.Store.UserByID(ctx, a.UserID); err != nil {
		return nil, err
	}
	if d.Sessions, err = s.Store.ListSessions(ctx, a.UserID, s.Now()); err != nil {
		return nil, err
	}
	if d.Tokens, err = s.Store.ListPersonalTokens(ctx, a.UserID); err != nil {
		return nil, err
	}
	if d.Memberships, err = s.Store.ListUserProjects(ctx, a.UserID); err != nil {
		return nil, err
	}
	if d.Events, err = s.Store.ListAudit(ctx, coffer.AuditFilter{ActorID: a.UserID, Limit: maxExportEvents}); err != nil {
		return nil, err
	}
	e := s.event(ctx, coffer.AuditUserExport)
	e.Target = a.UserID
	if err := s.record(ctx, e); err != nil {
		return nil, err
	}
	return d, nil
}
