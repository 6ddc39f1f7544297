package server

import (
	"net/http"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/service"
)

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	page, next, err := s.svc.Projects(r.Context(), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := api.ProjectList{Projects: make([]api.Project, len(page)), NextCursor: next}
	for i, pr := range page {
		out.Projects[i] = wireProject(pr.Project, pr.Role)
	}
	respond(w, r, http.StatusOK, out, nil)
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) {
	var req api.CreateProjectRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	p, err := s.svc.CreateProject(r.Context(), service.ProjectInput{Slug: req.Slug, Name: req.Name, Environments: req.Environments})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusCreated, wireProject(p, coffer.RoleOwner), nil)
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	p, role, err := s.svc.Project(r.Context(), r.PathValue("project"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, wireProject(p, role), nil)
}

func (s *Server) updateProject(w http.ResponseWriter, r *http.Request) {
	var req api.UpdateProjectRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	p, role, err := s.svc.UpdateProject(r.Context(), r.PathValue("project"), service.ProjectUpdate{Slug: req.Slug, Name: req.Name})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, wireProject(p, role), nil)
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request) {
	respond(w, r, http.StatusNoContent, nil, s.svc.DeleteProject(r.Context(), r.PathValue("project")))
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) {
	members, err := s.svc.Members(r.Context(), r.PathValue("project"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := api.MemberList{Members: make([]api.Member, len(members))}
	for i, m := range members {
		out.Members[i] = wireMember(m)
	}
	respond(w, r, http.StatusOK, out, nil)
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request) {
	var req api.AddMemberRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	added, err := s.svc.AddMember(r.Context(), r.PathValue("project"), req.Email, coffer.Role(req.Role))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if added.Invitation != nil {
		respond(w, r, http.StatusAccepted, wireInvitation(added.Invitation), nil)
		return
	}
	respond(w, r, http.StatusCreated, wireMember(added.Member), nil)
}

func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) {
	invs, err := s.svc.Invitations(r.Context(), r.PathValue("project"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := api.InvitationList{Invitations: make([]api.Invitation, len(invs))}
	for i, inv := range invs {
		out.Invitations[i] = wireInvitation(inv)
	}
	respond(w, r, http.StatusOK, out, nil)
}

func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request) {
	respond(w, r, http.StatusNoContent, nil, s.svc.RevokeInvitation(r.Context(), r.PathValue("project"), r.PathValue("email")))
}

func (s *Server) updateMember(w http.ResponseWriter, r *http.Request) {
	var req api.UpdateMemberRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	m, err := s.svc.UpdateMember(r.Context(), r.PathValue("project"), r.PathValue("user"), coffer.Role(req.Role))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, wireMember(m), nil)
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) {
	respond(w, r, http.StatusNoContent, nil, s.svc.RemoveMember(r.Context(), r.PathValue("project"), r.PathValue("user")))
}

func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request) {
	envs, err := s.svc.Environments(r.Context(), r.PathValue("project"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := api.EnvironmentList{Environments: make([]api.Environment, len(envs))}
	for i, e := range envs {
		out.Environments[i] = wireEnvironment(e)
	}
	respond(w, r, http.StatusOK, out, nil)
}

func (s *Server) createEnvironment(w http.ResponseWriter, r *http.Request) {
	var req api.CreateEnvironmentRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	e, err := s.svc.CreateEnvironment(r.Context(), r.PathValue("project"), req.Slug, req.Name)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusCreated, wireEnvironment(e), nil)
}

func (s *Server) getEnvironment(w http.ResponseWriter, r *http.Request) {
	e, err := s.svc.Environment(r.Context(), r.PathValue("project"), r.PathValue("env"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, wireEnvironment(e), nil)
}

func (s *Server) updateEnvironment(w http.ResponseWriter, r *http.Request) {
	var req api.UpdateEnvironmentRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	e, err := s.svc.UpdateEnvironment(r.Context(), r.PathValue("project"), r.PathValue("env"), service.EnvironmentUpdate{Slug: req.Slug, Name: req.Name})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	respond(w, r, http.StatusOK, wireEnvironment(e), nil)
}

func (s *Server) deleteEnvironment(w http.ResponseWriter, r *http.Request) {
	respond(w, r, http.StatusNoContent, nil, s.svc.DeleteEnvironment(r.Context(), r.PathValue("project"), r.PathValue("env")))
}
