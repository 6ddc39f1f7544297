package backup_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/backup"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// stores opens a migrated store of each dialect.
var stores = map[string]func(t *testing.T) *store.Store{
	"sqlite":   storetest.OpenSQLite,
	"postgres": storetest.OpenPostgres,
}

// TestTablesCoverSchema fails when a migration adds a table that the
// backup neither holds nor skips on purpose, or when Tables does not list
// parents before children.
func TestTablesCoverSchema(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			cat, err := s.Catalog(t.Context())
			check(t, err)
			inDB := map[string]store.TableInfo{}
			for _, tab := range cat {
				inDB[tab.Name] = tab
				_, skipped := backup.Skipped[tab.Name]
				if !skipped && !slices.Contains(backup.Tables, tab.Name) {
					t.Errorf("table %q exists in the database but is neither in backup.Tables nor in backup.Skipped", tab.Name)
				}
			}
			for i, name := range backup.Tables {
				tab, ok := inDB[name]
				if !ok {
					t.Errorf("backup.Tables lists %q, which the migrations do not create", name)
					continue
				}
				if len(tab.PrimaryKey) == 0 {
					t.Errorf("table %s has no primary key: its rows would be backed up in no stable order", name)
				}
				for _, parent := range tab.References {
					if j := slices.Index(backup.Tables, parent); j < 0 || j > i {
						t.Errorf("backup.Tables lists %s before %s, which it references", name, parent)
					}
				}
			}
		})
	}
}

func mustKey(t *testing.T) *backup.Key {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	check(t, err)
	k, err := backup.ParseKey(id.String())
	check(t, err)
	return k
}

// seed writes a little of everything, with userAgent in an audit event,
// whose hash covers it byte for byte.
func seed(t *testing.T, s *store.Store, userAgent string) {
	t.Helper()
	ctx := t.Context()
	u := &coffer.User{ID: newID(), Email: "ada@example.com", Name: "Ada", PasswordHash: []byte("$2a$12$hash"), IsAdmin: true, CreatedAt: t0, UpdatedAt: t0}
	check(t, s.CreateUser(ctx, u))
	p := &coffer.Project{ID: newID(), Slug: "shop", Name: "Shop", WrappedDEK: []byte{0, 1, 2, 255}, KEKID: "kek1", CreatedAt: t0, UpdatedAt: t0}
	check(t, s.CreateProject(ctx, p))
	check(t, s.AddMember(ctx, &coffer.Member{ProjectID: p.ID, UserID: u.ID, Role: coffer.RoleOwner, CreatedAt: t0}))
	check(t, s.CreateInvitation(ctx, &coffer.Invitation{ProjectID: p.ID, Email: "bob@example.com", Role: coffer.RoleViewer, InvitedBy: u.ID, CreatedAt: t0}))
	e := &coffer.Environment{ID: newID(), ProjectID: p.ID, Slug: "dev", Name: "dev", CreatedAt: t0, UpdatedAt: t0}
	check(t, s.CreateEnvironment(ctx, e))
	sess := &coffer.Session{ID: newID(), UserID: u.ID, UserAgent: "ua", IP: "192.0.2.1", CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
	check(t, s.CreateSession(ctx, sess))
	check(t, s.CreateRefreshToken(ctx, &coffer.RefreshToken{Hash: []byte("rt-hash"), SessionID: sess.ID, CreatedAt: t0}))
	check(t, s.CreateToken(ctx, &coffer.Token{ID: newID(), Kind: coffer.TokenService, Name: "ci", Hash: []byte("tok-hash"),
		UserID: u.ID, ProjectID: p.ID, Environments: []string{e.ID}, Access: coffer.AccessRead, CreatedAt: t0}))
	check(t, s.SetMeta(ctx, "kek_check", []byte("check-value")))
	sec := &coffer.Secret{ID: newID(), EnvironmentID: e.ID, Key: "DB_URL", Version: 1, Revision: 1, UpdatedAt: t0,
		UpdatedBy: coffer.Actor{Type: coffer.ActorUser, ID: u.ID}}
	check(t, s.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.BumpRevision(ctx, e.ID, t0); err != nil {
			return err
		}
		if err := tx.InsertSecret(ctx, sec); err != nil {
			return err
		}
		if err := tx.InsertSecretVersion(ctx, &coffer.SecretVersion{SecretID: sec.ID, Version: 1, Revision: 1, CreatedAt: t0,
			CreatedBy: sec.UpdatedBy, Ciphertext: []byte("sealed")}); err != nil {
			return err
		}
		return audit.Append(ctx, tx,
			&coffer.AuditEvent{ID: newID(), Time: t0, ActorType: coffer.ActorUser, ActorID: u.ID, Action: coffer.AuditSecretWrite,
				Outcome: coffer.OutcomeSuccess, ProjectID: p.ID, EnvironmentID: e.ID, Target: "DB_URL", UserAgent: userAgent},
			&coffer.AuditEvent{ID: newID(), Time: t0, ActorType: coffer.ActorSystem, ActorID: "test", Action: coffer.AuditSecretsRead,
				Outcome: coffer.OutcomeSuccess, Keys: []string{"A", "B"}})
	}))
}

func create(t *testing.T, s *store.Store, k *backup.Key) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := backup.Create(t.Context(), s, &buf, backup.CreateOptions{Recipients: k.Recipients, CofferVersion: "test"})
	check(t, err)
	return buf.Bytes()
}

// rows reads an archive into one line per row, flags as 0/1 so that the
// two dialects compare equal.
func rows(t *testing.T, archive []byte, k *backup.Key) map[string][]string {
	t.Helper()
	rd, err := backup.Open(bytes.NewReader(archive), k.Identities...)
	check(t, err)
	out := map[string][]string{}
	for {
		table, values, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		check(t, err)
		var line []string
		for _, v := range values {
			if b, ok := v.(bool); ok {
				v = map[bool]int64{false: 0, true: 1}[b]
			}
			line = append(line, fmt.Sprintf("%T:%q", v, fmt.Sprint(v)))
		}
		out[table] = append(out[table], fmt.Sprint(line))
	}
}

func TestRoundTripAcrossDialects(t *testing.T) {
	// PostgreSQL refuses text that is not UTF-8; SQLite keeps it, and so
	// must an archive, or the audit chain would no longer verify.
	for _, c := range []struct{ from, to, userAgent string }{
		{"sqlite", "postgres", "curl/8 ✓"}, {"postgres", "sqlite", "curl/8 ✓"}, {"sqlite", "sqlite", "bad \xff\xfe agent"},
	} {
		t.Run(c.from+"To"+c.to, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			src := stores[c.from](t)
			seed(t, src, c.userAgent)
			k := mustKey(t)
			archive := create(t, src, k)

			sum, err := backup.Verify(bytes.NewReader(archive), k.Identities...)
			check(t, err)
			if sum.Header.SourceDialect != c.from || sum.Rows["secret_versions"] != 1 || sum.Rows["audit_events"] != 2 || sum.KEKIDs["kek1"] != 1 {
				t.Fatalf("summary: %+v", sum)
			}

			dst := stores[c.to](t)
			var sawCommit bool
			_, err = backup.Restore(ctx, dst, bytes.NewReader(archive), k.Identities, backup.RestoreOptions{
				BeforeCommit: func(ctx context.Context, tx *store.Tx) error {
					v, err := tx.Meta(ctx, "kek_check")
					sawCommit = err == nil && string(v) == "check-value"
					return err
				},
			})
			check(t, err)
			if !sawCommit {
				t.Fatal("BeforeCommit did not see the restored rows")
			}
			if c, err := audit.Verify(ctx, dst); err != nil || c.Events != 2 {
				t.Fatalf("audit chain after restore: %+v, %v", c, err)
			}
			want, got := rows(t, archive, k), rows(t, create(t, dst, k), k)
			for _, table := range backup.Tables {
				if !slices.Equal(got[table], want[table]) {
					t.Errorf("table %s after restore:\n got %v\nwant %v", table, got[table], want[table])
				}
			}

			// Once restored, the database is not empty any more.
			_, err = backup.Restore(ctx, dst, bytes.NewReader(archive), k.Identities, backup.RestoreOptions{})
			if !errors.Is(err, backup.ErrNotEmpty) {
				t.Fatalf("restore into a non-empty database: %v", err)
			}
			_, err = backup.Restore(ctx, dst, bytes.NewReader(archive), k.Identities, backup.RestoreOptions{Force: true})
			check(t, err)
		})
	}
}

func TestVerifyRefusesDamage(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	seed(t, s, "curl/8 ✓")
	k := mustKey(t)
	archive := create(t, s, k)

	for name, damage := range map[string]func([]byte) []byte{
		"FlipPayloadByte": func(b []byte) []byte { b[len(b)-40] ^= 1; return b },
		"Truncate":        func(b []byte) []byte { return b[:len(b)-17] },
		"Append":          func(b []byte) []byte { return append(b, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := backup.Verify(bytes.NewReader(damage(slices.Clone(archive))), k.Identities...)
			if !errors.Is(err, backup.ErrCorrupt) {
				t.Fatalf("damaged archive: %v", err)
			}
		})
	}
	t.Run("FlipHeaderByte", func(t *testing.T) {
		// A damaged recipient stanza looks like an archive for another key.
		bad := slices.Clone(archive)
		bad[60] ^= 1
		_, err := backup.Verify(bytes.NewReader(bad), k.Identities...)
		if !errors.Is(err, backup.ErrCorrupt) && !errors.Is(err, backup.ErrKey) {
			t.Fatalf("damaged header: %v", err)
		}
	})
	t.Run("WrongKey", func(t *testing.T) {
		_, err := backup.Verify(bytes.NewReader(archive), mustKey(t).Identities...)
		if !errors.Is(err, backup.ErrKey) {
			t.Fatalf("wrong key: %v", err)
		}
	})
	t.Run("RestoreLeavesNothing", func(t *testing.T) {
		dst := storetest.OpenPostgres(t)
		bad := slices.Clone(archive)
		bad[len(bad)-40] ^= 1
		_, err := backup.Restore(t.Context(), dst, bytes.NewReader(bad), k.Identities, backup.RestoreOptions{})
		if !errors.Is(err, backup.ErrCorrupt) {
			t.Fatalf("restore of a damaged archive: %v", err)
		}
		if n, err := dst.CountRows(t.Context(), "users"); err != nil || n != 0 {
			t.Fatalf("users after a failed restore: %d, %v", n, err)
		}
	})
}

func TestPassphraseKey(t *testing.T) {
	t.Parallel()
	if _, err := backup.ParseKey("short"); err == nil {
		t.Fatal("a short passphrase was accepted")
	}
	k, err := backup.ParseKey("correct horse battery staple 42")
	check(t, err)
	s := storetest.OpenSQLite(t)
	seed(t, s, "curl/8 ✓")
	archive := create(t, s, k)
	_, err = backup.Verify(bytes.NewReader(archive), k.Identities...)
	check(t, err)
	other, err := backup.ParseKey("another long passphrase, not the one")
	check(t, err)
	if _, err := backup.Verify(bytes.NewReader(archive), other.Identities...); !errors.Is(err, backup.ErrKey) {
		t.Fatalf("wrong passphrase: %v", err)
	}
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	file, pub, err := backup.GenerateKey()
	check(t, err)
	k, err := backup.ParseKey(file)
	check(t, err)
	rs, err := backup.ParseRecipients(pub)
	check(t, err)
	// An archive made with the public key alone opens with the identity.
	s := storetest.OpenSQLite(t)
	var buf bytes.Buffer
	_, err = backup.Create(t.Context(), s, &buf, backup.CreateOptions{Recipients: rs})
	check(t, err)
	_, err = backup.Verify(&buf, k.Identities...)
	check(t, err)
}
