package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/jsonx"
)

const auditColumns = `seq, id, occurred_at, actor_type, actor_id, action, outcome, project_id,
	environment_id, target, keys, ip, user_agent, request_id, prev_hash, hash`

func scanAudit(row scanner) (*coffer.AuditEvent, error) {
	var e coffer.AuditEvent
	var at int64
	var keys string
	err := row.Scan(&e.Seq, &e.ID, &at, &e.ActorType, &e.ActorID, &e.Action, &e.Outcome, &e.ProjectID,
		&e.EnvironmentID, &e.Target, &keys, &e.IP, &e.UserAgent, &e.RequestID, &e.PrevHash, &e.Hash)
	if err != nil {
		return nil, err
	}
	e.Time = fromMicros(at)
	e.PrevHash, e.Hash = nilIfEmpty(e.PrevHash), nilIfEmpty(e.Hash)
	if err := json.Unmarshal([]byte(keys), &e.Keys); err != nil {
		return nil, fmt.Errorf("audit event %d: keys: %w", e.Seq, err)
	}
	return &e, nil
}

// LockAuditHead returns the sequence number and hash of the last audit
// event (0 and nil before the first). Inside a Tx it also locks the head
// until the transaction ends, so audit writers on every instance take
// turns: PostgreSQL locks the row (FOR UPDATE); SQLite's immediate
// transaction holds the write lock already. Take it last in a transaction,
// after BumpRevision, so that writers always lock rows in the same order
// and never deadlock.
func (q queries) LockAuditHead(ctx context.Context) (seq int64, hash []byte, err error) {
	query := `SELECT seq, hash FROM audit_head WHERE id = 1`
	if q.dialect == Postgres {
		query += ` FOR UPDATE`
	}
	if err := q.db.QueryRowContext(ctx, query).Scan(&seq, &hash); err != nil {
		return 0, nil, dbError(err, "lock audit head", "", "")
	}
	return seq, nilIfEmpty(hash), nil
}

// InsertAuditEvents appends events, whose Seq, PrevHash and Hash the caller
// has set, and moves the audit head to the last one. ECONFLICT if a
// sequence number is taken or the head is not just before the first event.
// Call it in the Tx that locked the head.
func (q queries) InsertAuditEvents(ctx context.Context, events []*coffer.AuditEvent) error {
	if err := q.insertAudit(ctx, events); errors.Is(err, errHeadMoved) {
		return coffer.Errorf(coffer.ECONFLICT, "Audit event already exists.")
	} else if err != nil {
		return err
	}
	return nil
}

// AppendAuditAfter is InsertAuditEvents without the head lock: events are
// chained onto the head the caller last saw, and written only if it is
// still the head — on PostgreSQL in one statement, so a group commit of
// reads costs one round trip instead of a transaction's four. It reports
// false, having written nothing, when another writer moved the head first;
// the caller then chains again from the locked head.
func (s *Store) AppendAuditAfter(ctx context.Context, events []*coffer.AuditEvent) (bool, error) {
	err := s.insertAudit(ctx, events)
	if errors.Is(err, errHeadMoved) {
		return false, nil
	}
	return err == nil, err
}

// errHeadMoved: the audit head is not the event before the ones written.
var errHeadMoved = errors.New("audit head moved")

func (q queries) insertAudit(ctx context.Context, events []*coffer.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	first, last := events[0], events[len(events)-1]
	if q.dialect == Postgres {
		return q.insertAuditArrays(ctx, first.Seq-1, events)
	}
	return q.atomic(ctx, func(q queries) error {
		n, err := q.exec(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1 AND seq = $3`,
			last.Seq, nonNil(last.Hash), first.Seq-1)
		if err != nil {
			return dbError(err, "move audit head", "", "")
		}
		if n == 0 {
			return errHeadMoved
		}
		for start := 0; start < len(events); start += auditInsertBatch {
			if err := q.insertAuditRows(ctx, events[start:min(start+auditInsertBatch, len(events))]); err != nil {
				return err
			}
		}
		return nil
	})
}

// auditInsertBatch rows go in one SQLite INSERT: 16 parameters a row stays
// far below its parameter limit.
const auditInsertBatch = 200

func (q queries) insertAuditRows(ctx context.Context, events []*coffer.AuditEvent) error {
	const cols = 16
	var sb strings.Builder
	sb.WriteString(`INSERT INTO audit_events (` + auditColumns + `) VALUES `)
	args := make([]any, 0, cols*len(events))
	for i, e := range events {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for c := range cols {
			if c > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("$" + strconv.Itoa(i*cols+c+1))
		}
		sb.WriteByte(')')
		args = append(args, e.Seq, e.ID, micros(e.Time), e.ActorType, e.ActorID, e.Action, e.Outcome, e.ProjectID,
			e.EnvironmentID, e.Target, string(jsonx.AppendStrings(nil, e.Keys)), e.IP, e.UserAgent, e.RequestID,
			nonNil(e.PrevHash), nonNil(e.Hash))
	}
	if _, err := q.db.ExecContext(ctx, sb.String(), args...); err != nil {
		return dbError(err, "insert audit events", "", "Audit event already exists.")
	}
	return nil
}

// ListAudit returns the events that match f, newest first. From is
// inclusive and To exclusive; BeforeSeq is the cursor of the next page;
// Limit <= 0 means coffer.DefaultPageSize (the caller caps it). A
// project's events walk the (project_id, seq) index.
func (q queries) ListAudit(ctx context.Context, f coffer.AuditFilter) ([]*coffer.AuditEvent, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ProjectID != "" {
		add("project_id = $%d", f.ProjectID)
	}
	if f.ActorID != "" {
		add("actor_id = $%d", f.ActorID)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if f.EnvironmentID != "" {
		add("environment_id = $%d", f.EnvironmentID)
	}
	if !f.From.IsZero() {
		add("occurred_at >= $%d", micros(f.From))
	}
	if !f.To.IsZero() {
		add("occurred_at < $%d", micros(f.To))
	}
	if f.BeforeSeq > 0 {
		add("seq < $%d", f.BeforeSeq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = coffer.DefaultPageSize
	}
	query := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, limit)
	query += fmt.Sprintf(` ORDER BY seq DESC LIMIT $%d`, len(args))
	return queryList(ctx, q, "list audit events", scanAudit, query, args...)
}

// ScanAudit returns up to limit events after afterSeq in chain order, for
// verification; limit <= 0 means 1000.
func (q queries) ScanAudit(ctx context.Context, afterSeq int64, limit int) ([]*coffer.AuditEvent, error) {
	if limit <= 0 {
		limit = 1000
	}
	return queryList(ctx, q, "scan audit events", scanAudit, `
		SELECT `+auditColumns+` FROM audit_events
		WHERE seq > $1
		ORDER BY seq
		LIMIT $2`, afterSeq, limit)
}
