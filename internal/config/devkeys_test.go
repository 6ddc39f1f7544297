package config

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func devConfig(t *testing.T) *Config {
	t.Helper()
	c := mustLoad(t, devEnv("DATA_DIR", filepath.Join(t.TempDir(), "data")), nil)
	return c
}

func TestEnsureDevKeys_GeneratesThenReuses(t *testing.T) {
	t.Parallel()
	c := devConfig(t)
	gen, err := EnsureDevKeys(c)
	if err != nil {
		t.Fatal(err)
	}
	jwtPath, keyPath := filepath.Join(c.DataDir, JWTSecretFile), filepath.Join(c.DataDir, EncryptionKeyFile)
	if !slices.Equal(gen, []string{jwtPath, keyPath}) {
		t.Fatalf("generated %v", gen)
	}
	if weakJWTSecret(c.JWTSecret) != "" || weakEncryptionKey(c.EncryptionKey) != "" {
		t.Fatal("generated keys are weak")
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{c.DataDir: 0o700, jwtPath: 0o600, keyPath: 0o600} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("%s: mode %v, want %v", path, got, want)
			}
		}
	}
	b, _ := os.ReadFile(keyPath)
	if strings.TrimSpace(string(b)) != hex.EncodeToString(c.EncryptionKey) {
		t.Fatal("file does not hold the key in use")
	}
	entries, _ := os.ReadDir(c.DataDir)
	if len(entries) != 2 {
		t.Fatalf("temporary files left behind: %v", entries)
	}

	again := mustLoad(t, devEnv("DATA_DIR", c.DataDir), nil)
	gen, err = EnsureDevKeys(again)
	if err != nil || len(gen) != 0 {
		t.Fatalf("second start: generated %v, err %v", gen, err)
	}
	if again.JWTSecret != c.JWTSecret || !slices.Equal(again.EncryptionKey, c.EncryptionKey) {
		t.Fatal("second start did not reuse the keys")
	}
}

func TestEnsureDevKeys_KeepsConfiguredKeys(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	c := mustLoad(t, devEnv("DATA_DIR", dir, "JWT_SECRET", "configured"), nil)
	gen, err := EnsureDevKeys(c)
	if err != nil || len(gen) != 1 || filepath.Base(gen[0]) != EncryptionKeyFile {
		t.Fatalf("generated %v, err %v", gen, err)
	}
	if c.JWTSecret != "configured" {
		t.Fatal("configured secret replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, JWTSecretFile)); !os.IsNotExist(err) {
		t.Fatal("wrote a JWT secret file although one was configured")
	}
}

func TestEnsureDevKeys_NothingToDo(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	for _, c := range []*Config{
		mustLoad(t, prodEnv("DATA_DIR", dir), nil),
		mustLoad(t, devEnv("DATA_DIR", dir, "JWT_SECRET", "x", "ENCRYPTION_KEY", goodKey), nil),
	} {
		if gen, err := EnsureDevKeys(c); err != nil || gen != nil {
			t.Fatalf("generated %v, err %v", gen, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("data directory created")
	}
}

func TestEnsureDevKeys_Refusals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, want string
		setup      func(dir string) error
	}{
		{"GroupReadable", "readable by group or others", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, EncryptionKeyFile), []byte(goodKey), 0o640)
		}},
		{"WorldReadable", "chmod 600", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, JWTSecretFile), []byte(goodJWT), 0o604)
		}},
		{"Malformed", "malformed", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, EncryptionKeyFile), []byte("abc\n"), 0o600)
		}},
		{"Empty", "malformed", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, JWTSecretFile), nil, 0o600)
		}},
		{"NotRegular", "not a regular file", func(dir string) error {
			return os.Mkdir(filepath.Join(dir, EncryptionKeyFile), 0o700)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if runtime.GOOS == "windows" && strings.Contains(tt.name, "Readable") {
				t.Skip("no Unix permissions")
			}
			c := devConfig(t)
			if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := tt.setup(c.DataDir); err != nil {
				t.Fatal(err)
			}
			_, err := EnsureDevKeys(c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), goodKey) || strings.Contains(err.Error(), goodJWT) {
				t.Fatal("error reveals the key")
			}
		})
	}
}

func TestEnsureDevKeys_DataDirUnusable(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustLoad(t, devEnv("DATA_DIR", filepath.Join(file, "data")), nil)
	if _, err := EnsureDevKeys(c); err == nil {
		t.Fatal("want error")
	}
}

// TestEnsureDevKeys_ConcurrentStartsAgree runs several first starts at once,
// as `docker compose up --scale` would: all must end with the same keys.
func TestEnsureDevKeys_ConcurrentStartsAgree(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	const n = 8
	cfgs := make([]*Config, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		cfgs[i] = mustLoad(t, devEnv("DATA_DIR", dir), nil)
		wg.Go(func() { _, errs[i] = EnsureDevKeys(cfgs[i]) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if cfgs[i].JWTSecret != cfgs[0].JWTSecret || !slices.Equal(cfgs[i].EncryptionKey, cfgs[0].EncryptionKey) {
			t.Fatal("concurrent starts disagree on the keys")
		}
	}
}
