package service

import (
	"context"

	"github.com/cofferhq/coffer"
)

// scope is a resolved project (and environment) with the caller's role.
type scope struct {
	actor   coffer.Actor
	project *coffer.Project
	env     *coffer.Environment
	role    coffer.Role
}

func (sc *scope) resource() coffer.Resource {
	r := coffer.Resource{ProjectID: sc.project.ID, Role: sc.role}
	if sc.env != nil {
		r.EnvironmentID = sc.env.ID
	}
	return r
}

func (sc *scope) can(act coffer.Action) bool { return coffer.Can(sc.actor, act, sc.resource()) }

var (
	errProjectNotFound = coffer.Errorf(coffer.ENOTFOUND, "Project not found.")
	errEnvNotFound     = coffer.Errorf(coffer.ENOTFOUND, "Environment not found.")
)

// project resolves a project by slug and checks act on it. A project the
// caller may not see answers exactly like a missing one.
func (s *Service) project(ctx context.Context, slug string, act coffer.Action) (*scope, error) {
	a := coffer.ActorFromContext(ctx)
	if a.Type == coffer.ActorAnon {
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "Sign in first.")
	}
	p, err := s.projectBySlug(ctx, slug)
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		return nil, errProjectNotFound
	} else if err != nil {
		return nil, err
	}
	sc := &scope{actor: a, project: p}
	if a.IsUser() {
		role, err := s.Store.MemberRole(ctx, p.ID, a.UserID)
		if err != nil && coffer.ErrorCode(err) != coffer.ENOTFOUND {
			return nil, err
		}
		sc.role = role
	}
	if !sc.can(coffer.ActProjectRead) {
		return nil, errProjectNotFound
	}
	if !sc.can(act) {
		return nil, forbidden(act)
	}
	return sc, nil
}

// environment resolves project and environment and checks act on the
// environment. An environment outside a service token's scope is missing.
func (s *Service) environment(ctx context.Context, projectSlug, envSlug string, act coffer.Action) (*scope, error) {
	sc, err := s.project(ctx, projectSlug, coffer.ActProjectRead)
	if err != nil {
		return nil, err
	}
	env, err := s.Store.EnvironmentBySlug(ctx, sc.project.ID, envSlug)
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		return nil, errEnvNotFound
	} else if err != nil {
		return nil, err
	}
	sc.env = env
	if !sc.can(coffer.ActEnvRead) {
		return nil, errEnvNotFound
	}
	if !sc.can(act) {
		return nil, forbidden(act)
	}
	return sc, nil
}

func forbidden(act coffer.Action) error {
	return coffer.Errorf(coffer.EFORBIDDEN, "Your role does not allow this (%s).", act)
}

// user returns the signed-in user in ctx, refusing service tokens.
func (s *Service) user(ctx context.Context) (coffer.Actor, error) {
	a := coffer.ActorFromContext(ctx)
	switch {
	case a.IsUser():
		return a, nil
	case a.Type == coffer.ActorToken:
		return a, coffer.Errorf(coffer.EFORBIDDEN, "Service tokens cannot do this; sign in as a user.")
	}
	return a, coffer.Errorf(coffer.EUNAUTHORIZED, "Sign in first.")
}

// projectBySlug reads a project through the lookup cache. Callers get their
// own copy: they may change it (UpdateProject does).
func (s *Service) projectBySlug(ctx context.Context, slug string) (*coffer.Project, error) {
	if p, ok := get(s.cache, s.cache.projects, slug); ok {
		cp := *p
		return &cp, nil
	}
	p, err := s.Store.ProjectBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	cp := *p
	put(s.cache, s.cache.projects, slug, &cp)
	return p, nil
}
