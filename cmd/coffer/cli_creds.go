package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// credentials is what `coffer login` keeps between runs. The refresh
// token is the long-lived secret here: the file is the user's alone.
type credentials struct {
	Addr         string    `json:"addr"`
	Email        string    `json:"email"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	SavedAt      time.Time `json:"saved_at"`
}

// credStore reads and writes the credentials file.
type credStore struct {
	dir string // …/coffer, created 0700
}

// newCredStore locates the credentials under the user's config directory
// ($XDG_CONFIG_HOME, ~/Library/Application Support, %AppData%).
func newCredStore() (*credStore, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return nil, fmt.Errorf("locate the config directory: %w", err)
	}
	return &credStore{dir: filepath.Join(base, "coffer")}, nil
}

func (s *credStore) path() string { return filepath.Join(s.dir, "credentials.json") }

// load returns the stored credentials, errNotSignedIn when there are none.
// A file that others can read is refused rather than used: its tokens may
// already be someone else's, and using it silently would hide that.
func (s *credStore) load() (*credentials, error) {
	f, err := os.Open(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNotSignedIn
	}
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("refusing to use %s: it is readable by others (mode %04o); run `chmod 600 %s`, "+
			"and consider `coffer logout` and signing in again", s.path(), st.Mode().Perm(), s.path())
	}
	var c credentials
	if err := json.NewDecoder(f).Decode(&c); err != nil {
		return nil, fmt.Errorf("read credentials %s: %w", s.path(), err)
	}
	if c.Addr == "" || c.RefreshToken == "" {
		return nil, errNotSignedIn
	}
	return &c, nil
}

// save writes c atomically (temporary file + rename), so that a
// concurrent reader sees the old or the new file, never half of one.
func (s *credStore) save(c *credentials) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("save credentials: %w", err)
	}
	c.SavedAt = time.Now().UTC()
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("save credentials: %w", err)
	}
	return writeFileAtomic(s.path(), b)
}

// remove deletes the credentials; a missing file is not an error.
func (s *credStore) remove() error {
	if err := os.Remove(s.path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete credentials: %w", err)
	}
	return nil
}

// writeFileAtomic writes b to name with mode 0600 through a temporary file
// in the same directory. os.CreateTemp creates the file 0600, so the
// content is never readable by others, not even for a moment.
func writeFileAtomic(name string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
