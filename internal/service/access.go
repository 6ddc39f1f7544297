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
		if sc.role, err = s.memberRole(ctx, p.ID, a.UserID); err != nil {
			return nil, err
		}
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
	if sc.env, err = s.environmentBySlug(ctx, sc.project.ID, envSlug); err != nil {
		return nil, err
	}
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
	return lookup(s.cache, s.cache.projects, slug, func() (*coffer.Project, error) {
		return s.Store.ProjectBySlug(ctx, slug)
	})
}

// environmentBySlug reads an environment, with its revision, through the
// lookup cache; the caller gets its own copy.
func (s *Service) environmentBySlug(ctx context.Context, projectID, slug string) (*coffer.Environment, error) {
	env, err := lookup(s.cache, s.cache.envs, inProject(projectID, slug), func() (*coffer.Environment, error) {
		return s.Store.EnvironmentBySlug(ctx, projectID, slug)
	})
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		return nil, errEnvNotFound
	}
	return env, err
}

// freshEnvironment reads env again from the primary, past the cache, and
// caches what it read.
func (s *Service) freshEnvironment(ctx context.Context, env *coffer.Environment) (*coffer.Environment, error) {
	epoch := s.cache.epochNow()
	fresh, err := s.Store.EnvironmentByID(ctx, env.ID)
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		return nil, errEnvNotFound
	} else if err != nil {
		return nil, err
	}
	cp := *fresh
	put(s.cache, s.cache.envs, inProject(fresh.ProjectID, fresh.Slug), &cp, epoch)
	return fresh, nil
}

// memberRole reads a user's role in a project through the lookup cache;
// "" when the user is not a member.
func (s *Service) memberRole(ctx context.Context, projectID, userID string) (coffer.Role, error) {
	key := inProject(projectID, userID)
	role, epoch, ok := get(s.cache, s.cache.roles, key)
	if ok {
		return role, nil
	}
	role, err := s.Store.MemberRole(ctx, projectID, userID)
	if coffer.ErrorCode(err) == coffer.ENOTFOUND { // not a member
		role, err = "", nil
	} else if err != nil {
		return "", err
	}
	put(s.cache, s.cache.roles, key, role, epoch)
	return role, nil
}

// lookup returns a copy of the entry for key in m, reading it with read
// and caching it on a miss.
func lookup[T any](l *lookups, m map[string]cached[*T], key string, read func() (*T, error)) (*T, error) {
	v, epoch, ok := get(l, m, key)
	if !ok {
		var err error
		if v, err = read(); err != nil {
			return nil, err
		}
		put(l, m, key, v, epoch)
	}
	cp := *v
	return &cp, nil
}
