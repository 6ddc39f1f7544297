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
	return hash(prev, e, uint64(e.Seq), uint64(e.Time.UnixMicro()), uint64(len(e.Keys)))
}

// legacyHash is the hash of events written by Coffer before the chain
// covered every field. Their encoding held the sequence number, the time
// and the number of keys as the constant 8 — a length prefix overwrote
// each value before it was hashed — so those three fields of such an
// event are not tamper-evident; its other fields and its place in the
// chain are. Verify accepts it and counts it.
func legacyHash(prev []byte, e *coffer.AuditEvent) []byte { return hash(prev, e, 8, 8, 8) }

func hash(prev []byte, e *coffer.AuditEvent, seq, micros, keys uint64) []byte {
	strs := [...]string{
		e.ID, string(e.ActorType), e.ActorID, e.Action, e.Outcome,
		e.ProjectID, e.EnvironmentID, e.Target, e.IP, e.UserAgent, e.RequestID,
	}
	size := 8*(4+len(strs)+len(e.Keys)) + 3*16 + len(prev) // prefixes, the numbers, prev
	for _, s := range strs {
		size += len(s)
	}
	for _, k := range e.Keys {
		size += len(k)
	}
	// One buffer, hashed at once: writing each field to the hash would copy
	// every string into a fresh slice. A usual event fits on the stack.
	var stack [1024]byte
	b := stack[:0]
	if size > len(stack) {
		b = make([]byte, 0, size)
	}
	b = appendField(b, prev)
	b = appendUint(b, seq)
	b = appendUint(b, micros)
	for _, s := range strs {
		b = appendField(b, s)
	}
	b = appendUint(b, keys)
	for _, k := range e.Keys {
		b = appendField(b, k)
	}
	sum := sha256.Sum256(b)
	return sum[:]
}

// appendUint appends v as a field of 8 bytes.
func appendUint(b []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(b, 8), v)
}

// appendField appends f prefixed with its length.
func appendField[T ~string | ~[]byte](b []byte, f T) []byte {
	return append(binary.BigEndian.AppendUint64(b, uint64(len(f))), f...)
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

// Chain is what Verify found.
type Chain struct {
	Events int64 // events checked
	Legacy int64 // of which hashed before the chain covered every field (see legacyHash)
}

// Verify walks the whole chain in order and checks every link. It returns
// what it checked; on a broken link the error names the first bad
// sequence number.
func Verify(ctx context.Context, st *store.Store) (Chain, error) {
	const page = 1000
	var (
		after int64
		prev  []byte
		c     Chain
	)
	for {
		events, err := st.ScanAudit(ctx, after, page)
		if err != nil {
			return c, fmt.Errorf("scan audit events after %d: %w", after, err)
		}
		for _, e := range events {
			if e.Seq != after+1 {
				return c, fmt.Errorf("%w: event %d follows %d (missing events)", ErrBroken, e.Seq, after)
			}
			if string(e.PrevHash) != string(prev) {
				return c, fmt.Errorf("%w at event %d", ErrBroken, e.Seq)
			}
			switch string(e.Hash) {
			case string(Hash(prev, e)):
			case string(legacyHash(prev, e)):
				c.Legacy++
			default:
				return c, fmt.Errorf("%w at event %d", ErrBroken, e.Seq)
			}
			prev, after = e.Hash, e.Seq
			c.Events++
		}
		if len(events) < page {
			return c, checkHead(ctx, st, after, prev)
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
