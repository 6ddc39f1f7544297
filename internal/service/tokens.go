package service

import (
	"context"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/store"
)

// ServiceToken is a service token with its environments' slugs.
type ServiceToken struct {
	*coffer.Token
	EnvironmentSlugs []string
}

// ServiceTokens lists a project's live service tokens.
func (s *Service) ServiceTokens(ctx context.Context, project string) ([]ServiceToken, error) {
	sc, err := s.project(ctx, project, coffer.ActTokenManage)
	if err != nil {
		return nil, err
	}
	tokens, err := s.Store.ListProjectTokens(ctx, sc.project.ID)
	if err != nil {
		return nil, err
	}
	slugs, err := s.envSlugs(ctx, sc.project.ID)
	if err != nil {
		return nil, err
	}
	out := make([]ServiceToken, len(tokens))
	for i, t := range tokens {
		out[i] = withSlugs(t, slugs)
	}
	return out, nil
}

func (s *Service) envSlugs(ctx context.Context, projectID string) (map[string]string, error) {
	envs, err := s.Store.ListEnvironments(ctx, projectID)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(envs))
	for _, e := range envs {
		m[e.ID] = e.Slug
	}
	return m, nil
}

func withSlugs(t *coffer.Token, slugs map[string]string) ServiceToken {
	st := ServiceToken{Token: t, EnvironmentSlugs: make([]string, 0, len(t.Environments))}
	for _, id := range t.Environments {
		if slug, ok := slugs[id]; ok {
			st.EnvironmentSlugs = append(st.EnvironmentSlugs, slug)
		}
	}
	return st
}

// ServiceTokenInput describes a new service token.
type ServiceTokenInput struct {
	Name         string
	Environments []string // slugs
	Access       coffer.Access
	ExpiresAt    *time.Time
}

// CreateServiceToken makes a token scoped to some of a project's
// environments. The plain token is returned once; only its hash is kept.
func (s *Service) CreateServiceToken(ctx context.Context, project string, in ServiceTokenInput) (ServiceToken, string, error) {
	sc, err := s.project(ctx, project, coffer.ActTokenManage)
	if err != nil {
		return ServiceToken{}, "", err
	}
	if err := s.validateToken(in.Name, in.ExpiresAt); err != nil {
		return ServiceToken{}, "", err
	}
	if in.Access != coffer.AccessRead && in.Access != coffer.AccessReadWrite {
		return ServiceToken{}, "", coffer.Errorf(coffer.EINVALID, "access must be read or read_write.")
	}
	if len(in.Environments) == 0 {
		return ServiceToken{}, "", coffer.Errorf(coffer.EINVALID, "Name at least one environment.")
	}
	slugs, err := s.envSlugs(ctx, sc.project.ID)
	if err != nil {
		return ServiceToken{}, "", err
	}
	ids := make(map[string]string, len(slugs))
	for id, slug := range slugs {
		ids[slug] = id
	}
	plain, hash := auth.NewToken(coffer.ServiceTokenPrefix)
	a := coffer.ActorFromContext(ctx)
	t := &coffer.Token{
		ID: newID(), Kind: coffer.TokenService, Name: strings.TrimSpace(in.Name), Hash: hash, UserID: a.UserID,
		ProjectID: sc.project.ID, Access: in.Access, CreatedAt: s.now(), ExpiresAt: in.ExpiresAt,
	}
	seen := map[string]bool{}
	for _, slug := range in.Environments {
		id, ok := ids[slug]
		if !ok {
			return ServiceToken{}, "", coffer.Errorf(coffer.EINVALID, "The environment %q does not exist in this project.", slug)
		}
		if !seen[id] {
			seen[id] = true
			t.Environments = append(t.Environments, id)
		}
	}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		if err := tx.CreateToken(ctx, t); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditTokenCreate)
		e.ProjectID, e.Target = sc.project.ID, t.ID
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return ServiceToken{}, "", err
	}
	return withSlugs(t, slugs), plain, nil
}

// RevokeServiceToken revokes one of a project's service tokens at once.
func (s *Service) RevokeServiceToken(ctx context.Context, project, id string) error {
	sc, err := s.project(ctx, project, coffer.ActTokenManage)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		t, err := tx.TokenByID(ctx, id)
		if err != nil || t.Kind != coffer.TokenService || t.ProjectID != sc.project.ID || t.RevokedAt != nil {
			return nil, notFoundAs(err, "Token not found.")
		}
		if err := tx.RevokeToken(ctx, id, s.now()); err != nil {
			return nil, err
		}
		e := s.event(ctx, coffer.AuditTokenRevoke)
		e.ProjectID, e.Target = sc.project.ID, id
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return err
	}
	s.revoked(ctx, coffer.EventTokenRevoked, "", "", id)
	return nil
}

// AuditQuery filters a project's audit log.
type AuditQuery struct {
	Actor       string
	Action      string
	Environment string // slug
	From, To    time.Time
	BeforeSeq   int64
	Limit       int
}

// Audit lists a project's audit events, newest first, with environment
// slugs resolved.
func (s *Service) Audit(ctx context.Context, project string, q AuditQuery) ([]*coffer.AuditEvent, map[string]string, error) {
	sc, err := s.project(ctx, project, coffer.ActAuditRead)
	if err != nil {
		return nil, nil, err
	}
	slugs, err := s.envSlugs(ctx, sc.project.ID)
	if err != nil {
		return nil, nil, err
	}
	f := coffer.AuditFilter{ProjectID: sc.project.ID, ActorID: q.Actor, Action: q.Action, From: q.From, To: q.To, BeforeSeq: q.BeforeSeq, Limit: q.Limit}
	if q.Environment != "" {
		for id, slug := range slugs {
			if slug == q.Environment {
				f.EnvironmentID = id
			}
		}
		if f.EnvironmentID == "" {
			return nil, slugs, nil
		}
	}
	events, err := s.Store.ListAudit(ctx, f)
	return events, slugs, err
}
