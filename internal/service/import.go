package service

import (
	"context"
	"errors"
	"sort"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

// ImportOptions change how an import applies.
type ImportOptions struct {
	DryRun bool // report what would change, change nothing
	Prune  bool // delete keys that the import does not name
}

// ImportResult says what an import changed (or would change).
type ImportResult struct {
	Revision  int64
	Created   []string
	Updated   []string
	Unchanged []string
	Deleted   []string
	DryRun    bool
}

func (r *ImportResult) changed() bool {
	return len(r.Created)+len(r.Updated)+len(r.Deleted) > 0
}

// Import writes many secrets at once, all or nothing, as one revision.
// Values equal to the current ones are left alone.
func (s *Service) Import(ctx context.Context, project, env string, inputs []coffer.SecretInput, opts ImportOptions) (*ImportResult, error) {
	sc, err := s.environment(ctx, project, env, coffer.ActSecretWrite)
	if err != nil {
		return nil, err
	}
	if err := validateImport(inputs); err != nil {
		return nil, err
	}
	dek, err := s.dek(sc.project)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{DryRun: opts.DryRun}
	var changes []coffer.Event
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		w := s.writer(ctx, tx, sc, dek)
		if err := w.begin(); err != nil {
			return nil, err
		}
		sealed, err := tx.ListSecrets(ctx, sc.env.ID)
		if err != nil {
			return nil, err
		}
		current, err := s.opened(sc, sealed)
		if err != nil {
			return nil, err
		}
		byKey := make(map[string]*coffer.Secret, len(current))
		for _, sec := range current {
			byKey[sec.Key] = sec
		}
		for _, in := range inputs {
			cur := byKey[in.Key]
			delete(byKey, in.Key)
			if cur != nil && in.Comment == "" {
				// A dotenv file has no comments: importing one keeps them.
				in.Comment = cur.Comment
			}
			switch {
			case cur != nil && cur.Value == in.Value && cur.Comment == in.Comment:
				res.Unchanged = append(res.Unchanged, in.Key)
				continue
			case cur != nil:
				res.Updated = append(res.Updated, in.Key)
			default:
				res.Created = append(res.Created, in.Key)
				// A deleted key comes back as its next version.
				if cur, err = w.current(in.Key); err != nil {
					return nil, err
				}
			}
			typ := coffer.EventSecretUpdated
			if cur == nil || cur.Deleted {
				typ = coffer.EventSecretCreated
			}
			sec, err := w.put(cur, in)
			if err != nil {
				return nil, err
			}
			changes = append(changes, s.secretChange(ctx, typ, sc, sec))
		}
		if opts.Prune {
			for key, cur := range byKey {
				res.Deleted = append(res.Deleted, key)
				if err := w.remove(cur); err != nil {
					return nil, err
				}
				changes = append(changes, s.secretChange(ctx, coffer.EventSecretDeleted, sc, cur))
			}
			sort.Strings(res.Deleted)
		}
		res.Revision = w.revision
		if opts.DryRun || !res.changed() {
			res.Revision = w.revision - 1
			return nil, errNoChange
		}
		e := s.secretEvent(ctx, coffer.AuditSecretsImport, sc, "")
		e.Keys = append(append(append([]string{}, res.Created...), res.Updated...), res.Deleted...)
		return []*coffer.AuditEvent{e}, nil
	})
	if errors.Is(err, errNoChange) {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	s.publish(ctx, changes...)
	return res, nil
}

func validateImport(inputs []coffer.SecretInput) error {
	if len(inputs) > coffer.MaxSecretsPerBulk {
		return coffer.Errorf(coffer.ETOOLARGE, "An import holds at most %d secrets.", coffer.MaxSecretsPerBulk)
	}
	seen := make(map[string]bool, len(inputs))
	for _, in := range inputs {
		if err := coffer.ValidateSecretInput(in); err != nil {
			return err
		}
		if seen[in.Key] {
			return coffer.Errorf(coffer.EINVALID, "The key %q appears twice.", in.Key)
		}
		seen[in.Key] = true
	}
	return nil
}
