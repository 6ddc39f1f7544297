package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Names of the key files EnsureDevKeys keeps in DATA_DIR.
const (
	JWTSecretFile     = "jwt_secret"
	EncryptionKeyFile = "encryption_key"
)

// EnsureDevKeys fills in a missing JWT secret or encryption key in
// development from files in cfg.DataDir, generating each file once, so that
// `coffer server` works with no configuration and keeps its data readable
// across restarts. It returns the paths of the files it created; the server
// logs a loud warning naming them, because data encrypted with them is only
// as safe as the data directory.
//
// It does nothing in production, where Load has already required the keys,
// and it is separate from Load so that `coffer config check` writes nothing.
// A key file readable by group or others is refused rather than trusted.
func EnsureDevKeys(cfg *Config) (generated []string, err error) {
	if cfg.Production() || (cfg.JWTSecret != "" && len(cfg.EncryptionKey) != 0) {
		return nil, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if cfg.JWTSecret == "" {
		path := filepath.Join(cfg.DataDir, JWTSecretFile)
		v, created, err := loadOrCreate(path, GenerateJWTSecret, func(s string) bool { return s != "" })
		if err != nil {
			return generated, err
		}
		cfg.JWTSecret = v
		if created {
			generated = append(generated, path)
		}
	}
	if len(cfg.EncryptionKey) == 0 {
		path := filepath.Join(cfg.DataDir, EncryptionKeyFile)
		v, created, err := loadOrCreate(path, GenerateEncryptionKey, func(s string) bool {
			k, err := hex.DecodeString(s)
			return err == nil && len(k) == 32
		})
		if err != nil {
			return generated, err
		}
		cfg.EncryptionKey, _ = hex.DecodeString(v)
		if created {
			generated = append(generated, path)
		}
	}
	return generated, nil
}

// loadOrCreate reads the key in path, or writes a new one from gen if there
// is none. The new file is written aside and linked into place, so a second
// instance starting at the same moment reads a complete key, never half of
// one, and both end up with the same key.
func loadOrCreate(path string, gen func() string, valid func(string) bool) (value string, created bool, err error) {
	v, err := readKeyFile(path, valid)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return v, false, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return "", false, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	v = gen()
	_, werr := tmp.WriteString(v + "\n")
	if werr == nil {
		werr = tmp.Chmod(0o600)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", false, fmt.Errorf("write key file %s: %w", path, werr)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		v, err := readKeyFile(path, valid)
		return v, false, err
	} else if err != nil {
		return "", false, fmt.Errorf("create key file %s: %w", path, err)
	}
	return v, true, nil
}

func readKeyFile(path string, valid func(string) bool) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("key file %s is not a regular file; remove it to generate a new key", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("key file %s is readable by group or others (mode %v); run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read key file: %w", err)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if !valid(v) {
		return "", fmt.Errorf("key file %s is malformed; restore it from backup (deleting it makes existing data unreadable)", path)
	}
	return v, nil
}
