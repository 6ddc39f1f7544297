package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/service"
)

// Cookie names; over HTTPS they carry the __Host- prefix, which browsers
// accept only from a secure origin, for the whole host, without Domain.
const (
	cookieAccess  = "coffer_access"
	cookieRefresh = "coffer_refresh"
	cookieCSRF    = "coffer_csrf"
	headerCSRF    = "X-CSRF-Token"
)

func cookieName(r *http.Request, name string) string {
	if httpx.InfoFrom(r.Context()).HTTPS {
		return "__Host-" + name
	}
	return name
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(cookieName(r, name))
	if err != nil {
		return ""
	}
	return c.Value
}

// setSessionCookies hands a browser its session: the access JWT and the
// refresh token in HttpOnly cookies, and the CSRF token in one that the
// web client can read to send back in the X-CSRF-Token header.
func (s *Server) setSessionCookies(w http.ResponseWriter, r *http.Request, l *service.Login) {
	secure := httpx.InfoFrom(r.Context()).HTTPS
	set := func(name, value string, ttl time.Duration, httpOnly bool) {
		http.SetCookie(w, &http.Cookie{
			Name: cookieName(r, name), Value: value, Path: "/", MaxAge: int(ttl.Seconds()),
			HttpOnly: httpOnly, Secure: secure, SameSite: http.SameSiteStrictMode,
		})
	}
	session := time.Until(l.Session.ExpiresAt)
	set(cookieAccess, l.AccessToken, time.Until(l.AccessExpiresAt), true)
	set(cookieRefresh, l.RefreshToken, session, true)
	set(cookieCSRF, l.CSRFToken, session, false)
}

func (s *Server) clearSessionCookies(w http.ResponseWriter, r *http.Request) {
	secure := httpx.InfoFrom(r.Context()).HTTPS
	for _, name := range []string{cookieAccess, cookieRefresh, cookieCSRF} {
		http.SetCookie(w, &http.Cookie{
			Name: cookieName(r, name), Value: "", Path: "/", MaxAge: -1,
			HttpOnly: name != cookieCSRF, Secure: secure, SameSite: http.SameSiteStrictMode,
		})
	}
}

// authenticate puts the caller's actor in the context. A bearer credential
// must be valid; a cookie session must also prove, on every state-changing
// request, that the page sending it is ours (CSRF token and Origin).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Health, metrics (with its own token) and the web client's files
		// have no actor; only the API reads credentials.
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		ctx := coffer.NewContextWithOrigin(r.Context(), coffer.Origin{
			IP: httpx.InfoFrom(r.Context()).ClientIP, RequestID: httpx.RequestIDFrom(r.Context()),
			// Stored in audit events and sessions: PostgreSQL text must be
			// valid UTF-8, and a header can be any bytes.
			UserAgent: strings.ToValidUTF8(r.UserAgent(), "\uFFFD"),
		})
		if unsafe(r.Method) && !s.sameOrigin(r) {
			s.cfg.Metrics.AuthFailure("cross_origin")
			httpx.WriteProblem(w, r, http.StatusForbidden, coffer.EFORBIDDEN, "Cross-site requests are refused.")
			return
		}
		actor, err := s.actor(ctx, r)
		if err != nil {
			s.cfg.Metrics.AuthFailure("credential")
			httpx.Error(w, r, err)
			return
		}
		if actor.Type != coffer.ActorAnon {
			httpx.InfoFrom(ctx).ActorID = actor.ID
			ctx = coffer.NewContextWithActor(ctx, actor)
		}
		next.ServeHTTP(w, r.WithContext(ctx)) // one copy of the request, with both
	})
}

// actor resolves the request's credential. An expired or revoked access
// cookie leaves the caller anonymous (the client then refreshes); a bad
// bearer credential is an error.
// actor authenticates r's credential; ctx is r's context with its origin,
// which the service records with a failure.
func (s *Server) actor(ctx context.Context, r *http.Request) (coffer.Actor, error) {
	anon := coffer.Actor{Type: coffer.ActorAnon}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
			return anon, coffer.Errorf(coffer.EUNAUTHORIZED, "Use the Authorization: Bearer <token> scheme.")
		}
		return s.svc.Authenticate(ctx, strings.TrimSpace(cred))
	}
	access := cookieValue(r, cookieAccess)
	if access == "" {
		return anon, nil
	}
	actor, err := s.svc.AuthenticateAccess(ctx, access)
	if err != nil {
		if coffer.ErrorCode(err) == coffer.EUNAUTHORIZED {
			return anon, nil
		}
		return anon, err
	}
	if unsafe(r.Method) && !s.svc.CSRFValid(actor.SessionID, r.Header.Get(headerCSRF)) {
		return anon, coffer.Errorf(coffer.EFORBIDDEN, "The CSRF token is missing or wrong; reload the page.")
	}
	return actor, nil
}

func unsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// sameOrigin refuses state-changing requests that a browser marks as coming
// from another site. Clients that are not browsers send neither header.
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	scheme := "http://"
	if httpx.InfoFrom(r.Context()).HTTPS {
		scheme = "https://"
	}
	if origin == scheme+r.Host {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if origin == o {
			return true
		}
	}
	return false
}
