package service

import (
	"context"
	"sort"
	"strings"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

// Projects lists the projects the caller is a member of, by slug, after
// the cursor slug. A service token sees its own project only.
func (s *Service) Projects(ctx context.Context, after string, limit int) ([]store.ProjectRole, string, error) {
	a := coffer.ActorFromContext(ctx)
	var all []store.ProjectRole
	switch {
	case a.IsUser():
		var err error
		if all, err = s.Store.ListUserProjects(ctx, a.UserID); err != nil {
			return nil, "", err
		}
	case a.Type == coffer.ActorToken:
		p, err := s.Store.ProjectByID(ctx, a.ProjectID)
		if err != nil {
			return nil, "", err
		}
		all = []store.ProjectRole{{Project: p}}
	default:
		return nil, "", coffer.Errorf(coffer.EUNAUTHORIZED, "Sign in first.")
	}
	i := sort.Search(len(all), func(i int) bool { return all[i].Project.Slug > after })
	page := all[i:]
	next := ""
	if len(page) > limit {
		page = page[:limit]
		next = page[limit-1].Project.Slug
	}
	return page, next, nil
}

// ProjectInput describes a new project.
type ProjectInput struct {
	Slug         string
	Name         string
	Environments []string // slugs; nil means the defaults
}

// CreateProject creates a project with its data key and environments and
// makes the caller its owner, all at once.
func (s *Service) CreateProject(ctx context.Context, in ProjectInput) (*coffer.Project, error) {
	a, err := s.user(ctx)
	if err != nil {
		return nil, err
	}
	if err := coffer.ValidateSlug("project", in.Slug); err != nil {
		return nil, err
	}
	if in.Name == "" {
		in.Name = in.Slug
	}
	if err := coffer.ValidateName("project", in.Name); err != nil {
		return nil, err
	}
	envs := in.Environments
	if envs == nil {
		envs = coffer.DefaultEnvironments
	}
	if err := validateEnvSlugs(envs); err != nil {
		return nil, err
	}
	now := s.now()
	p := &coffer.Project{ID: newID(), Slug: in.Slug, Name: strings.TrimSpace(in.Name), CreatedAt: now, UpdatedAt: now}
	if _, p.WrappedDEK, p.KEKID, err = s.Keyring.NewDEK(p.ID); err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.CreateProject(ctx, p); err != nil {
			if coffer.ErrorCode(err) == coffer.ECONFLICT {
				return nil, coffer.Errorf(coffer.ECONFLICT, "A project with the slug %q already exists.", p.Slug)
			}
			return nil, err
		}
		if err := tx.AddMember(ctx, &coffer.Member{ProjectID: p.ID, UserID: a.UserID, Role: coffer.RoleOwner, CreatedAt: now}); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditProjectCreate)
		e.ProjectID, e.Target = p.ID, p.Slug
		events := []*coffer.AuditEvent{e}
		for _, slug := range envs {
			env := &coffer.Environment{ID: newID(), ProjectID: p.ID, Slug: slug, Name: slug, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateEnvironment(ctx, env); err != nil {
				return nil, err
			}
			ee := s.event(ctx, coffer.AuditEnvCreate)
			ee.ProjectID, ee.EnvironmentID, ee.Target = p.ID, env.ID, slug
			events = append(events, ee)
		}
		return events, nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func validateEnvSlugs(slugs []string) error {
	if len(slugs) > 50 {
		return coffer.Errorf(coffer.EINVALID, "A project has at most 50 environments.")
	}
	seen := make(map[string]bool, len(slugs))
	for _, slug := range slugs {
		if err := coffer.ValidateSlug("environment", slug); err != nil {
			return err
		}
		if seen[slug] {
			return coffer.Errorf(coffer.EINVALID, "The environment %q is listed twice.", slug)
		}
		seen[slug] = true
	}
	return nil
}

// Project returns a project and the caller's role in it.
func (s *Service) Project(ctx context.Context, slug string) (*coffer.Project, coffer.Role, error) {
	sc, err := s.project(ctx, slug, coffer.ActProjectRead)
	if err != nil {
		return nil, "", err
	}
	return sc.project, sc.role, nil
}

// ProjectUpdate renames a project or changes its slug; nil fields stay.
type ProjectUpdate struct {
	Slug *string
	Name *string
}

// UpdateProject applies upd.
func (s *Service) UpdateProject(ctx context.Context, slug string, upd ProjectUpdate) (*coffer.Project, coffer.Role, error) {
	sc, err := s.project(ctx, slug, coffer.ActProjectUpdate)
	if err != nil {
		return nil, "", err
	}
	p := sc.project
	if upd.Slug != nil {
		if err := coffer.ValidateSlug("project", *upd.Slug); err != nil {
			return nil, "", err
		}
		p.Slug = *upd.Slug
	}
	if upd.Name != nil {
		if err := coffer.ValidateName("project", *upd.Name); err != nil {
			return nil, "", err
		}
		p.Name = strings.TrimSpace(*upd.Name)
	}
	p.UpdatedAt = s.now()
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.UpdateProject(ctx, p); err != nil {
			if coffer.ErrorCode(err) == coffer.ECONFLICT {
				return nil, coffer.Errorf(coffer.ECONFLICT, "A project with the slug %q already exists.", p.Slug)
			}
			return nil, err
		}
		e := s.event(ctx, coffer.AuditProjectUpdate)
		e.ProjectID, e.Target = p.ID, p.Slug
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return nil, "", err
	}
	s.publish(ctx, s.change(ctx, coffer.EventProjectUpdated, sc))
	return p, sc.role, nil
}

// DeleteProject deletes a project with its environments, secrets, members
// and service tokens. Its audit events stay.
func (s *Service) DeleteProject(ctx context.Context, slug string) error {
	sc, err := s.project(ctx, slug, coffer.ActProjectDelete)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.DeleteProject(ctx, sc.project.ID); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditProjectDelete)
		e.ProjectID, e.Target = sc.project.ID, sc.project.Slug
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return err
	}
	s.publish(ctx, s.change(ctx, coffer.EventProjectDeleted, sc))
	return nil
}
