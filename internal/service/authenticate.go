package service

import (
	"context"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/auth"
)

var errBadToken = coffer.Errorf(coffer.EUNAUTHORIZED, "The access token is invalid, expired or revoked.")

// touchEvery limits last-used bookkeeping to one write per token per
// interval, so that token use does not turn every read into a write.
const touchEvery = time.Minute

// Authenticate resolves a bearer credential — an access JWT, a personal
// token or a service token — to an actor. Revocation is checked against
// the database on every call, so it takes effect at once.
func (s *Service) Authenticate(ctx context.Context, credential string) (coffer.Actor, error) {
	switch {
	case strings.HasPrefix(credential, coffer.PersonalTokenPrefix), strings.HasPrefix(credential, coffer.ServiceTokenPrefix):
		return s.authenticateToken(ctx, credential)
	case strings.Count(credential, ".") == 2:
		return s.AuthenticateAccess(ctx, credential)
	}
	return coffer.Actor{}, errBadToken
}

// AuthenticateAccess checks an access JWT and that its session is live.
func (s *Service) AuthenticateAccess(ctx context.Context, jwt string) (coffer.Actor, error) {
	claims, err := s.Signer.Verify(jwt, s.Now())
	if err != nil {
		return coffer.Actor{}, errBadToken
	}
	sess, err := s.Store.SessionByID(ctx, claims.SessionID)
	if err != nil {
		if coffer.ErrorCode(err) == coffer.ENOTFOUND {
			return coffer.Actor{}, errBadToken
		}
		return coffer.Actor{}, err
	}
	if !sess.Active(s.Now()) || sess.UserID != claims.UserID {
		return coffer.Actor{}, errBadToken
	}
	return coffer.Actor{Type: coffer.ActorUser, ID: claims.UserID, UserID: claims.UserID, SessionID: sess.ID}, nil
}

func (s *Service) authenticateToken(ctx context.Context, plain string) (coffer.Actor, error) {
	hash := auth.HashToken(plain)
	t, epoch, ok := get(s.cache, s.cache.tokens, string(hash))
	if !ok {
		var err error
		if t, err = s.Store.TokenByHash(ctx, hash); err != nil {
			if coffer.ErrorCode(err) == coffer.ENOTFOUND {
				return coffer.Actor{}, errBadToken
			}
			return coffer.Actor{}, err
		}
		put(s.cache, s.cache.tokens, string(hash), t, epoch)
	}
	now := s.Now()
	if !t.Active(now) {
		return coffer.Actor{}, errBadToken
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > touchEvery {
		used := s.now()
		if err := s.Store.TouchToken(ctx, t.ID, used); err != nil {
			s.Logger.Warn("record token use", "token_id", t.ID, "error", err)
		}
		// Cached tokens are shared: replace, never modify.
		touched := *t
		touched.LastUsedAt = &used
		put(s.cache, s.cache.tokens, string(hash), &touched, epoch)
	}
	switch t.Kind {
	case coffer.TokenPersonal:
		if t.UserID == "" {
			return coffer.Actor{}, errBadToken
		}
		return coffer.Actor{Type: coffer.ActorUser, ID: t.UserID, UserID: t.UserID, TokenID: t.ID}, nil
	case coffer.TokenService:
		return coffer.Actor{
			Type: coffer.ActorToken, ID: t.ID, TokenID: t.ID,
			ProjectID: t.ProjectID, Environments: t.Environments, Access: t.Access,
		}, nil
	}
	return coffer.Actor{}, errBadToken
}

// CSRFValid reports whether token is the CSRF token of the session.
func (s *Service) CSRFValid(sessionID, token string) bool {
	return sessionID != "" && auth.VerifyCSRF(s.CSRFKey, sessionID, token)
}
