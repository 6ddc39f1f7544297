package main

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/cofferhq/coffer/internal/health"
)

// TestReadinessFailsWhileMigrationsPending: when the database lacks a
// migration the binary knows (here reverted under a running server, as an
// operator's `coffer migrate down` would), readiness answers 503 naming
// the migrations component, so the load balancer stops sending traffic;
// once migrated up it answers 200 again. Liveness stays 200 throughout.
func TestReadinessFailsWhileMigrationsPending(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		hc := &http.Client{Transport: contractTransport{t: t, next: http.DefaultTransport}}
		ready := func() (int, health.Report) {
			t.Helper()
			resp, err := hc.Get(s.URL + "/health/ready")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var rep health.Report
			if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, rep
		}
		if code, rep := ready(); code != http.StatusOK || rep.Components["migrations"].Status != health.StatusOK {
			t.Fatalf("after start: %d %+v", code, rep)
		}

		noErr(t, s.Store.MigrateDown(t.Context(), 1))
		code, rep := ready()
		if code != http.StatusServiceUnavailable || rep.Status != health.StatusDown {
			t.Errorf("with a migration pending: %d %q, want 503 down", code, rep.Status)
		}
		if m := rep.Components["migrations"]; m.Status != health.StatusDown || m.Error == "" {
			t.Errorf("migrations component %+v, want down with an error", m)
		}
		if db := rep.Components["db"]; db.Status != health.StatusOK {
			t.Errorf("db component %+v: only the migrations should fail", db)
		}
		if got := status(s.URL + "/health"); got != http.StatusOK {
			t.Errorf("liveness %d while migrations are pending", got)
		}

		noErr(t, s.Store.MigrateUp(t.Context()))
		if code, rep := ready(); code != http.StatusOK || rep.Components["migrations"].Status != health.StatusOK {
			t.Fatalf("after migrating up: %d %+v", code, rep)
		}
	})
}
