//go:build linux

package health

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
)

// DiskCheck returns a check named "disk" that fails when the filesystem
// holding dir has less than minFreeBytes available to unprivileged users
// (SQLite and backups write there; a full disk corrupts neither but stops
// every write). The component reports the free bytes measured.
func DiskCheck(dir string, minFreeBytes uint64) Check {
	var last atomic.Uint64
	return Check{
		Name:     "disk",
		Critical: true,
		Details:  func() map[string]any { return map[string]any{"free_bytes": last.Load()} },
		Run: func(context.Context) error {
			free, err := FreeBytes(dir)
			if err != nil {
				return err
			}
			last.Store(free)
			if free < minFreeBytes {
				return fmt.Errorf("disk %s: %d bytes free, want at least %d", dir, free, minFreeBytes)
			}
			return nil
		},
	}
}

// FreeBytes returns the bytes available to unprivileged users on the
// filesystem that holds dir.
func FreeBytes(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil //nolint:gosec // Bsize is a positive block size
}
