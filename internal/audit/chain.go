// Package audit writes Coffer's audit trail: append-only events, each
// carrying the hash of the one before it, written in the same transaction as
// the change they describe (or, for reads, committed before the value leaves)
// so that a failure to audit fails the request.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

// Hash returns the chain hash of e given the hash of the event before it:
// SHA-256 over prev and an unambiguous, length-prefixed encoding of every
// recorded field. Changing, dropping or reordering any event breaks every
// hash after it.
func Hash(prev []byte, e *coffer.AuditEvent) []byte {
	h := sha256.New()
	var buf [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(buf[:], uint64(len(b)))
		h.Write(buf[:])
		h.Write(b)
	}
	field(prev)
	binary.BigEndian.PutUint64(buf[:], uint64(e.Seq))
	field(buf[:])
	binary.BigEndian.PutUint64(buf[:], uint64(e.Time.UnixMicro()))
	field(buf[:])
	for _, s := range []string{
		e.ID, string(e.ActorType), e.ActorID, e.Action, e.Outcome,
		e.ProjectID, e.EnvironmentID, e.Target, e.IP, e.UserAgent, e.RequestID,
	} {
		field([]byte(s))
	}
	binary.BigEndian.PutUint64(buf[:], uint64(len(e.Keys)))
	field(buf[:])
	for _, k := range e.Keys {
		field([]byte(k))
	}
	return h.Sum(nil)
}

// Append links events to the chain and inserts them inside tx. It must be
// the last write of the transaction: it locks the chain head, which every
// audited change on every instance takes.
func Append(ctx context.Context, tx *store.Tx, events ...*coffer.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	seq, prev, err := tx.LockAuditHead(ctx)
	if err != nil {
		return fmt.Errorf("lock audit head: %w", err)
	}
	link(seq, prev, events)
	if err := tx.InsertAuditEvents(ctx, events); err != nil {
		return fmt.Errorf("insert audit events: %w", err)
	}
	return nil
}

// link chains events after the event seq whose hash is prev.
func link(seq int64, prev []byte, events []*coffer.AuditEvent) {
	for _, e := range events {
		seq++
		e.Seq = seq
		e.Time = e.Time.UTC().Truncate(time.Microsecond)
		e.PrevHash = prev
		e.Hash = Hash(prev, e)
		prev = e.Hash
	}
}

// ErrBroken reports a chain that does not verify.
var ErrBroken = errors.New("audit chain broken")

// Verify walks the whole chain in order and checks every link. It returns
// the number of events checked; on a broken link the error names the first
// bad sequence number.
func Verify(ctx context.Context, st *store.Store) (int64, error) {
	const page = 1000
	var (
		after int64
		prev  []byte
		n     int64
	)
	for {
		events, err := st.ScanAudit(ctx, after, page)
		if err != nil {
			return n, fmt.Errorf("scan audit events after %d: %w", after, err)
		}
		for _, e := range events {
			if e.Seq != after+1 {
				return n, fmt.Errorf("%w: event %d follows %d (missing events)", ErrBroken, e.Seq, after)
			}
			if string(e.PrevHash) != string(prev) || string(e.Hash) != string(Hash(prev, e)) {
				return n, fmt.Errorf("%w at event %d", ErrBroken, e.Seq)
			}
			prev, after = e.Hash, e.Seq
			n++
		}
		if len(events) < page {
			return n, checkHead(ctx, st, after, prev)
		}
	}
}

// checkHead compares the stored chain head with the last event, so that
// events cut from the end of the chain are noticed too.
func checkHead(ctx context.Context, st *store.Store, seq int64, hash []byte) error {
	return st.Tx(ctx, func(tx *store.Tx) error {
		headSeq, headHash, err := tx.LockAuditHead(ctx)
		if err != nil {
			return fmt.Errorf("read audit head: %w", err)
		}
		if headSeq != seq || string(headHash) != string(hash) {
			return fmt.Errorf("%w: head is at event %d but the chain ends at %d", ErrBroken, headSeq, seq)
		}
		return nil
	})
}
