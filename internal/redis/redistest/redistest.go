// Package redistest gives tests the Redis server named by
// COFFER_TEST_REDIS_URL, or skips them saying so.
package redistest

import (
	"os"
	"testing"
)

// EnvURL names the variable holding the test Redis URL.
const EnvURL = "COFFER_TEST_REDIS_URL"

// URL returns the test Redis URL, skipping the test when it is not set.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Skip("Redis was not tested: " + EnvURL + " is not set")
	}
	return u
}

// Unreachable is a Redis URL where nothing listens: port 1 of the
// loopback refuses at once.
const Unreachable = "redis://127.0.0.1:1/0"
