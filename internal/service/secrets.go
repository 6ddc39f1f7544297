package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/barrier"
	"github.com/cofferhq/coffer/internal/store"
)

// Bundle is an environment's secrets at a revision, opened for one answer.
// The values live in one buffer, never in strings: Close wipes it, and the
// caller closes the bundle once the answer is written.
type Bundle struct {
	Revision int64
	// Secrets are the sealed rows, shared with the bundle cache: read only.
	// Their Value is empty; Values[i] is the value of Secrets[i], nil for
	// a deletion (listed with Since).
	Secrets     []*coffer.Secret
	Values      [][]byte
	NotModified bool // the caller already has this revision
	// Derived keeps what a caller derives from Secrets, such as their
	// rendered metadata, for as long as this revision stays cached, so
	// that the work is done once per revision instead of once per read.
	// Nil when the rows were read for this answer alone (Since).
	Derived *atomic.Value
	buf     *[]byte
}

// bundleValues recycles the buffers bulk reads open values into; each is
// wiped before it is put back.
var bundleValues = sync.Pool{New: func() any { return new([]byte) }}

// Close wipes the bundle's values. It is safe to call more than once.
func (b *Bundle) Close() {
	if b == nil || b.buf == nil {
		return
	}
	buf := (*b.buf)[:cap(*b.buf)]
	clear(buf)
	b.Values = nil
	if cap(buf) <= 1<<20 { // let a rare huge bundle go to the collector
		*b.buf = buf[:0]
		bundleValues.Put(b.buf)
	}
	b.buf = nil
}

// open opens the values of b.Secrets into a pooled buffer sized for all of
// them up front, so that no value is copied into an array the collector
// frees unwiped.
func (b *Bundle) open(dek *barrier.DEK, sc *scope) error {
	size := 0
	for _, sec := range b.Secrets {
		size += len(sec.Ciphertext)
	}
	b.buf = bundleValues.Get().(*[]byte)
	buf := slices.Grow((*b.buf)[:0], size)
	*b.buf = buf
	b.Values = make([][]byte, len(b.Secrets))
	for i, sec := range b.Secrets {
		if sec.Deleted {
			continue
		}
		start := len(buf)
		var err error
		if buf, err = dek.AppendOpen(buf, sec.Ciphertext, ad(sc, sec.Key, sec.Version)); err != nil {
			b.Close()
			return fmt.Errorf("open %s version %d: %w", sec.Key, sec.Version, err)
		}
		b.Values[i] = buf[start:len(buf):len(buf)]
	}
	return nil
}

// BundleQuery narrows a bulk read.
type BundleQuery struct {
	Since *int64 // only changes after this revision, deletions included
	Known *int64 // the revision the caller holds (If-None-Match)
	// Fresh skips the cached environment revision (Cache-Control:
	// no-cache): the answer is at least as new as the primary database.
	Fresh bool
}

// Secrets reads an environment's secrets — the hot path of Coffer.
//
// The environment and its revision come from the lookup cache, which this
// instance's own changes update before they are answered and other
// instances' changes update when their event arrives (see lookups.go); a
// caller that names a newer revision than the cached one, or asks for a
// fresh answer, makes it look again. The sealed secrets of a revision come
// from the bundle cache or, once per revision, from the database. The rows
// may be newer than the revision looked up, never older: a client that
// resumes from the revision returned may see a change twice, never miss one.
// One audit event names every key returned, and it is durable before any
// value leaves.
func (s *Service) Secrets(ctx context.Context, project, env string, q BundleQuery) (*Bundle, error) {
	if q.Since != nil && *q.Since < 0 {
		return nil, coffer.Errorf(coffer.EINVALID, "since must be a revision (0 or more).")
	}
	sc, err := s.environment(ctx, project, env, coffer.ActSecretRead)
	if err != nil {
		return nil, err
	}
	if q.Fresh || newer(q.Known, sc.env.Revision) || newer(q.Since, sc.env.Revision) {
		if sc.env, err = s.freshEnvironment(ctx, sc.env); err != nil {
			return nil, err
		}
	}
	b := &Bundle{Revision: sc.env.Revision}
	if q.Known != nil && *q.Known == b.Revision {
		b.NotModified = true
		return b, nil
	}
	var keys []string // named by the read's audit event
	if q.Since != nil {
		if b.Revision, b.Secrets, err = s.secretRows(ctx, sc.env, q.Since); err != nil {
			return nil, err
		}
		keys = keyNames(b.Secrets)
	} else {
		bundle, err := s.sealedBundle(ctx, sc)
		if err != nil {
			return nil, err
		}
		b.Revision, b.Secrets, b.Derived, keys = bundle.revision, bundle.secrets, &bundle.derived, bundle.keys
	}
	dek, err := s.dek(sc.project)
	if err != nil {
		return nil, err
	}
	if err := b.open(dek, sc); err != nil {
		return nil, err
	}
	e := s.secretEvent(ctx, coffer.AuditSecretsRead, sc, "")
	e.Keys = keys // shared with the bundle cache: never modified
	if err := s.record(ctx, e); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// newer reports whether a revision named by a caller is past rev.
func newer(named *int64, rev int64) bool { return named != nil && *named > rev }

// sealedBundle returns sc's environment at its revision or newer: from
// this instance's bundle cache, else from the shared one, else from the
// database (which fills both).
func (s *Service) sealedBundle(ctx context.Context, sc *scope) (*sealedBundle, error) {
	env := sc.env
	if b := s.bundles.get(env.ID, env.Revision); b != nil {
		return b, nil
	}
	if s.Bundles != nil {
		if rows, ok := s.Bundles.Get(ctx, env.ID, env.Revision); ok {
			b := newSealedBundle(sc.project.ID, env.Revision, rows)
			s.bundles.put(env.ID, b)
			return b, nil
		}
	}
	rev, rows, err := s.secretRows(ctx, env, nil)
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		return nil, errEnvNotFound // deleted since it was looked up
	} else if err != nil {
		return nil, err
	}
	b := newSealedBundle(sc.project.ID, rev, rows)
	s.bundles.put(env.ID, b)
	if s.Bundles != nil {
		s.Bundles.Put(ctx, env.ID, rev, rows)
	}
	return b, nil
}

// opened returns copies of secrets with their values opened; the sealed
// rows may be shared with the bundle cache and stay as they are.
func (s *Service) opened(sc *scope, secrets []*coffer.Secret) ([]*coffer.Secret, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	dek, err := s.dek(sc.project)
	if err != nil {
		return nil, err
	}
	out := make([]coffer.Secret, len(secrets))
	list := make([]*coffer.Secret, len(secrets))
	for i, sec := range secrets {
		out[i], list[i] = *sec, &out[i]
		if sec.Deleted {
			continue
		}
		if out[i].Value, err = open(dek, sc, sec.Key, sec.Version, sec.Ciphertext); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func open(dek *barrier.DEK, sc *scope, key string, version int, ct []byte) (string, error) {
	value, err := dek.Open(ct, ad(sc, key, version))
	if err != nil {
		return "", fmt.Errorf("open %s version %d: %w", key, version, err)
	}
	return value, nil
}

func ad(sc *scope, key string, version int) barrier.AD {
	return barrier.AD{ProjectID: sc.project.ID, EnvironmentID: sc.env.ID, Key: key, Version: version}
}

func (s *Service) secretEvent(ctx context.Context, action string, sc *scope, key string) *coffer.AuditEvent {
	e := s.event(ctx, action)
	e.ProjectID, e.EnvironmentID, e.Target = sc.project.ID, sc.env.ID, key
	return e
}

var errSecretNotFound = coffer.Errorf(coffer.ENOTFOUND, "Secret not found.")

// Secret reads one secret.
func (s *Service) Secret(ctx context.Context, project, env, key string) (*coffer.Secret, error) {
	sc, err := s.environment(ctx, project, env, coffer.ActSecretRead)
	if err != nil {
		return nil, err
	}
	if err := coffer.ValidateKey(key); err != nil {
		return nil, errSecretNotFound
	}
	sec, err := s.Store.SecretByKey(ctx, sc.env.ID, key)
	if err != nil || sec.Deleted {
		return nil, notFoundAs(err, "Secret not found.")
	}
	opened, err := s.opened(sc, []*coffer.Secret{sec})
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, s.secretEvent(ctx, coffer.AuditSecretRead, sc, key)); err != nil {
		return nil, err
	}
	return opened[0], nil
}

// PutSecret writes a new version of one secret, creating it if needed.
func (s *Service) PutSecret(ctx context.Context, project, env string, in coffer.SecretInput) (sec *coffer.Secret, created bool, err error) {
	sc, err := s.environment(ctx, project, env, coffer.ActSecretWrite)
	if err != nil {
		return nil, false, err
	}
	if err := coffer.ValidateSecretInput(in); err != nil {
		return nil, false, err
	}
	dek, err := s.dek(sc.project)
	if err != nil {
		return nil, false, err
	}
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		w := s.writer(ctx, tx, sc, dek)
		if err := w.begin(); err != nil {
			return nil, err
		}
		cur, err := w.current(in.Key)
		if err != nil {
			return nil, err
		}
		created = cur == nil || cur.Deleted
		if sec, err = w.put(cur, in); err != nil {
			return nil, err
		}
		return []*coffer.AuditEvent{s.secretEvent(ctx, coffer.AuditSecretWrite, sc, in.Key)}, nil
	})
	if err != nil {
		return nil, false, err
	}
	typ := coffer.EventSecretUpdated
	if created {
		typ = coffer.EventSecretCreated
	}
	s.publish(ctx, s.secretChange(ctx, typ, sc, sec))
	return sec, created, nil
}

func (s *Service) secretChange(ctx context.Context, typ string, sc *scope, sec *coffer.Secret) coffer.Event {
	e := s.change(ctx, typ, sc)
	e.Key, e.Version, e.Revision = sec.Key, sec.Version, sec.Revision
	return e
}

// DeleteSecret soft-deletes a secret: a version that records the deletion.
func (s *Service) DeleteSecret(ctx context.Context, project, env, key string) error {
	sc, err := s.environment(ctx, project, env, coffer.ActSecretWrite)
	if err != nil {
		return err
	}
	if coffer.ValidateKey(key) != nil {
		return errSecretNotFound
	}
	var deleted *coffer.Secret
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		w := s.writer(ctx, tx, sc, nil)
		if err := w.begin(); err != nil {
			return nil, err
		}
		cur, err := w.current(key)
		if err != nil {
			return nil, err
		}
		if cur == nil || cur.Deleted {
			return nil, errSecretNotFound
		}
		if err := w.remove(cur); err != nil {
			return nil, err
		}
		deleted = cur
		return []*coffer.AuditEvent{s.secretEvent(ctx, coffer.AuditSecretDelete, sc, key)}, nil
	})
	if err != nil {
		return err
	}
	s.publish(ctx, s.secretChange(ctx, coffer.EventSecretDeleted, sc, deleted))
	return nil
}

// SecretVersions lists a secret's history, newest first, with values.
func (s *Service) SecretVersions(ctx context.Context, project, env, key string, before, limit int) ([]*coffer.SecretVersion, error) {
	sc, err := s.environment(ctx, project, env, coffer.ActSecretRead)
	if err != nil {
		return nil, err
	}
	if coffer.ValidateKey(key) != nil {
		return nil, errSecretNotFound
	}
	sec, err := s.Store.SecretByKey(ctx, sc.env.ID, key)
	if err != nil {
		return nil, notFoundAs(err, "Secret not found.")
	}
	versions, err := s.Store.SecretVersions(ctx, sec.ID, before, limit)
	if err != nil {
		return nil, err
	}
	dek, err := s.dek(sc.project)
	if err != nil {
		return nil, err
	}
	for _, v := range versions {
		if v.Deleted {
			continue
		}
		if v.Value, err = open(dek, sc, key, v.Version, v.Ciphertext); err != nil {
			return nil, err
		}
	}
	if err := s.record(ctx, s.secretEvent(ctx, coffer.AuditSecretVersions, sc, key)); err != nil {
		return nil, err
	}
	return versions, nil
}

// DeletedSecrets lists up to limit deleted keys of an environment that can
// still be restored, in key order after the key after ("" from the first).
// It names keys, versions and who deleted them, never a value, so it is
// not audited as a read of secrets.
func (s *Service) DeletedSecrets(ctx context.Context, project, env, after string, limit int) ([]*coffer.DeletedSecret, error) {
	sc, err := s.environment(ctx, project, env, coffer.ActSecretRead)
	if err != nil {
		return nil, err
	}
	return s.Store.DeletedSecrets(ctx, sc.env.ID, after, limit)
}

// Rollback makes a new version of a secret that carries an old version's
// value and comment. Rolling back a deleted secret restores it.
func (s *Service) Rollback(ctx context.Context, project, env, key string, version int) (*coffer.Secret, error) {
	sc, err := s.environment(ctx, project, env, coffer.ActSecretWrite)
	if err != nil {
		return nil, err
	}
	if coffer.ValidateKey(key) != nil {
		return nil, errSecretNotFound
	}
	dek, err := s.dek(sc.project)
	if err != nil {
		return nil, err
	}
	var sec *coffer.Secret
	err = s.tx(ctx, func(tx *store.Tx) ([]*coffer.AuditEvent, error) {
		w := s.writer(ctx, tx, sc, dek)
		if err := w.begin(); err != nil {
			return nil, err
		}
		cur, err := w.current(key)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			return nil, errSecretNotFound
		}
		old, err := tx.SecretVersion(ctx, cur.ID, version)
		if err != nil {
			return nil, notFoundAs(err, fmt.Sprintf("Version %d of %s not found.", version, key))
		}
		if old.Deleted {
			return nil, coffer.Errorf(coffer.EINVALID, "Version %d records a deletion; pick a version with a value.", version)
		}
		value, err := open(dek, sc, key, old.Version, old.Ciphertext)
		if err != nil {
			return nil, err
		}
		if sec, err = w.put(cur, coffer.SecretInput{Key: key, Value: value, Comment: old.Comment}); err != nil {
			return nil, err
		}
		e := s.secretEvent(ctx, coffer.AuditSecretRollback, sc, key)
		e.Keys = []string{fmt.Sprintf("%s@%d", key, version)}
		return []*coffer.AuditEvent{e}, nil
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, s.secretChange(ctx, coffer.EventSecretUpdated, sc, sec))
	return sec, nil
}

// errNoChange rolls back an import that changes nothing, so that the
// revision does not move.
var errNoChange = errors.New("no change")
