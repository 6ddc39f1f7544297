package main

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/backup"
	"github.com/cofferhq/coffer/internal/barrier"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/storetest"
)

func mustBackupKey(t *testing.T) *backup.Key {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	noErr(t, err)
	k, err := backup.ParseKey(id.String())
	noErr(t, err)
	return k
}

// TestBackupSQLiteToPostgres is the path from one machine to a cluster:
// data made through the API on SQLite, backed up, verified, restored into
// a new PostgreSQL schema, and served from there with the same keys.
func TestBackupSQLiteToPostgres(t *testing.T) {
	t.Parallel()
	storetest.SkipIfNoPostgres(t)
	ctx := t.Context()
	encKey := newHexKey()

	// On SQLite: users, projects, secrets with versions, tokens, audit.
	src := startServer(t, "sqlite", withKeys(storeEnv(t, "sqlite"), encKey))
	owner, ou := src.signup(t, "owner")
	_, du := src.signup(t, "dev")
	ok(owner.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
	ok(owner.AddMember(ctx, "shop", api.AddMemberRequest{Email: du.Email, Role: "developer"})).get(t)
	want := map[string]string{}
	for _, kv := range [][3]string{
		{"shop/dev/DB_URL", "v1", ""}, {"shop/dev/DB_URL", "v2", "rotated"}, {"shop/prod/API_KEY", "k-\u00e9\u00e8-\x01", ""},
		{"shop/staging/EMPTY", "", ""},
	} {
		parts := strings.SplitN(kv[0], "/", 3)
		if _, _, err := owner.PutSecret(ctx, parts[0], parts[1], parts[2], api.PutSecretRequest{Value: kv[1], Comment: kv[2]}); err != nil {
			t.Fatalf("put %s: %v", kv[0], err)
		}
		want[kv[0]] = kv[1]
	}
	pat := ok(owner.CreatePersonalToken(ctx, api.CreatePersonalTokenRequest{Name: "laptop"})).get(t)
	svc := ok(owner.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{Name: "ci", Environments: []string{"dev"}, Access: "read"})).get(t)

	key := mustBackupKey(t)
	archive := filepath.Join(t.TempDir(), "coffer.backup")
	sum, err := writeBackup(ctx, src.Store, archive, nil, key.Recipients)
	noErr(t, err)
	if sum.Rows["secret_versions"] != 4 || sum.Rows["users"] != 2 || sum.Rows["tokens"] != 2 || sum.Rows["audit_events"] == 0 {
		t.Fatalf("backup summary: %+v", sum.Rows)
	}
	if info, err := os.Stat(archive); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("archive file: %v %v", info, err)
	}
	data, err := os.ReadFile(archive)
	noErr(t, err)
	for _, plain := range []string{ou.Email, "DB_URL", "shop"} {
		if bytes.Contains(data, []byte(plain)) {
			t.Fatalf("archive holds %q in the clear", plain)
		}
	}
	_, err = backup.Verify(bytes.NewReader(data), key.Identities...)
	noErr(t, err)

	t.Run("TamperedByte", func(t *testing.T) {
		bad := bytes.Clone(data)
		bad[len(bad)/2] ^= 0x20
		if _, err := backup.Verify(bytes.NewReader(bad), key.Identities...); !errors.Is(err, backup.ErrCorrupt) {
			t.Fatalf("tampered archive: %v", err)
		}
	})
	t.Run("WrongBackupKey", func(t *testing.T) {
		_, err := backup.Verify(bytes.NewReader(data), mustBackupKey(t).Identities...)
		if !errors.Is(err, backup.ErrKey) || !strings.Contains(err.Error(), "backup key does not open") {
			t.Fatalf("wrong backup key: %v", err)
		}
	})
	t.Run("WrongEncryptionKeyRestoresNothing", func(t *testing.T) {
		dst := storetest.Open(t, store.Config{URL: storetest.PostgresURL(t)})
		_, err := restoreBackup(ctx, dst, bytes.NewReader(data), key.Identities, mustKeyring(t, newHexKey()), false)
		if !errors.Is(err, barrier.ErrKeyMismatch) {
			t.Fatalf("restore with another ENCRYPTION_KEY: %v", err)
		}
		if n, err := dst.CountRows(ctx, "users"); err != nil || n != 0 {
			t.Fatalf("users after a refused restore: %d %v", n, err)
		}
	})

	// Into a fresh PostgreSQL schema, not even migrated.
	pgURL := storetest.PostgresURL(t)
	dst := storetest.Open(t, store.Config{URL: pgURL})
	_, err = restoreBackup(ctx, dst, bytes.NewReader(data), key.Identities, mustKeyring(t, encKey), false)
	noErr(t, err)
	_, err = restoreBackup(ctx, dst, bytes.NewReader(data), key.Identities, mustKeyring(t, encKey), false)
	if !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("restore into a non-empty database: %v", err)
	}

	s := startServer(t, "postgres", withKeys(map[string]string{"DATABASE_URL": pgURL}, encKey))
	readAll(t, s, ou.Email, want)
	readAll(t, s, du.Email, map[string]string{"shop/dev/DB_URL": "v2"})
	c, _ := s.bearer(t, ou.Email)
	versions := ok(c.SecretVersions(ctx, "shop", "dev", "DB_URL", "", 10)).get(t)
	if len(versions.Versions) != 2 {
		t.Fatalf("versions after restore: %+v", versions)
	}
	patc := s.newClient(t, client.WithToken(pat.Secret))
	if got := ok(patc.Secret(ctx, "shop", "prod", "API_KEY")).get(t); got.Value == nil || *got.Value != want["shop/prod/API_KEY"] {
		t.Fatalf("read with the personal token: %+v", got)
	}
	svcc := s.newClient(t, client.WithToken(svc.Secret))
	b := ok(svcc.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t)
	if len(b.Bundle.Secrets) != 1 {
		t.Fatalf("read with the service token: %+v", b.Bundle)
	}
	_, err = svcc.Secret(ctx, "shop", "prod", "API_KEY")
	wantStatus(t, err, http.StatusNotFound) // the scope came along too
	chain, err := audit.Verify(ctx, s.Store)
	noErr(t, err)
	if chain.Events <= sum.Rows["audit_events"] {
		t.Fatalf("audit chain: %d events, want more than the %d restored (reads since)", chain.Events, sum.Rows["audit_events"])
	}
}

// TestBackupCommands runs the commands as an operator would, through the
// environment, on SQLite: it cannot run in parallel (t.Setenv).
func TestBackupCommands(t *testing.T) {
	file, _, err := backup.GenerateKey()
	noErr(t, err)
	keyFile := filepath.Join(t.TempDir(), "backup.key")
	noErr(t, os.WriteFile(keyFile, []byte(file), 0o600))
	encKey := newHexKey()
	srcDir, dstDir := t.TempDir(), t.TempDir()
	t.Setenv("APP_ENV", "development")
	t.Setenv("ENCRYPTION_KEY", encKey)
	t.Setenv("JWT_SECRET", strings.Repeat("j", 64))
	t.Setenv(envBackupKeyFile, keyFile)
	t.Setenv("DATABASE_URL", "")
	archive := filepath.Join(t.TempDir(), "b.age")

	run := func(dataDir string, args ...string) (string, error) {
		t.Setenv("DATA_DIR", dataDir)
		var out bytes.Buffer
		root := newRootCmd(&out, &out)
		root.SetArgs(args)
		err := root.ExecuteContext(t.Context())
		return out.String(), err
	}
	mustRun := func(dataDir string, args ...string) string {
		t.Helper()
		out, err := run(dataDir, args...)
		if err != nil {
			t.Fatalf("coffer %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	// A server keeps running on the source while it is backed up.
	src := startServer(t, "sqlite", map[string]string{"DATA_DIR": srcDir, "ENCRYPTION_KEY": encKey})
	owner, _ := src.signup(t, "owner")
	ok(owner.CreateProject(t.Context(), api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
	mustPut(t, owner, "DB_URL", "v1", "")
	out := mustRun(srcDir, "backup", "create", "--out", archive)
	if !strings.Contains(out, "Backup written to") || !strings.Contains(out, "same ENCRYPTION_KEY") {
		t.Fatalf("create said:\n%s", out)
	}
	mustRun(srcDir, "backup", "verify", archive)
	out = mustRun(dstDir, "backup", "restore", archive)
	if !strings.Contains(out, "Restored") || !strings.Contains(out, "same ENCRYPTION_KEY") {
		t.Fatalf("restore said:\n%s", out)
	}
	if out, err := run(dstDir, "backup", "restore", archive); err == nil || !strings.Contains(out, "not empty") {
		t.Fatalf("second restore: %v\n%s", err, out)
	}
	mustRun(dstDir, "backup", "restore", "--force", archive)
	out = mustRun(dstDir, "keys", "status")
	if !strings.Contains(out, "Every project key is wrapped by ENCRYPTION_KEY") {
		t.Fatalf("keys status said:\n%s", out)
	}
	out = mustRun(dstDir, "keys", "rotate")
	if !strings.Contains(out, "Stored a new key check value") {
		t.Fatalf("keys rotate said:\n%s", out)
	}
}
