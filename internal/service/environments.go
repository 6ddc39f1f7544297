package service

import (
	"context"
	"strings"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

// Environments lists a project's environments; a service token sees those
// in its scope only.
func (s *Service) Environments(ctx context.Context, project string) ([]*coffer.Environment, error) {
	sc, err := s.project(ctx, project, coffer.ActEnvRead)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.ListEnvironments(ctx, sc.project.ID)
	if err != nil {
		return nil, err
	}
	visible := all[:0]
	for _, env := range all {
		sc.env = env
		if sc.can(coffer.ActEnvRead) {
			visible = append(visible, env)
		}
	}
	return visible, nil
}

// Environment returns one environment.
func (s *Service) Environment(ctx context.Context, project, env string) (*coffer.Environment, error) {
	sc, err := s.environment(ctx, project, env, coffer.ActEnvRead)
	if err != nil {
		return nil, err
	}
	return sc.env, nil
}

// CreateEnvironment adds an environment to a project.
func (s *Service) CreateEnvironment(ctx context.Context, project, slug, name string) (*coffer.Environment, error) {
	sc, err := s.project(ctx, project, coffer.ActEnvManage)
	if err != nil {
		return nil, err
	}
	if err := coffer.ValidateSlug("environment", slug); err != nil {
		return nil, err
	}
	if name == "" {
		name = slug
	}
	if err := coffer.ValidateName("environment", name); err != nil {
		return nil, err
	}
	now := s.now()
	env := &coffer.Environment{ID: newID(), ProjectID: sc.project.ID, Slug: slug, Name: strings.TrimSpace(name), CreatedAt: now, UpdatedAt: now}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.CreateEnvironment(ctx, env); err != nil {
			return nil, envConflict(err, slug)
		}
		return []*coffer.AuditEvent{s.envEvent(ctx, coffer.AuditEnvCreate, sc.project, env)}, nil
	})
	if err != nil {
		return nil, err
	}
	sc.env = env
	s.publish(ctx, s.change(ctx, coffer.EventEnvironmentCreated, sc))
	return env, nil
}

func envConflict(err error, slug string) error {
	if coffer.ErrorCode(err) == coffer.ECONFLICT {
		return coffer.Errorf(coffer.ECONFLICT, "The environment %q already exists in this project.", slug)
	}
	return err
}

func (s *Service) envEvent(ctx context.Context, action string, p *coffer.Project, env *coffer.Environment) *coffer.AuditEvent {
	e := s.event(ctx, action)
	e.ProjectID, e.EnvironmentID, e.Target = p.ID, env.ID, env.Slug
	return e
}

// EnvironmentUpdate renames an environment; nil fields stay.
type EnvironmentUpdate struct {
	Slug *string
	Name *string
}

// UpdateEnvironment applies upd.
func (s *Service) UpdateEnvironment(ctx context.Context, project, env string, upd EnvironmentUpdate) (*coffer.Environment, error) {
	sc, err := s.environment(ctx, project, env, coffer.ActEnvManage)
	if err != nil {
		return nil, err
	}
	e := sc.env
	if upd.Slug != nil {
		if err := coffer.ValidateSlug("environment", *upd.Slug); err != nil {
			return nil, err
		}
		e.Slug = *upd.Slug
	}
	if upd.Name != nil {
		if err := coffer.ValidateName("environment", *upd.Name); err != nil {
			return nil, err
		}
		e.Name = strings.TrimSpace(*upd.Name)
	}
	e.UpdatedAt = s.now()
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.UpdateEnvironment(ctx, e); err != nil {
			return nil, envConflict(err, e.Slug)
		}
		return []*coffer.AuditEvent{s.envEvent(ctx, coffer.AuditEnvUpdate, sc.project, e)}, nil
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, s.change(ctx, coffer.EventEnvironmentUpdated, sc))
	return e, nil
}

// DeleteEnvironment deletes an environment and its secrets.
func (s *Service) DeleteEnvironment(ctx context.Context, project, env string) error {
	sc, err := s.environment(ctx, project, env, coffer.ActEnvManage)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.DeleteEnvironment(ctx, sc.env.ID); err != nil {
			return nil, err
		}
		return []*coffer.AuditEvent{s.envEvent(ctx, coffer.AuditEnvDelete, sc.project, sc.env)}, nil
	})
	if err != nil {
		return err
	}
	s.publish(ctx, s.change(ctx, coffer.EventEnvironmentDeleted, sc))
	return nil
}
