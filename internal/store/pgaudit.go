package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/jsonx"
)

// pgInsertAudit moves the head from $19 to the last event and writes the
// whole batch in one prepared statement: one array per column, so a batch
// of any size binds 19 parameters. If the head is not at $19 the UPDATE
// matches nothing and, joined to it, neither does the INSERT.
const pgInsertAudit = `WITH head AS (
	UPDATE audit_head SET seq = $17, hash = $18 WHERE id = 1 AND seq = $19 RETURNING 1 AS moved
)
INSERT INTO audit_events (` + auditColumns + `)
SELECT t.* FROM head, unnest($1::int8[], $2::uuid[], $3::int8[], $4::text[], $5::text[], $6::text[],
	$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
	$15::bytea[], $16::bytea[])
	AS t(seq, id, occurred_at, actor_type, actor_id, action, outcome, project_id,
		environment_id, target, keys, ip, user_agent, request_id, prev_hash, hash)`

// pgInsertAuditName is the name pgInsertAudit is prepared under on each
// connection that runs it.
const pgInsertAuditName = "coffer_insert_audit"

// Type ids of PostgreSQL's binary array format.
const (
	oidBytea = 17
	oidInt8  = 20
	oidText  = 25
	oidUUID  = 2950
)

// binaryFormat sends every parameter in PostgreSQL's binary format.
var binaryFormat = []int16{1}

// pgAuditBatch is a batch of audit events encoded as pgInsertAudit's
// parameters, every column one binary array in one buffer. Handed to pgx
// as they are, the arrays are copied once, into the message; PostgreSQL
// reads them without parsing text. Encoders are pooled: group commit
// writes a batch for every few reads.
type pgAuditBatch struct {
	buf    []byte
	params [][]byte
	ids    []uuid.UUID
}

var pgAuditBatches = sync.Pool{New: func() any { return &pgAuditBatch{params: make([][]byte, 19)} }}

// encode fills b with events, chained after head.
func (b *pgAuditBatch) encode(head int64, events []*coffer.AuditEvent) error {
	b.ids = b.ids[:0]
	for _, e := range events {
		id, err := uuid.Parse(e.ID)
		if err != nil {
			return fmt.Errorf("audit event %d: id %q: %w", e.Seq, e.ID, err)
		}
		b.ids = append(b.ids, id)
	}
	b.buf = b.buf[:0]
	var ends [19]int // where each parameter ends in buf
	col := 0
	array := func(oid uint32, elem func(dst []byte, e *coffer.AuditEvent, i int) []byte) {
		b.buf = binary.BigEndian.AppendUint32(b.buf, 1) // dimensions
		b.buf = binary.BigEndian.AppendUint32(b.buf, 0) // no NULLs
		b.buf = binary.BigEndian.AppendUint32(b.buf, oid)
		b.buf = binary.BigEndian.AppendUint32(b.buf, uint32(len(events)))
		b.buf = binary.BigEndian.AppendUint32(b.buf, 1) // lower bound
		for i, e := range events {
			at := len(b.buf)
			b.buf = append(b.buf, 0, 0, 0, 0) // the element's length, set below
			b.buf = elem(b.buf, e, i)
			binary.BigEndian.PutUint32(b.buf[at:], uint32(len(b.buf)-at-4))
		}
		ends[col] = len(b.buf)
		col++
	}
	text := func(field func(e *coffer.AuditEvent) string) {
		array(oidText, func(dst []byte, e *coffer.AuditEvent, _ int) []byte { return append(dst, field(e)...) })
	}
	array(oidInt8, func(dst []byte, e *coffer.AuditEvent, _ int) []byte {
		return binary.BigEndian.AppendUint64(dst, uint64(e.Seq))
	})
	array(oidUUID, func(dst []byte, _ *coffer.AuditEvent, i int) []byte { return append(dst, b.ids[i][:]...) })
	array(oidInt8, func(dst []byte, e *coffer.AuditEvent, _ int) []byte {
		return binary.BigEndian.AppendUint64(dst, uint64(micros(e.Time)))
	})
	text(func(e *coffer.AuditEvent) string { return string(e.ActorType) })
	text(func(e *coffer.AuditEvent) string { return e.ActorID })
	text(func(e *coffer.AuditEvent) string { return e.Action })
	text(func(e *coffer.AuditEvent) string { return e.Outcome })
	text(func(e *coffer.AuditEvent) string { return e.ProjectID })
	text(func(e *coffer.AuditEvent) string { return e.EnvironmentID })
	text(func(e *coffer.AuditEvent) string { return e.Target })
	array(oidText, func(dst []byte, e *coffer.AuditEvent, _ int) []byte { return jsonx.AppendStrings(dst, e.Keys) })
	text(func(e *coffer.AuditEvent) string { return e.IP })
	text(func(e *coffer.AuditEvent) string { return e.UserAgent })
	text(func(e *coffer.AuditEvent) string { return e.RequestID })
	array(oidBytea, func(dst []byte, e *coffer.AuditEvent, _ int) []byte { return append(dst, e.PrevHash...) })
	array(oidBytea, func(dst []byte, e *coffer.AuditEvent, _ int) []byte { return append(dst, e.Hash...) })
	last := events[len(events)-1]
	b.buf = binary.BigEndian.AppendUint64(b.buf, uint64(last.Seq))
	ends[col] = len(b.buf)
	b.buf = append(b.buf, last.Hash...)
	ends[col+1] = len(b.buf)
	b.buf = binary.BigEndian.AppendUint64(b.buf, uint64(head))
	ends[col+2] = len(b.buf)

	start := 0
	for i, end := range ends {
		b.params[i] = b.buf[start:end:end]
		start = end
	}
	return nil
}

// insertAuditArrays appends events after head in one statement and
// reports errHeadMoved, having written nothing, when head is not the
// chain's end.
func (q queries) insertAuditArrays(ctx context.Context, head int64, events []*coffer.AuditEvent) error {
	b := pgAuditBatches.Get().(*pgAuditBatch)
	defer func() {
		if cap(b.buf) <= 1<<20 { // a rare huge batch goes to the collector
			pgAuditBatches.Put(b)
		}
	}()
	if err := b.encode(head, events); err != nil {
		return err
	}
	var written int64
	err := q.rawPG(ctx, pgInsertAudit, func(ctx context.Context, c *pgx.Conn) error {
		sd, err := c.Prepare(ctx, pgInsertAuditName, pgInsertAudit) // once per connection
		if err != nil {
			return err
		}
		tag, err := c.PgConn().ExecStatement(ctx, sd, b.params, binaryFormat, nil).Close()
		written = tag.RowsAffected()
		return err
	})
	if err != nil {
		return dbError(err, "insert audit events", "", "Audit event already exists.")
	}
	if written == 0 {
		return errHeadMoved
	}
	return nil
}

// rawPG runs fn on a PostgreSQL connection through pgx itself, for a
// statement that database/sql would make pgx encode value by value: on the
// transaction's connection inside a Tx, on one from the pool outside. The
// statement is traced, timed and logged when slow as every other one.
func (q queries) rawPG(ctx context.Context, query string, fn func(context.Context, *pgx.Conn) error) error {
	conn := q.conn
	if conn == nil {
		var err error
		if conn, err = q.store.db.Conn(ctx); err != nil {
			return err
		}
		defer conn.Close()
	}
	run := func(ctx context.Context) error {
		return conn.Raw(func(dc any) error { return fn(ctx, dc.(*stdlib.Conn).Conn()) })
	}
	if l, ok := q.db.(slowLog); ok {
		return l.run(ctx, query, run)
	}
	return run(ctx)
}
