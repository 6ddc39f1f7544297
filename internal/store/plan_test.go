package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/storetest"
)

// planStores are the stores whose plans are checked; PostgreSQL is skipped
// when storetest.EnvPostgresURL is not set.
var planStores = []struct {
	name string
	open func(t *testing.T) *store.Store
}{
	{"SQLite", storetest.OpenSQLite},
	{"Postgres", storetest.OpenPostgres},
}

// TestQueryPlans explains every statement that the hot queries send, as
// the store sends it and with its arguments, and fails when one reads a
// table in full or goes without the index the migrations give it: a
// dropped or reshaped index shows here, not as a slow production database.
//
// PostgreSQL explains with enable_seqscan off, so that the planner takes a
// usable index even on these tiny tables; SQLite plans without statistics,
// as a new database does.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	for _, db := range planStores {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			s := db.open(t)
			w := seedPlanWorld(t, s)
			catalog := readIndexes(t, s)
			for _, c := range planCases() {
				t.Run(c.name, func(t *testing.T) {
					for _, p := range checkPlans(t, s, w, catalog, c) {
						t.Error(p)
					}
				})
			}
		})
	}
}

// TestQueryPlansMissingIndex proves that TestQueryPlans can fail: on a
// private database without one of the indexes, the query that needs it
// must be reported.
func TestQueryPlansMissingIndex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change []string // applied to a private database
		query  string   // the planCase that needs the index
		want   string   // in a reported problem
	}{
		// Another index still finds the environment's rows: only the
		// plan's choice of index tells.
		{
			"DropRevisionIndex", []string{`DROP INDEX secrets_revision_idx`},
			"SecretsSince", "no index on secrets (environment_id, revision)",
		},
		// Both columns, but the range first: every environment's changes.
		{
			"ReshapeRevisionIndex",
			[]string{`DROP INDEX secrets_revision_idx`, `CREATE INDEX secrets_revision_idx ON secrets (revision, environment_id)`},
			"SecretsSince", "no index on secrets (environment_id, revision)",
		},
		// Nothing else narrows the events to a project: a full walk.
		{
			"DropAuditProjectIndex", []string{`DROP INDEX audit_events_project_idx`},
			"AuditByProject", "reads audit_events in full",
		},
	}
	cases := planCases()
	for _, db := range planStores {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					s := db.open(t)
					w := seedPlanWorld(t, s)
					for _, change := range tt.change {
						if _, err := s.DB().ExecContext(t.Context(), change); err != nil {
							t.Fatal(err)
						}
					}
					c := cases[slices.IndexFunc(cases, func(c planCase) bool { return c.name == tt.query })]
					problems := checkPlans(t, s, w, readIndexes(t, s), c)
					t.Logf("%s reports:\n%s", tt.query, strings.Join(problems, "\n"))
					if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
						t.Fatalf("no problem mentions %q", tt.want)
					}
				})
			}
		})
	}
}

// planCase is a hot query: a store call and what its plans must show.
type planCase struct {
	name string
	run  func(ctx context.Context, s *store.Store, w planWorld) error
	// uses lists, as "table (column, ...)", how the plans must reach
	// their rows: through an index on table that leads with these
	// columns, in this order. "table (a, b) or (b, a)" accepts either of
	// two indexes that serve the query equally well: the planner's pick
	// between them is not the test's business.
	uses []string
	// fullScans lists the tables, as the statement names them, that the
	// plans may read in full; each entry says why.
	fullScans []string
}

func planCases() []planCase {
	return []planCase{
		{
			name: "SecretBundle",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, _, err := s.SecretBundle(ctx, w.env)
				return err
			},
			uses: []string{"environments (id)", "secrets (environment_id)", "secret_versions (secret_id, version)"},
		},
		{
			name: "ListSecrets",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.ListSecrets(ctx, w.env)
				return err
			},
			uses: []string{"secrets (environment_id)", "secret_versions (secret_id, version)"},
		},
		{
			name: "SecretsSince",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.SecretsSince(ctx, w.env, w.revision)
				return err
			},
			uses: []string{"secrets (environment_id, revision)", "secret_versions (secret_id, version)"},
		},
		{
			name: "SecretByKey",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.SecretByKey(ctx, w.env, "KEY_1")
				return err
			},
			uses: []string{"secrets (environment_id, key)", "secret_versions (secret_id, version)"},
		},
		{
			name: "DeletedSecrets",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.DeletedSecrets(ctx, w.env, "", 50)
				return err
			},
			uses: []string{"secrets (environment_id)", "secret_versions (secret_id)"},
		},
		{
			name: "TokenByHash",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.TokenByHash(ctx, w.serviceHash)
				return err
			},
			uses: []string{"tokens (hash)", "token_environments (token_id, environment_id)"},
		},
		{
			name: "TokenByID",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.TokenByID(ctx, w.serviceToken)
				return err
			},
			uses: []string{"tokens (id)", "token_environments (token_id, environment_id)"},
		},
		{
			name: "TouchToken",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				return s.TouchToken(ctx, w.serviceToken, planT0)
			},
			uses: []string{"tokens (id)"},
		},
		{
			name: "MemberRole",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.MemberRole(ctx, w.project, w.user)
				return err
			},
			// The key and members_user_idx both hold the pair.
			uses: []string{"members (project_id, user_id) or (user_id, project_id)"},
		},
		{
			name: "EnvironmentBySlug",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.EnvironmentBySlug(ctx, w.project, "dev")
				return err
			},
			uses: []string{"environments (project_id, slug)"},
		},
		{
			name: "ProjectBySlug",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.ProjectBySlug(ctx, w.projectSlug)
				return err
			},
			uses: []string{"projects (slug)"},
		},
		{
			name: "SessionByID",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.SessionByID(ctx, w.session)
				return err
			},
			uses: []string{"sessions (id)"},
		},
		{
			name: "TouchSession",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				return s.TouchSession(ctx, w.session, planT0)
			},
			uses: []string{"sessions (id)"},
		},
		{
			name: "UserByID",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.UserByID(ctx, w.user)
				return err
			},
			uses: []string{"users (id)"},
		},
		{
			name: "UserByEmail",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.UserByEmail(ctx, w.email)
				return err
			},
			uses: []string{"users (email)"},
		},
		{
			name: "RefreshTokenByHash",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.RefreshTokenByHash(ctx, w.refreshHash)
				return err
			},
			uses: []string{"refresh_tokens (hash)"},
		},
		{
			// The token is used already, so both statements run: the
			// conditional update, then the read that tells a replay.
			name: "UseRefreshToken",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.UseRefreshToken(ctx, w.usedRefreshHash, planT0)
				return err
			},
			uses: []string{"refresh_tokens (hash)"},
		},
		{
			name: "AuditByProject",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.ListAudit(ctx, coffer.AuditFilter{ProjectID: w.project})
				return err
			},
			uses: []string{"audit_events (project_id, seq)"},
		},
		{
			name: "AuditByProjectFiltered",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.ListAudit(ctx, coffer.AuditFilter{
					ProjectID: w.project, Action: coffer.AuditSecretRead, EnvironmentID: w.env,
					From: planT0, To: planT0.Add(time.Hour), BeforeSeq: 10, Limit: 5,
				})
				return err
			},
			uses: []string{"audit_events (project_id, seq)"},
		},
		{
			name: "AuditByActor",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.ListAudit(ctx, coffer.AuditFilter{ActorID: w.user, BeforeSeq: 10})
				return err
			},
			uses: []string{"audit_events (actor_id, seq)"},
		},
		{
			name: "AuditAll",
			run: func(ctx context.Context, s *store.Store, w planWorld) error {
				_, err := s.ListAudit(ctx, coffer.AuditFilter{Limit: 5})
				return err
			},
			// The administrators' unfiltered log: newest first along the
			// primary key, stopping after one page.
			fullScans: []string{"audit_events"},
		},
		{
			name: "AuditHead",
			run: func(ctx context.Context, s *store.Store, _ planWorld) error {
				_, _, err := s.LockAuditHead(ctx)
				return err
			},
			// One row by its key, which on SQLite is the rowid: no index
			// to name there, and nothing that could go missing.
		},
		{
			// ON CONFLICT (name) fails outright without a unique index on
			// name, so there is no index to check in the plan.
			name: "AcquireLease",
			run: func(ctx context.Context, s *store.Store, _ planWorld) error {
				_, err := s.AcquireLease(ctx, "plan", "holder", planT0, time.Minute)
				return err
			},
		},
		{
			name: "DeleteExpiredSessions",
			run: func(ctx context.Context, s *store.Store, _ planWorld) error {
				_, err := s.DeleteExpiredSessions(ctx, planT0.Add(-time.Hour))
				return err
			},
			uses: []string{"sessions (expires_at)", "sessions (revoked_at)"},
		},
		{
			name: "DeleteExpiredTokens",
			run: func(ctx context.Context, s *store.Store, _ planWorld) error {
				_, err := s.DeleteExpiredTokens(ctx, planT0.Add(-time.Hour))
				return err
			},
			uses: []string{"tokens (expires_at)", "tokens (revoked_at)"},
		},
		{
			name: "PurgeDeletedValues",
			run: func(ctx context.Context, s *store.Store, _ planWorld) error {
				_, err := s.PurgeDeletedValues(ctx, planT0.Add(time.Hour))
				return err
			},
			uses: []string{"secrets (updated_at)", "secret_versions (secret_id, version)"},
		},
	}
}

// checkPlans runs c, explains each statement it sent, logs the plans
// (go test -v shows them) and returns what is wrong with them.
func checkPlans(t *testing.T, s *store.Store, w planWorld, catalog map[string]index, c planCase) []string {
	t.Helper()
	ctx := t.Context()
	var sent []statement
	rec := s.Recording(func(query string, args []any) { sent = append(sent, statement{query, args}) })
	if err := c.run(ctx, rec, w); err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	if len(sent) == 0 {
		t.Fatalf("%s sent no statement", c.name)
	}
	var all plan
	for _, st := range sent {
		p, err := explain(ctx, s, st)
		if err != nil {
			t.Fatalf("explain %s: %v", st.query, err)
		}
		all.fullScans = append(all.fullScans, p.fullScans...)
		all.indexes = append(all.indexes, p.indexes...)
		all.text += p.text
	}
	var problems []string
	for _, scan := range all.fullScans {
		if !slices.Contains(c.fullScans, scan.table) {
			problems = append(problems, fmt.Sprintf("reads %s in full: %s", scan.table, scan.node))
		}
	}
	for _, want := range c.uses {
		if !slices.ContainsFunc(all.indexes, func(name string) bool { return catalog[name].serves(want) }) {
			problems = append(problems, "reaches its rows through no index on "+want)
		}
	}
	t.Logf("%s plan:%s", c.name, all.text)
	return problems
}

// statement is one statement the store sent.
type statement struct {
	query string
	args  []any
}

// plan is what the test reads from the plan of one or more statements.
type plan struct {
	fullScans []fullScan
	indexes   []string // the indexes used, by name
	text      string   // the plan, one node a line
}

// fullScan is a table read in full, as the statement names it, and the
// plan node that reads it.
type fullScan struct{ table, node string }

func explain(ctx context.Context, s *store.Store, st statement) (plan, error) {
	if s.Dialect() == store.Postgres {
		return explainPostgres(ctx, s.DB(), st)
	}
	return explainSQLite(ctx, s.DB(), st)
}

// explainSQLite reads EXPLAIN QUERY PLAN. Each table access is a line
// "SEARCH t USING [COVERING] INDEX i (…)", "SEARCH t USING INTEGER
// PRIMARY KEY (rowid=?)" or "SCAN t [USING [COVERING] INDEX i]"; every
// SCAN visits the whole table or index.
func explainSQLite(ctx context.Context, db *sql.DB, st statement) (plan, error) {
	rows, err := db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+st.query, st.args...)
	if err != nil {
		return plan{}, err
	}
	defer rows.Close()
	var p plan
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return plan{}, err
		}
		p.text += "\n\t" + detail
		op, rest, _ := strings.Cut(detail, " ")
		table, using, _ := strings.Cut(rest, " USING ")
		if (op != "SCAN" && op != "SEARCH") || table == "CONSTANT ROW" {
			continue
		}
		if op == "SCAN" {
			p.fullScans = append(p.fullScans, fullScan{table, detail})
		}
		if name, ok := strings.CutPrefix(strings.TrimPrefix(using, "COVERING "), "INDEX "); ok {
			name, _, _ = strings.Cut(name, " ")
			p.indexes = append(p.indexes, name)
		}
	}
	return p, rows.Err()
}

// pgNode is a node of PostgreSQL's JSON plan.
type pgNode struct {
	NodeType  string   `json:"Node Type"`
	Relation  string   `json:"Relation Name"`
	Alias     string   `json:"Alias"`
	Index     string   `json:"Index Name"`
	IndexCond string   `json:"Index Cond"`
	Filter    string   `json:"Filter"`
	Arbiters  []string `json:"Conflict Arbiter Indexes"`
	Plans     []pgNode `json:"Plans"`
}

// explainPostgres reads EXPLAIN (FORMAT JSON) with sequential scans
// disabled in a transaction of its own. A Seq Scan then means no index
// could serve; an index scan without an Index Cond walks the whole index
// (for its order), which is a full read too.
func explainPostgres(ctx context.Context, db *sql.DB, st statement) (plan, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return plan{}, err
	}
	defer func() { _ = tx.Rollback() }() // nothing to keep: EXPLAIN runs nothing
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		return plan{}, err
	}
	var out []byte
	if err := tx.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) `+st.query, st.args...).Scan(&out); err != nil {
		return plan{}, err
	}
	var top []struct{ Plan pgNode }
	if err := json.Unmarshal(out, &top); err != nil {
		return plan{}, fmt.Errorf("read plan: %w", err)
	}
	if len(top) != 1 {
		return plan{}, fmt.Errorf("read plan: %d plans in %s", len(top), out)
	}
	var p plan
	var walk func(n pgNode, depth int)
	walk = func(n pgNode, depth int) {
		line := n.NodeType
		if n.Index != "" {
			line += " using " + n.Index
		}
		if n.Relation != "" {
			line += " on " + n.Relation + " " + n.Alias
		}
		if n.IndexCond != "" {
			line += " cond " + n.IndexCond
		}
		if len(n.Arbiters) > 0 {
			line += " arbiter " + strings.Join(n.Arbiters, ", ")
		}
		if n.Filter != "" {
			line += " filter " + n.Filter
		}
		p.text += "\n\t" + strings.Repeat("  ", depth) + line
		indexScan := n.NodeType == "Index Scan" || n.NodeType == "Index Only Scan"
		if n.NodeType == "Seq Scan" || indexScan && n.IndexCond == "" {
			p.fullScans = append(p.fullScans, fullScan{n.Alias, line})
		}
		if n.Index != "" {
			p.indexes = append(p.indexes, n.Index)
		}
		p.indexes = append(p.indexes, n.Arbiters...)
		for _, c := range n.Plans {
			walk(c, depth+1)
		}
	}
	walk(top[0].Plan, 0)
	return p, nil
}

// index is an index of the catalog.
type index struct {
	table   string
	columns []string // in the index's order
}

// serves reports whether i is an index on want's table that leads with
// one of want's column lists, in that order. want reads "table (a, b)",
// or "table (a, b) or (b, a)" when either index serves.
func (i index) serves(want string) bool {
	table, lists, _ := strings.Cut(strings.TrimSuffix(want, ")"), " (")
	if table != i.table {
		return false
	}
	for list := range strings.SplitSeq(lists, ") or (") {
		columns := strings.Split(list, ", ")
		if len(columns) <= len(i.columns) && slices.Equal(i.columns[:len(columns)], columns) {
			return true
		}
	}
	return false
}

// readIndexes returns the indexes of the store's tables by name, so that
// an index a plan names can be checked for its columns: the names of the
// indexes behind keys and unique constraints differ between the dialects,
// their columns do not.
func readIndexes(t *testing.T, s *store.Store) map[string]index {
	t.Helper()
	query := `
		SELECT m.name, il.name, ii.name
		FROM sqlite_schema m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii
		WHERE m.type = 'table'
		ORDER BY il.name, ii.seqno`
	if s.Dialect() == store.Postgres {
		query = `
			SELECT t.relname, i.relname, a.attname
			FROM pg_index x
			JOIN pg_class i ON i.oid = x.indexrelid
			JOIN pg_class t ON t.oid = x.indrelid
			JOIN unnest(x.indkey) WITH ORDINALITY AS k (attnum, n) ON true
			JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
			WHERE t.relnamespace = current_schema()::regnamespace
			ORDER BY i.relname, k.n`
	}
	rows, err := s.DB().QueryContext(t.Context(), query)
	if err != nil {
		t.Fatalf("read indexes: %v", err)
	}
	defer rows.Close()
	catalog := map[string]index{}
	for rows.Next() {
		var table, name, column string
		if err := rows.Scan(&table, &name, &column); err != nil {
			t.Fatalf("read indexes: %v", err)
		}
		i := catalog[name]
		i.table, i.columns = table, append(i.columns, column)
		catalog[name] = i
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read indexes: %v", err)
	}
	return catalog
}

// planT0 is the seeded data's "now".
var planT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// planWorld is what the plan cases look up: one user's project among
// others, so that no table holds only the rows a query wants.
type planWorld struct {
	user, email, project, projectSlug, env, session, serviceToken string
	serviceHash, refreshHash, usedRefreshHash                     []byte
	revision                                                      int64 // the environment has changes after it
}

func seedPlanWorld(t *testing.T, s *store.Store) planWorld {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	var w planWorld // the last project's
	for p := range 3 {
		user := &coffer.User{
			ID: newPlanID(), Email: fmt.Sprintf("user%d@example.com", p), Name: "User", PasswordHash: []byte("hash"),
			CreatedAt: planT0, UpdatedAt: planT0,
		}
		must(s.CreateUser(ctx, user))
		project := &coffer.Project{
			ID: newPlanID(), Slug: fmt.Sprintf("project-%d", p), Name: "Project", WrappedDEK: []byte("dek"), KEKID: "kek",
			CreatedAt: planT0, UpdatedAt: planT0,
		}
		must(s.CreateProject(ctx, project))
		must(s.AddMember(ctx, &coffer.Member{ProjectID: project.ID, UserID: user.ID, Role: coffer.RoleOwner, CreatedAt: planT0}))
		var envs []string
		for _, slug := range []string{"dev", "staging", "prod"} {
			env := &coffer.Environment{ID: newPlanID(), ProjectID: project.ID, Slug: slug, Name: slug, CreatedAt: planT0, UpdatedAt: planT0}
			must(s.CreateEnvironment(ctx, env))
			envs = append(envs, env.ID)
			for k := range 5 {
				must(writePlanSecret(ctx, s, env.ID, fmt.Sprintf("KEY_%d", k), false))
			}
			must(writePlanSecret(ctx, s, env.ID, "KEY_1", false))
			must(writePlanSecret(ctx, s, env.ID, "KEY_2", true))
		}
		service := &coffer.Token{
			ID: newPlanID(), Kind: coffer.TokenService, Name: "deploy", Hash: []byte("service-" + project.Slug),
			UserID: user.ID, ProjectID: project.ID, Environments: envs[:2], Access: coffer.AccessRead, CreatedAt: planT0,
		}
		must(s.CreateToken(ctx, service))
		expires := planT0.Add(time.Hour)
		must(s.CreateToken(ctx, &coffer.Token{
			ID: newPlanID(), Kind: coffer.TokenPersonal, Name: "laptop", Hash: []byte("personal-" + project.Slug),
			UserID: user.ID, CreatedAt: planT0, ExpiresAt: &expires,
		}))
		session := &coffer.Session{
			ID: newPlanID(), UserID: user.ID, CreatedAt: planT0, LastSeenAt: planT0, ExpiresAt: planT0.Add(24 * time.Hour),
		}
		must(s.CreateSession(ctx, session))
		refresh := &coffer.RefreshToken{Hash: []byte("refresh-" + project.Slug), SessionID: session.ID, CreatedAt: planT0}
		must(s.CreateRefreshToken(ctx, refresh))
		used := &coffer.RefreshToken{Hash: []byte("used-" + project.Slug), SessionID: session.ID, CreatedAt: planT0, UsedAt: &planT0}
		must(s.CreateRefreshToken(ctx, used))
		must(appendPlanAudit(ctx, s, project.ID, envs[0], user.ID))
		w = planWorld{
			user: user.ID, email: user.Email, project: project.ID, projectSlug: project.Slug, env: envs[0],
			session: session.ID, serviceToken: service.ID,
			serviceHash: service.Hash, refreshHash: refresh.Hash, usedRefreshHash: used.Hash,
			revision: 5, // after the five keys, before their update and deletion
		}
	}
	analyze(t, s)
	return w
}

// analyze gives PostgreSQL's planner the statistics that autovacuum keeps
// in production, now rather than at some point during the test, where
// they could change a plan between runs. SQLite is left without: Coffer
// never runs ANALYZE there.
func analyze(t *testing.T, s *store.Store) {
	t.Helper()
	if s.Dialect() != store.Postgres {
		return
	}
	var tables string
	err := s.DB().QueryRowContext(t.Context(), `
		SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables)
	if err == nil {
		_, err = s.DB().ExecContext(t.Context(), `ANALYZE `+tables)
	}
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
}

// writePlanSecret writes or deletes a key as the service does: bump the
// environment's revision, then write the secret and a version. It is not
// storetest's writer: that one gives every version a comment, and rows that
// much wider tip PostgreSQL, on tables this small, into hashing the whole of
// secret_versions where an index lookup serves a real database.
func writePlanSecret(ctx context.Context, s *store.Store, envID, key string, deleted bool) error {
	return s.Tx(ctx, func(tx *store.Tx) error {
		rev, err := tx.BumpRevision(ctx, envID, planT0)
		if err != nil {
			return err
		}
		sec, err := tx.SecretByKey(ctx, envID, key)
		isNew := coffer.ErrorCode(err) == coffer.ENOTFOUND
		if err != nil && !isNew {
			return err
		}
		if isNew {
			sec = &coffer.Secret{ID: newPlanID(), EnvironmentID: envID, Key: key}
		}
		sec.Version++
		sec.Revision, sec.Deleted, sec.UpdatedAt = rev, deleted, planT0
		sec.UpdatedBy = coffer.Actor{Type: coffer.ActorUser, ID: "seed"}
		if isNew {
			err = tx.InsertSecret(ctx, sec)
		} else {
			err = tx.UpdateSecret(ctx, sec)
		}
		if err != nil {
			return err
		}
		var ciphertext []byte
		if !deleted {
			ciphertext = []byte("sealed")
		}
		return tx.InsertSecretVersion(ctx, &coffer.SecretVersion{
			SecretID: sec.ID, Version: sec.Version, Revision: rev, Deleted: deleted,
			CreatedAt: planT0, CreatedBy: sec.UpdatedBy, Ciphertext: ciphertext,
		})
	})
}

// appendPlanAudit chains a few events of a project after the audit head.
func appendPlanAudit(ctx context.Context, s *store.Store, projectID, envID, actorID string) error {
	return s.Tx(ctx, func(tx *store.Tx) error {
		seq, prev, err := tx.LockAuditHead(ctx)
		if err != nil {
			return err
		}
		var events []*coffer.AuditEvent
		for i, action := range []string{coffer.AuditLogin, coffer.AuditSecretRead, coffer.AuditSecretWrite, coffer.AuditSecretRead} {
			seq++
			hash := fmt.Appendf(nil, "hash-%d", seq)
			events = append(events, &coffer.AuditEvent{
				Seq: seq, ID: newPlanID(), Time: planT0.Add(time.Duration(i) * time.Minute),
				ActorType: coffer.ActorUser, ActorID: actorID, Action: action, Outcome: coffer.OutcomeSuccess,
				ProjectID: projectID, EnvironmentID: envID, PrevHash: prev, Hash: hash,
			})
			prev = hash
		}
		return tx.InsertAuditEvents(ctx, events)
	})
}

func newPlanID() string { return uuid.Must(uuid.NewV7()).String() }
