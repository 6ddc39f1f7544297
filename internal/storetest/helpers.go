package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/google/uuid"
)

// t0 is the suite's "now": in UTC with microsecond precision, as the store
// keeps times, so values read back compare equal to values written.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err carries the domain error code (or is nil when
// code is "").
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := coffer.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %s\nwant  %s", what, show(got), show(want))
	}
}

// show prints v as JSON, which follows pointers and prints times in
// full, unlike %+v inside slices.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

func mustUser(t *testing.T, s *store.Store, email string) *coffer.User {
	t.Helper()
	u := &coffer.User{
		ID: newID(), Email: email, Name: "Name of " + email, PasswordHash: []byte("$2a$12$hash"),
		CreatedAt: t0, UpdatedAt: t0,
	}
	check(t, s.CreateUser(t.Context(), u))
	return u
}

func mustProject(t *testing.T, s *store.Store, slug string) *coffer.Project {
	t.Helper()
	p := &coffer.Project{
		ID: newID(), Slug: slug, Name: "Project " + slug, WrappedDEK: []byte("wrapped-" + slug), KEKID: "kek1",
		CreatedAt: t0, UpdatedAt: t0,
	}
	check(t, s.CreateProject(t.Context(), p))
	return p
}

func mustEnv(t *testing.T, s *store.Store, projectID, slug string) *coffer.Environment {
	t.Helper()
	e := &coffer.Environment{ID: newID(), ProjectID: projectID, Slug: slug, Name: slug, CreatedAt: t0, UpdatedAt: t0}
	check(t, s.CreateEnvironment(t.Context(), e))
	return e
}

func mustMember(t *testing.T, s *store.Store, projectID, userID string, role coffer.Role) {
	t.Helper()
	check(t, s.AddMember(t.Context(), &coffer.Member{ProjectID: projectID, UserID: userID, Role: role, CreatedAt: t0}))
}

func mustSession(t *testing.T, s *store.Store, userID string, created time.Time) *coffer.Session {
	t.Helper()
	sess := &coffer.Session{
		ID: newID(), UserID: userID, UserAgent: "test-agent", IP: "192.0.2.1",
		CreatedAt: created, LastSeenAt: created, ExpiresAt: created.Add(24 * time.Hour),
	}
	check(t, s.CreateSession(t.Context(), sess))
	return sess
}

func mustToken(t *testing.T, s *store.Store, tok *coffer.Token) *coffer.Token {
	t.Helper()
	if tok.ID == "" {
		tok.ID = newID()
	}
	if tok.Hash == nil {
		tok.Hash = []byte("hash-" + tok.ID)
	}
	if tok.Name == "" {
		tok.Name = "token " + tok.ID
	}
	if tok.CreatedAt.IsZero() {
		tok.CreatedAt = t0
	}
	check(t, s.CreateToken(t.Context(), tok))
	return tok
}

// world is a user who owns a project with one environment.
type world struct {
	user    *coffer.User
	project *coffer.Project
	env     *coffer.Environment
}

func newWorld(t *testing.T, s *store.Store, name string) world {
	t.Helper()
	w := world{user: mustUser(t, s, name+"@example.com"), project: mustProject(t, s, name)}
	w.env = mustEnv(t, s, w.project.ID, "dev")
	mustMember(t, s, w.project.ID, w.user.ID, coffer.RoleOwner)
	return w
}
