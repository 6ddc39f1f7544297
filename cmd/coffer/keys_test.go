package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/barrier"
	"github.com/cofferhq/coffer/internal/config"
	"github.com/cofferhq/coffer/internal/storetest"
)

// storeEnv pins a test server to one database, so that servers started
// one after the other share it: the same DATA_DIR (SQLite file, dev JWT
// secret) and, on PostgreSQL, the same schema.
func storeEnv(t *testing.T, backend string) map[string]string {
	t.Helper()
	env := map[string]string{"DATA_DIR": t.TempDir()}
	if backend == "postgres" {
		env["DATABASE_URL"] = storetest.PostgresURL(t)
	}
	return env
}

// withKeys returns env with ENCRYPTION_KEY and ENCRYPTION_KEY_PREVIOUS set.
func withKeys(env map[string]string, current string, previous ...string) map[string]string {
	out := map[string]string{"ENCRYPTION_KEY": current}
	for k, v := range env {
		out[k] = v
	}
	if len(previous) > 0 {
		out["ENCRYPTION_KEY_PREVIOUS"] = strings.Join(previous, ",")
	}
	return out
}

func newHexKey() string { return config.GenerateEncryptionKey() }

func mustKeyring(t *testing.T, current string, previous ...string) *barrier.Keyring {
	t.Helper()
	dec := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var prev [][]byte
	for _, p := range previous {
		prev = append(prev, dec(p))
	}
	k, err := barrier.NewKeyring(dec(current), prev...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// readAll signs in to s with a password and reads every secret of want
// (keyed project/env/KEY) back.
func readAll(t *testing.T, s *testServer, email string, want map[string]string) {
	t.Helper()
	c, _ := s.bearer(t, email)
	for key, value := range want {
		parts := strings.SplitN(key, "/", 3) // project/env/KEY
		got, err := c.Secret(t.Context(), parts[0], parts[1], parts[2])
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		if got.Value == nil || *got.Value != value {
			t.Fatalf("%s = %v, want %q", key, got.Value, value)
		}
	}
}

func TestKeysRotate(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		ctx := t.Context()
		keyA, keyB := newHexKey(), newHexKey()
		env := storeEnv(t, backend)

		// Data written with key A.
		sA := startServer(t, backend, withKeys(env, keyA))
		owner, user := sA.signup(t, "owner")
		ok(owner.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)
		ok(owner.CreateProject(ctx, api.CreateProjectRequest{Slug: "billing", Name: "Billing"})).get(t)
		want := map[string]string{}
		put := func(project, envSlug, key, value string) {
			t.Helper()
			if _, _, err := owner.PutSecret(ctx, project, envSlug, key, api.PutSecretRequest{Value: value}); err != nil {
				t.Fatalf("put %s: %v", key, err)
			}
			want[project+"/"+envSlug+"/"+key] = value
		}
		put("shop", "dev", "DB_URL", "postgres://shop-dev")
		put("shop", "prod", "DB_URL", "postgres://shop-prod")
		put("billing", "prod", "STRIPE_KEY", "sk_live_1")
		_ = sA // still running: servers with the old key may run until restarted

		// B current, A previous: it starts, serves the A-wrapped projects
		// and warns that a rotation is due.
		sBA := startServer(t, backend, withKeys(env, keyB, keyA))
		if !strings.Contains(sBA.Logs.String(), "coffer keys rotate") {
			t.Fatalf("no rotation warning at start-up:\n%s", sBA.Logs)
		}
		readAll(t, sBA, user.Email, want)
		c, _ := sBA.bearer(t, user.Email)
		ok(c.CreateProject(ctx, api.CreateProjectRequest{Slug: "fresh", Name: "Fresh"})).get(t) // wrapped by B
		if _, _, err := c.PutSecret(ctx, "fresh", "dev", "K", api.PutSecretRequest{Value: "v"}); err != nil {
			t.Fatal(err)
		}
		want["fresh/dev/K"] = "v"

		ringBA := mustKeyring(t, keyB, keyA)
		var status bytes.Buffer
		noErr(t, keyStatus(ctx, &status, sBA.Store, sBA.Config, ringBA))
		for _, s := range []string{barrier.KeyID(mustHex(t, keyA)) + "  2", barrier.KeyID(mustHex(t, keyB)) + "  1", "Rotation pending: 2"} {
			if !strings.Contains(status.String(), s) {
				t.Fatalf("status lacks %q:\n%s", s, status.String())
			}
		}

		// Rotate while the server serves; then again, which changes nothing.
		r, err := rotateKeys(ctx, sBA.Store, ringBA, discardLogger())
		noErr(t, err)
		if r.Rewrapped != 2 || r.Current != 1 || !r.CheckStored || len(r.Failed) != 0 {
			t.Fatalf("rotation: %+v", r)
		}
		readAll(t, sBA, user.Email, want)
		r, err = rotateKeys(ctx, sBA.Store, ringBA, discardLogger())
		noErr(t, err)
		if r.Rewrapped != 0 || r.Current != 3 || !r.CheckStored {
			t.Fatalf("second rotation: %+v", r)
		}
		status.Reset()
		noErr(t, keyStatus(ctx, &status, sBA.Store, sBA.Config, ringBA))
		if !strings.Contains(status.String(), "Every project key is wrapped by ENCRYPTION_KEY") {
			t.Fatalf("status after rotation:\n%s", status.String())
		}
		chain, err := audit.Verify(ctx, sBA.Store)
		noErr(t, err)
		if chain.Events == 0 {
			t.Fatal("no audit events")
		}

		// B alone: it starts with no warning and every secret reads back.
		sB := startServer(t, backend, withKeys(env, keyB))
		if strings.Contains(sB.Logs.String(), "key rotation in progress") {
			t.Fatalf("rotation warning after the rotation:\n%s", sB.Logs)
		}
		readAll(t, sB, user.Email, want)

		// The old key alone, or a stranger's, is refused at start.
		for _, key := range []string{keyA, newHexKey()} {
			m := NewMain(testConfig(t, backend, withKeys(env, key)), discardLogger())
			err := m.Run(ctx)
			if err == nil {
				_ = m.Close(context.Background(), 0)
				t.Fatal("a wrong ENCRYPTION_KEY was accepted")
			}
			if !errors.Is(err, barrier.ErrKeyMismatch) {
				t.Fatalf("wrong key: %v", err)
			}
		}
	})
}

// TestKeysRotateRefusesUnknownKey: a project whose key no configured KEK
// opens is reported, and the check value is not replaced, so the operator
// cannot drop the previous key by mistake.
func TestKeysRotateRefusesUnknownKey(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	keyA, keyB := newHexKey(), newHexKey()
	env := storeEnv(t, "sqlite")
	sA := startServer(t, "sqlite", withKeys(env, keyA))
	owner, _ := sA.signup(t, "owner")
	ok(owner.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop"})).get(t)

	// B current and A forgotten: the check value is A's, so nothing happens.
	_, err := rotateKeys(ctx, sA.Store, mustKeyring(t, keyB), discardLogger())
	if !errors.Is(err, barrier.ErrKeyMismatch) {
		t.Fatalf("rotate without the old key: %v", err)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
