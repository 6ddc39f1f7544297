package server

import (
	"net/http"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/service"
)

func (s *Server) signup(w http.ResponseWriter, r *http.Request) {
	var req api.SignupRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	l, err := s.svc.Signup(r.Context(), req.Email, req.Name, req.Password)
	s.startBrowserSession(w, r, http.StatusCreated, l, err)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req api.LoginRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	l, err := s.svc.Login(r.Context(), req.Email, req.Password)
	s.countRefusedSignIn(err, "password")
	s.startBrowserSession(w, r, http.StatusOK, l, err)
}

// countRefusedSignIn counts a sign-in refused for a wrong credential (as
// an authentication failure, by reason) or because the account is over
// its attempt limit (as a rejection of the "login_account" limit, which
// the service applies rather than a middleware).
func (s *Server) countRefusedSignIn(err error, reason string) {
	switch coffer.ErrorCode(err) {
	case coffer.EUNAUTHORIZED:
		s.cfg.Metrics.AuthFailure(reason)
	case coffer.ERATELIMITED:
		s.cfg.Metrics.RateLimitRejected("login_account")
	}
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	l, err := s.svc.Refresh(r.Context(), cookieValue(r, cookieRefresh))
	if coffer.ErrorCode(err) == coffer.EUNAUTHORIZED {
		s.cfg.Metrics.AuthFailure("refresh")
		s.clearSessionCookies(w, r)
	}
	s.startBrowserSession(w, r, http.StatusOK, l, err)
}

func (s *Server) startBrowserSession(w http.ResponseWriter, r *http.Request, status int, l *service.Login, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	s.setSessionCookies(w, r, l)
	respond(w, r, status, api.Session{User: wireUser(l.User), CSRFToken: l.CSRFToken, AccessExpiresAt: l.AccessExpiresAt}, nil)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	err := s.svc.Logout(r.Context())
	if err == nil {
		s.clearSessionCookies(w, r)
	}
	respond(w, r, http.StatusNoContent, nil, err)
}

// token serves API clients: credentials in the body, bearer tokens back.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var req api.TokenRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	var (
		l   *service.Login
		err error
	)
	switch req.GrantType {
	case "password":
		l, err = s.svc.Login(r.Context(), req.Email, req.Password)
	case "refresh_token":
		l, err = s.svc.Refresh(r.Context(), req.RefreshToken)
	default:
		err = coffer.Errorf(coffer.EINVALID, "grant_type must be password or refresh_token.")
	}
	reason := "password"
	if req.GrantType == "refresh_token" {
		reason = "refresh" // as the cookie refresh counts it
	}
	s.countRefusedSignIn(err, reason)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, api.TokenResponse{
		AccessToken: l.AccessToken, RefreshToken: l.RefreshToken, TokenType: "Bearer",
		ExpiresIn: int(s.cfg.AccessTTL.Seconds()), User: wireUser(l.User),
	}, nil)
}

func (s *Server) authStatus(w http.ResponseWriter, r *http.Request) {
	hasUsers, mode, err := s.svc.SignupState(r.Context())
	respond(w, r, http.StatusOK, api.AuthStatus{HasUsers: hasUsers, SignupMode: api.AuthStatusSignupMode(mode)}, err)
}
