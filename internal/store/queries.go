package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries holds every query method, defined once for both dialects and for
// use both outside and inside a transaction.
type queries struct {
	db      querier
	dialect string
	// store is set outside a transaction so that methods writing several
	// rows can open one (see atomic); nil inside a Tx.
	store *Store
	// conn is the connection a PostgreSQL Tx runs on, for rawPG; nil
	// outside one.
	conn *sql.Conn
}

// queriesOn returns the store's queries running on db: the pool, or a
// transaction when inTx.
func (s *Store) queriesOn(db querier, inTx bool) queries {
	if s.slow > 0 || s.tracer != nil || s.observe != nil {
		db = slowLog{db: db, threshold: s.slow, logger: s.logger, tracer: s.tracer, record: s.observe, system: dbSystem(s.dialect)}
	}
	q := queries{db: db, dialect: s.dialect}
	if !inTx {
		q.store = s
	}
	return q
}

// slowLog is the one place every statement passes through. It logs
// statements that take longer than threshold (0: never) and, with a tracer,
// wraps each in a client span. Both record the statement text only:
// arguments carry hashes, ciphertexts and personal data.
type slowLog struct {
	db        querier
	threshold time.Duration
	logger    *slog.Logger
	tracer    trace.Tracer                     // nil: no spans
	record    func(op string, d time.Duration) // nil: no latency metric
	system    string                           // db.system.name
}

// start opens the statement's span, when tracing. The span of a query ends
// when its rows are returned, not when they have been read.
func (l slowLog) start(ctx context.Context, query string) (context.Context, trace.Span) {
	if l.tracer == nil {
		return ctx, nil
	}
	op, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	return l.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("db.system.name", l.system),
			attribute.String("db.operation.name", op),
			attribute.String("db.query.text", query),
		))
}

func (l slowLog) observe(ctx context.Context, span trace.Span, query string, start time.Time, err error) {
	if span != nil {
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			span.SetStatus(codes.Error, "statement failed")
		}
		span.End()
	}
	d := time.Since(start)
	if l.record != nil {
		op, _, _ := strings.Cut(strings.TrimSpace(query), " ")
		l.record(strings.ToLower(op), d)
	}
	if l.threshold > 0 && d > l.threshold {
		l.logger.LogAttrs(ctx, slog.LevelWarn, "slow query",
			slog.String("statement", query), slog.Duration("duration", d))
	}
}

// run times, traces and logs query as it runs through fn.
func (l slowLog) run(ctx context.Context, query string, fn func(context.Context) error) error {
	ctx, span := l.start(ctx, query)
	start := time.Now()
	err := fn(ctx)
	l.observe(ctx, span, query, start, err)
	return err
}

func (l slowLog) ExecContext(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = l.run(ctx, query, func(ctx context.Context) error {
		res, err = l.db.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func (l slowLog) QueryContext(ctx context.Context, query string, args ...any) (rows *sql.Rows, err error) {
	err = l.run(ctx, query, func(ctx context.Context) error {
		rows, err = l.db.QueryContext(ctx, query, args...)
		return err
	})
	return rows, err
}

func (l slowLog) QueryRowContext(ctx context.Context, query string, args ...any) (row *sql.Row) {
	// The row's error surfaces at Scan, after the span has ended.
	_ = l.run(ctx, query, func(ctx context.Context) error {
		row = l.db.QueryRowContext(ctx, query, args...)
		return nil
	})
	return row
}

// dbSystem names the dialect as OpenTelemetry's db.system.name does.
func dbSystem(dialect string) string {
	if dialect == Postgres {
		return "postgresql"
	}
	return dialect
}

// exec runs a statement and returns how many rows it touched.
func (q queries) exec(ctx context.Context, query string, args ...any) (int, error) {
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// execOne runs a statement that must touch a row; touching none is
// sql.ErrNoRows, which dbError maps to ENOTFOUND.
func (q queries) execOne(ctx context.Context, query string, args ...any) error {
	n, err := q.exec(ctx, query, args...)
	if err == nil && n == 0 {
		err = sql.ErrNoRows
	}
	return err
}

// Timestamps are stored as Unix microseconds (UTC): the same integer in both
// dialects, ordered and compared without date functions.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros maps nil to NULL.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// timePtr maps NULL to nil.
func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// nullString maps "" to NULL, for optional references.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nonNil maps a nil slice to an empty one, for NOT NULL binary columns
// where "no bytes" is a legitimate value (the first audit event's PrevHash).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nilIfEmpty reads "no bytes" back as nil whatever the driver returns
// (SQLite gives nil, PostgreSQL an empty slice), so both dialects agree.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// queryList runs a query and scans every row with scan. Errors are wrapped
// with op.
func queryList[T any](ctx context.Context, q queries, op string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err, op, "", "")
	}
	defer rows.Close()
	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, dbError(err, op, "", "")
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err, op, "", "")
	}
	return list, nil
}
