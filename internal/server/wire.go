package server

import (
	"net/http"
	"strconv"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/httpx"
)

// This file translates domain values into the wire types generated from
// api/openapi.yaml. Nothing here decides anything.

func wireUser(u *coffer.User) api.User {
	return api.User{ID: u.ID, Email: u.Email, Name: u.Name, IsAdmin: u.IsAdmin, CreatedAt: u.CreatedAt}
}

func wireActor(a coffer.Actor) api.Actor {
	t := a.Type
	if t == "" {
		t = coffer.ActorSystem
	}
	return api.Actor{Type: api.ActorType(t), ID: a.ID}
}

func wireProject(p *coffer.Project, role coffer.Role) api.Project {
	return api.Project{ID: p.ID, Slug: p.Slug, Name: p.Name, Role: api.Role(role), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func wireEnvironment(e *coffer.Environment) api.Environment {
	return api.Environment{ID: e.ID, Slug: e.Slug, Name: e.Name, Revision: e.Revision, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func wireMember(m *coffer.Member) api.Member {
	return api.Member{UserID: m.UserID, Email: m.Email, Name: m.Name, Role: api.Role(m.Role), CreatedAt: m.CreatedAt}
}

func wireInvitation(inv *coffer.Invitation) api.Invitation {
	return api.Invitation{Email: inv.Email, Role: api.Role(inv.Role), CreatedAt: inv.CreatedAt}
}

func wireSecret(s *coffer.Secret) api.Secret {
	out := api.Secret{
		Key: s.Key, Version: int64(s.Version), Comment: s.Comment, Deleted: s.Deleted,
		UpdatedAt: s.UpdatedAt, UpdatedBy: wireActor(s.UpdatedBy),
	}
	if !s.Deleted {
		out.Value = &s.Value // s is the caller's own copy, opened for this answer
	}
	return out
}

func wireSessionInfo(s *coffer.Session, current string) api.SessionInfo {
	return api.SessionInfo{
		ID: s.ID, UserAgent: s.UserAgent, IP: s.IP, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt,
		ExpiresAt: s.ExpiresAt, Current: s.ID == current,
	}
}

func wirePersonalToken(t *coffer.Token) api.PersonalToken {
	return api.PersonalToken{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}

func wireAuditEvent(e *coffer.AuditEvent, envSlugs map[string]string) api.AuditEvent {
	return api.AuditEvent{
		ID: e.ID, Seq: e.Seq, Time: e.Time, Actor: api.Actor{Type: api.ActorType(e.ActorType), ID: e.ActorID},
		Action: api.AuditAction(e.Action), Outcome: api.AuditOutcome(e.Outcome), Environment: envSlugs[e.EnvironmentID],
		Target: e.Target, Keys: e.Keys, IP: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID,
	}
}

// pageLimit reads the limit query parameter: 1 to coffer.MaxPageSize,
// coffer.DefaultPageSize when absent.
func pageLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return coffer.DefaultPageSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > coffer.MaxPageSize {
		return 0, coffer.Errorf(coffer.EINVALID, "limit must be a number from 1 to %d.", coffer.MaxPageSize)
	}
	return n, nil
}

// intParam reads an optional non-negative integer query parameter.
func intParam(r *http.Request, name string) (*int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, coffer.Errorf(coffer.EINVALID, "%s must be a whole number of 0 or more.", name)
	}
	return &n, nil
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, coffer.Errorf(coffer.EINVALID, "%s must be true or false.", name)
	}
	return b, nil
}

// respond writes v as JSON or the error as a problem.
func respond(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	_ = httpx.WriteJSON(w, status, v)
}
