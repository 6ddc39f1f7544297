package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/service"
)

func wireServiceToken(t service.ServiceToken) api.ServiceToken {
	return api.ServiceToken{
		ID: t.ID, Name: t.Name, Environments: t.EnvironmentSlugs, Access: api.Access(t.Access),
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, CreatedBy: t.UserID,
	}
}

func (s *Server) listServiceTokens(w http.ResponseWriter, r *http.Request) {
	tokens, err := s.svc.ServiceTokens(r.Context(), r.PathValue("project"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := api.ServiceTokenList{Tokens: make([]api.ServiceToken, len(tokens))}
	for i, t := range tokens {
		out.Tokens[i] = wireServiceToken(t)
	}
	respond(w, r, http.StatusOK, out, nil)
}

func (s *Server) createServiceToken(w http.ResponseWriter, r *http.Request) {
	var req api.CreateServiceTokenRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	t, plain, err := s.svc.CreateServiceToken(r.Context(), r.PathValue("project"), service.ServiceTokenInput{
		Name: req.Name, Environments: req.Environments, Access: coffer.Access(req.Access), ExpiresAt: req.ExpiresAt,
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusCreated, api.CreatedServiceToken{Token: wireServiceToken(t), Secret: plain}, nil)
}

func (s *Server) revokeServiceToken(w http.ResponseWriter, r *http.Request) {
	respond(w, r, http.StatusNoContent, nil, s.svc.RevokeServiceToken(r.Context(), r.PathValue("project"), r.PathValue("token")))
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	q, err := auditQuery(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	limit := q.Limit
	q.Limit++
	events, slugs, err := s.svc.Audit(r.Context(), r.PathValue("project"), q)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := api.AuditEventList{}
	if len(events) > limit {
		events = events[:limit]
		out.NextCursor = strconv.FormatInt(events[limit-1].Seq, 10)
	}
	out.Events = make([]api.AuditEvent, len(events))
	for i, e := range events {
		out.Events[i] = wireAuditEvent(e, slugs)
	}
	respond(w, r, http.StatusOK, out, nil)
}

func auditQuery(r *http.Request) (service.AuditQuery, error) {
	v := r.URL.Query()
	q := service.AuditQuery{Actor: v.Get("actor"), Action: v.Get("action"), Environment: v.Get("environment")}
	var err error
	if q.Limit, err = pageLimit(r); err != nil {
		return q, err
	}
	if c := v.Get("cursor"); c != "" {
		if q.BeforeSeq, err = strconv.ParseInt(c, 10, 64); err != nil || q.BeforeSeq < 1 {
			return q, coffer.Errorf(coffer.EINVALID, "The cursor is not valid.")
		}
	}
	for name, dst := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		if s := v.Get(name); s != "" {
			if *dst, err = time.Parse(time.RFC3339, s); err != nil {
				return q, coffer.Errorf(coffer.EINVALID, "%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z.", name)
			}
		}
	}
	return q, nil
}
