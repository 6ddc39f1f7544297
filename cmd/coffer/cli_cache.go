package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// cachedBundle is the offline copy of an environment that `coffer run`
// falls back on when the server cannot be reached.
type cachedBundle struct {
	Addr        string            `json:"addr"`
	Project     string            `json:"project"`
	Environment string            `json:"environment"`
	Revision    int64             `json:"revision"`
	ETag        string            `json:"etag"`
	FetchedAt   time.Time         `json:"fetched_at"`
	Secrets     map[string]string `json:"secrets"`
}

// bundleCache keeps offline copies sealed with AES-256-GCM under a key
// derived from the token in use, so that the files are useless to anyone
// who does not also hold that token — a stolen laptop backup, another
// user of the machine, a different token on the same account.
type bundleCache struct {
	dir string
}

// cacheMagic starts every file; it names the format so that a later one
// can be told apart, and it is bound into the seal.
const cacheMagic = "CFB1"

// errCacheSealed means a copy exists but this token cannot open it.
var errCacheSealed = errors.New("the offline copy cannot be opened with the credentials in use")

// errNoCache means there is no offline copy of that environment.
var errNoCache = errors.New("no offline copy of this environment")

// newBundleCache locates the copies under the user's cache directory.
func newBundleCache() (*bundleCache, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("locate the cache directory: %w", err)
	}
	return &bundleCache{dir: filepath.Join(base, "coffer", "bundles")}, nil
}

// bundleID names the file of one environment on one server without
// writing the project or environment names on disk in the clear.
func bundleID(addr, project, env string) string {
	sum := sha256.Sum256([]byte(addr + "|" + project + "|" + env))
	return hex.EncodeToString(sum[:])
}

func (c *bundleCache) path(id string) string { return filepath.Join(c.dir, id+".bin") }

// aead derives the file's own key from the token: HKDF-SHA256 with the
// file id as context, so that no two files share a key.
func aead(secret, id string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, []byte(secret), []byte("coffer-cli bundle cache"), "v1 "+id, 32)
	if err != nil {
		return nil, fmt.Errorf("derive cache key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("cache cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// save seals b and writes it, readable by the user alone.
func (c *bundleCache) save(secret string, b *cachedBundle) error {
	id := bundleID(b.Addr, b.Project, b.Environment)
	plain, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("save offline copy: %w", err)
	}
	sealed, err := seal(secret, id, plain)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("save offline copy: %w", err)
	}
	return writeFileAtomic(c.path(id), sealed)
}

// load opens the copy of one environment.
func (c *bundleCache) load(secret, addr, project, env string) (*cachedBundle, error) {
	id := bundleID(addr, project, env)
	raw, err := os.ReadFile(c.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoCache
	}
	if err != nil {
		return nil, fmt.Errorf("read offline copy: %w", err)
	}
	plain, err := unseal(secret, id, raw)
	if err != nil {
		return nil, err
	}
	var b cachedBundle
	if err := json.Unmarshal(plain, &b); err != nil {
		return nil, fmt.Errorf("read offline copy: %w", err)
	}
	return &b, nil
}

// rekey re-seals under next every copy that opens under old, when a
// refresh token rotates. Failures are skipped: a copy that is lost is
// refetched at the next successful run.
func (c *bundleCache) rekey(old, next string) {
	c.each(old, func(name, id string, plain []byte) {
		if sealed, err := seal(next, id, plain); err == nil {
			_ = writeFileAtomic(name, sealed)
		}
	})
}

// removeAll deletes the copies that secret opens, when it is revoked.
func (c *bundleCache) removeAll(secret string) {
	c.each(secret, func(name, _ string, _ []byte) { _ = os.Remove(name) })
}

// each calls fn for every copy that secret opens.
func (c *bundleCache) each(secret string, fn func(name, id string, plain []byte)) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".bin")
		if !ok || e.IsDir() {
			continue
		}
		name := filepath.Join(c.dir, e.Name())
		raw, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		if plain, err := unseal(secret, id, raw); err == nil {
			fn(name, id, plain)
		}
	}
}

func seal(secret, id string, plain []byte) ([]byte, error) {
	g, err := aead(secret, id)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal offline copy: %w", err)
	}
	out := append([]byte(cacheMagic), nonce...)
	return g.Seal(out, nonce, plain, []byte(cacheMagic+id)), nil
}

func unseal(secret, id string, raw []byte) ([]byte, error) {
	g, err := aead(secret, id)
	if err != nil {
		return nil, err
	}
	head := len(cacheMagic) + g.NonceSize()
	if len(raw) < head || string(raw[:len(cacheMagic)]) != cacheMagic {
		return nil, errCacheSealed
	}
	plain, err := g.Open(nil, raw[len(cacheMagic):head], raw[head:], []byte(cacheMagic+id))
	if err != nil {
		return nil, errCacheSealed
	}
	return plain, nil
}
