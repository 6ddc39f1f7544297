package server

import (
	"net/http"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/service"
)

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) {
	u, err := s.svc.Me(r.Context())
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, wireUser(u), nil)
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var req api.UpdateMeRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	upd := service.UserUpdate{Name: req.Name, Email: req.Email, CurrentPassword: req.CurrentPassword}
	if req.NewPassword != "" {
		upd.NewPassword = &req.NewPassword
	}
	u, err := s.svc.UpdateMe(r.Context(), upd)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, wireUser(u), nil)
}

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request) {
	var req api.DeleteMeRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	err := s.svc.DeleteMe(r.Context(), req.Password)
	if err == nil {
		s.clearSessionCookies(w, r)
	}
	respond(w, r, http.StatusNoContent, nil, err)
}

func (s *Server) exportMe(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.ExportMe(r.Context())
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	current := coffer.ActorFromContext(r.Context()).SessionID
	out := api.PersonalData{
		User:           wireUser(d.User),
		Sessions:       make([]api.SessionInfo, len(d.Sessions)),
		PersonalTokens: make([]api.PersonalToken, len(d.Tokens)),
		Memberships:    make([]api.Membership, len(d.Memberships)),
		AuditEvents:    make([]api.AuditEvent, len(d.Events)),
	}
	for i, sess := range d.Sessions {
		out.Sessions[i] = wireSessionInfo(sess, current)
	}
	for i, t := range d.Tokens {
		out.PersonalTokens[i] = wirePersonalToken(t)
	}
	for i, m := range d.Memberships {
		out.Memberships[i] = api.Membership{Role: api.Role(m.Role), Project: api.ProjectRef{ID: m.Project.ID, Slug: m.Project.Slug, Name: m.Project.Name}}
	}
	for i, e := range d.Events {
		out.AuditEvents[i] = wireAuditEvent(e, nil)
	}
	w.Header().Set("Content-Disposition", `attachment; filename="coffer-personal-data.json"`)
	respond(w, r, http.StatusOK, out, nil)
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	sessions, err := s.svc.Sessions(r.Context())
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	current := coffer.ActorFromContext(r.Context()).SessionID
	out := api.SessionList{Sessions: make([]api.SessionInfo, len(sessions))}
	for i, sess := range sessions {
		out.Sessions[i] = wireSessionInfo(sess, current)
	}
	respond(w, r, http.StatusOK, out, nil)
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) {
	respond(w, r, http.StatusNoContent, nil, s.svc.RevokeSession(r.Context(), r.PathValue("session")))
}

func (s *Server) listPersonalTokens(w http.ResponseWriter, r *http.Request) {
	tokens, err := s.svc.PersonalTokens(r.Context())
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := api.PersonalTokenList{Tokens: make([]api.PersonalToken, len(tokens))}
	for i, t := range tokens {
		out.Tokens[i] = wirePersonalToken(t)
	}
	respond(w, r, http.StatusOK, out, nil)
}

func (s *Server) createPersonalToken(w http.ResponseWriter, r *http.Request) {
	var req api.CreatePersonalTokenRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	t, plain, err := s.svc.CreatePersonalToken(r.Context(), req.Name, req.ExpiresAt)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusCreated, api.CreatedPersonalToken{Token: wirePersonalToken(t), Secret: plain}, nil)
}

func (s *Server) revokePersonalToken(w http.ResponseWriter, r *http.Request) {
	respond(w, r, http.StatusNoContent, nil, s.svc.RevokePersonalToken(r.Context(), r.PathValue("token")))
}
