package service

import (
	"context"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/barrier"
	"github.com/cofferhq/coffer/internal/store"
)

// secretWriter makes the changes of one transaction to one environment's
// secrets. begin takes the environment's revision lock first, so that
// writers of one environment queue and version numbers never race; every
// change of the transaction then shares that one new revision.
type secretWriter struct {
	ctx      context.Context
	tx       *store.Tx
	sc       *scope
	dek      *barrier.DEK
	actor    coffer.Actor
	revision int64
	now      func() time.Time
}

func (s *Service) writer(ctx context.Context, tx *store.Tx, sc *scope, dek *barrier.DEK) *secretWriter {
	return &secretWriter{ctx: ctx, tx: tx, sc: sc, dek: dek, actor: coffer.ActorFromContext(ctx), now: s.now}
}

func (w *secretWriter) begin() error {
	rev, err := w.tx.BumpRevision(w.ctx, w.sc.env.ID, w.now())
	if err != nil {
		return err
	}
	w.revision = rev
	w.sc.env.Revision = rev
	return nil
}

// current returns the secret's row, deleted or not, or nil if it never
// existed.
func (w *secretWriter) current(key string) (*coffer.Secret, error) {
	sec, err := w.tx.SecretByKey(w.ctx, w.sc.env.ID, key)
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		return nil, nil
	}
	return sec, err
}

// put writes in as the next version after cur (nil: a new secret).
func (w *secretWriter) put(cur *coffer.Secret, in coffer.SecretInput) (*coffer.Secret, error) {
	now := w.now()
	sec := cur
	if sec == nil {
		sec = &coffer.Secret{ID: newID(), EnvironmentID: w.sc.env.ID, Key: in.Key}
	}
	sec.Version++
	sec.Revision, sec.Deleted, sec.Comment = w.revision, false, in.Comment
	sec.UpdatedAt, sec.UpdatedBy, sec.Value = now, w.actor, in.Value
	ct, err := w.dek.Seal([]byte(in.Value), ad(w.sc, in.Key, sec.Version))
	if err != nil {
		return nil, err
	}
	sec.Ciphertext = ct
	if cur == nil {
		err = w.tx.InsertSecret(w.ctx, sec)
	} else {
		err = w.tx.UpdateSecret(w.ctx, sec)
	}
	if err != nil {
		return nil, err
	}
	return sec, w.version(sec)
}

// remove records the deletion of cur as its next version.
func (w *secretWriter) remove(cur *coffer.Secret) error {
	cur.Version++
	cur.Revision, cur.Deleted, cur.Comment = w.revision, true, ""
	cur.UpdatedAt, cur.UpdatedBy, cur.Ciphertext, cur.Value = w.now(), w.actor, nil, ""
	if err := w.tx.UpdateSecret(w.ctx, cur); err != nil {
		return err
	}
	return w.version(cur)
}

func (w *secretWriter) version(sec *coffer.Secret) error {
	return w.tx.InsertSecretVersion(w.ctx, &coffer.SecretVersion{
		SecretID: sec.ID, Version: sec.Version, Revision: sec.Revision, Deleted: sec.Deleted,
		Comment: sec.Comment, CreatedAt: sec.UpdatedAt, CreatedBy: sec.UpdatedBy, Ciphertext: sec.Ciphertext,
	})
}
