package storetest

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
)

// appendAudit writes events the way the audit writer does: lock the head,
// number and chain the events after it, insert them. The hash here is a
// stand-in; the real chain is not the store's business.
func appendAudit(t *testing.T, s *store.Store, events ...*coffer.AuditEvent) {
	t.Helper()
	ctx := t.Context()
	err := s.Tx(ctx, func(tx *store.Tx) error {
		seq, prev, err := tx.LockAuditHead(ctx)
		if err != nil {
			return err
		}
		for _, e := range events {
			seq++
			e.Seq, e.PrevHash = seq, prev
			sum := sha256.Sum256(fmt.Appendf(prev, "%d %s", seq, e.ID))
			e.Hash = sum[:]
			prev = e.Hash
		}
		return tx.InsertAuditEvents(ctx, events)
	})
	check(t, err)
}

func event(action, projectID, envID, actorID string, when time.Time) *coffer.AuditEvent {
	return &coffer.AuditEvent{
		ID: newID(), Time: when, ActorType: coffer.ActorUser, ActorID: actorID, Action: action,
		Outcome: coffer.OutcomeSuccess, ProjectID: projectID, EnvironmentID: envID, Target: "DB_URL",
		Keys: []string{"A", "B"}, IP: "192.0.2.7", UserAgent: "curl/8", RequestID: "req-" + action,
	}
}

func testAudit(t *testing.T, s *store.Store) {
	ctx := t.Context()

	seq, hash, err := s.LockAuditHead(ctx)
	check(t, err)
	equal(t, "empty head seq", seq, int64(0))
	equal(t, "empty head hash", hash, nil)

	const (
		p1, p2   = "0190c0de-0000-7000-8000-00000000aaa1", "0190c0de-0000-7000-8000-00000000aaa2"
		env1     = "0190c0de-0000-7000-8000-00000000eee1"
		ada, bob = "ada", "bob"
	)
	e1 := event(coffer.AuditSecretRead, p1, env1, ada, at(1*time.Minute))
	e2 := event(coffer.AuditSecretWrite, p1, env1, bob, at(2*time.Minute))
	e3 := event(coffer.AuditLogin, "", "", ada, at(3*time.Minute))
	e3.Keys, e3.Target = nil, ""
	e4 := event(coffer.AuditSecretRead, p2, "", ada, at(4*time.Minute))
	e5 := event(coffer.AuditSecretRead, p1, "", ada, at(5*time.Minute))
	appendAudit(t, s, e1)
	appendAudit(t, s, e2, e3, e4)
	appendAudit(t, s, e5)
	all := []*coffer.AuditEvent{e1, e2, e3, e4, e5}

	t.Run("HeadMoves", func(t *testing.T) {
		seq, hash, err := s.LockAuditHead(ctx)
		check(t, err)
		equal(t, "head seq", seq, int64(5))
		equal(t, "head hash", hash, e5.Hash)
		equal(t, "first prev hash", e1.PrevHash, nil)
	})
	t.Run("ScanAscending", func(t *testing.T) {
		got, err := s.ScanAudit(ctx, 0, 2)
		check(t, err)
		equal(t, "first batch", got, all[:2])
		got, err = s.ScanAudit(ctx, 2, 0)
		check(t, err)
		equal(t, "rest", got, all[2:])
	})
	t.Run("ErrConflictSeq", func(t *testing.T) {
		dup := event(coffer.AuditLogin, "", "", ada, t0)
		dup.Seq, dup.Hash = 3, []byte("h")
		wantCode(t, s.InsertAuditEvents(ctx, []*coffer.AuditEvent{dup}), coffer.ECONFLICT)
		seq, _, err := s.LockAuditHead(ctx)
		check(t, err)
		equal(t, "head after failed insert", seq, int64(5))
		check(t, s.InsertAuditEvents(ctx, nil))
	})
	t.Run("ListFilters", func(t *testing.T) {
		tests := []struct {
			name   string
			filter coffer.AuditFilter
			want   []*coffer.AuditEvent
		}{
			{"All", coffer.AuditFilter{}, []*coffer.AuditEvent{e5, e4, e3, e2, e1}},
			{"Project", coffer.AuditFilter{ProjectID: p1}, []*coffer.AuditEvent{e5, e2, e1}},
			{"Actor", coffer.AuditFilter{ActorID: bob}, []*coffer.AuditEvent{e2}},
			{"Action", coffer.AuditFilter{ProjectID: p1, Action: coffer.AuditSecretRead}, []*coffer.AuditEvent{e5, e1}},
			{"Environment", coffer.AuditFilter{EnvironmentID: env1}, []*coffer.AuditEvent{e2, e1}},
			{"FromInclusive", coffer.AuditFilter{From: at(4 * time.Minute)}, []*coffer.AuditEvent{e5, e4}},
			{"ToExclusive", coffer.AuditFilter{To: at(2 * time.Minute)}, []*coffer.AuditEvent{e1}},
			{"Window", coffer.AuditFilter{From: at(2 * time.Minute), To: at(4 * time.Minute)}, []*coffer.AuditEvent{e3, e2}},
			{"Limit", coffer.AuditFilter{Limit: 2}, []*coffer.AuditEvent{e5, e4}},
			{"Cursor", coffer.AuditFilter{BeforeSeq: 5, Limit: 2}, []*coffer.AuditEvent{e4, e3}},
			{"ProjectCursor", coffer.AuditFilter{ProjectID: p1, BeforeSeq: 5, Limit: 1}, []*coffer.AuditEvent{e2}},
			{"None", coffer.AuditFilter{ProjectID: "0190c0de-0000-7000-8000-00000000fff0"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListAudit(ctx, tt.filter)
				check(t, err)
				equal(t, "events", got, tt.want)
			})
		}
	})
	t.Run("ConcurrentWritersChain", func(t *testing.T) {
		before, _, err := s.LockAuditHead(ctx)
		check(t, err)
		const writers = 10
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				e := event(coffer.AuditLogin, "", "", fmt.Sprint("writer-", i), t0)
				err := s.Tx(ctx, func(tx *store.Tx) error {
					seq, prev, err := tx.LockAuditHead(ctx)
					if err != nil {
						return err
					}
					e.Seq, e.PrevHash, e.Hash = seq+1, prev, []byte(fmt.Sprint("hash-", seq+1))
					return tx.InsertAuditEvents(ctx, []*coffer.AuditEvent{e})
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.ScanAudit(ctx, before, 100)
		check(t, err)
		equal(t, "events written", len(got), writers)
		for i, e := range got {
			equal(t, "seq", e.Seq, before+int64(i)+1)
			if i > 0 {
				equal(t, "prev hash", e.PrevHash, got[i-1].Hash)
			}
		}
	})
	t.Run("LargeBatch", func(t *testing.T) {
		// Larger than one SQLite INSERT, as a busy group commit can be.
		before, _, err := s.LockAuditHead(ctx)
		check(t, err)
		batch := make([]*coffer.AuditEvent, 450)
		for i := range batch {
			batch[i] = event(coffer.AuditSecretRead, p1, env1, fmt.Sprint("reader-", i), at(time.Duration(i)*time.Second))
		}
		appendAudit(t, s, batch...)
		got, err := s.ScanAudit(ctx, before, 1000)
		check(t, err)
		equal(t, "events written", got, batch)
		seq, hash, err := s.LockAuditHead(ctx)
		check(t, err)
		equal(t, "head seq", seq, batch[len(batch)-1].Seq)
		equal(t, "head hash", hash, batch[len(batch)-1].Hash)
	})
	t.Run("AppendAfterHead", func(t *testing.T) {
		seq, hash, err := s.LockAuditHead(ctx)
		check(t, err)
		chain := func(after int64, prev []byte) *coffer.AuditEvent {
			e := event(coffer.AuditSecretsRead, p1, env1, ada, at(time.Hour))
			e.Seq, e.PrevHash, e.Hash = after+1, prev, []byte(fmt.Sprint("hash-", after+1))
			return e
		}
		next := chain(seq, hash)
		ok, err := s.AppendAuditAfter(ctx, []*coffer.AuditEvent{next})
		check(t, err)
		equal(t, "appended on the head", ok, true)

		stale := chain(seq-1, []byte("old"))
		ok, err = s.AppendAuditAfter(ctx, []*coffer.AuditEvent{stale})
		check(t, err)
		equal(t, "appended behind the head", ok, false)
		gone := chain(next.Seq+1, next.Hash) // a gap after the head
		ok, err = s.AppendAuditAfter(ctx, []*coffer.AuditEvent{gone})
		check(t, err)
		equal(t, "appended past the head", ok, false)

		got, err := s.ScanAudit(ctx, seq, 10)
		check(t, err)
		equal(t, "events after the head", got, []*coffer.AuditEvent{next})
		head, headHash, err := s.LockAuditHead(ctx)
		check(t, err)
		equal(t, "head", head, next.Seq)
		equal(t, "head hash", headHash, next.Hash)
	})
	t.Run("AppendAfterHeadKeepsEveryCharacter", func(t *testing.T) {
		// The batch's columns travel as binary arrays on PostgreSQL (and
		// keys as JSON in both stores): every character must come back as
		// written, and no keys stays distinct from an empty list.
		seq, hash, err := s.LockAuditHead(ctx)
		check(t, err)
		var batch []*coffer.AuditEvent
		for i, text := range []string{`quote " back \ slash \"`, `{braces},commas, "NULL"`, "NULL", "", " spaced ", "日本 🔑 é"} {
			e := event(coffer.AuditSecretsRead, p1, env1, text, at(time.Duration(i)*time.Millisecond))
			e.Target, e.UserAgent, e.IP, e.RequestID = text, text, text, text
			e.Keys = []string{"K", text}
			e.Seq, e.PrevHash, e.Hash = seq+int64(i)+1, hash, []byte{0, '\\', '"', 0xff, byte(i)}
			hash = e.Hash
			batch = append(batch, e)
		}
		batch[0].PrevHash = nil // the first event of a chain has none
		batch[1].Keys = nil
		batch[2].Keys = []string{}
		ok, err := s.AppendAuditAfter(ctx, batch)
		check(t, err)
		equal(t, "appended", ok, true)
		got, err := s.ScanAudit(ctx, seq, 10)
		check(t, err)
		equal(t, "events read back", got, batch)
	})
}
