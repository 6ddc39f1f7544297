package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/client"
	"github.com/cofferhq/coffer/internal/storetest"
)

// pgReplica is a real streaming standby of the test PostgreSQL server,
// made with pg_basebackup -R and run as the postgres user on a free port.
type pgReplica struct {
	bin, data string
	port      int
}

// startPGReplica starts a standby of the server EnvPostgresURL names. It
// skips, saying why, unless that server is on this machine, this process
// is root (to run the standby as postgres) and replication is allowed;
// with root it allows loopback replication itself, as
// scripts/pg-replication-setup.sh does.
func startPGReplica(t *testing.T) *pgReplica {
	t.Helper()
	base := storetest.SkipIfNoPostgres(t)
	if testing.Short() {
		t.Skip("starts a PostgreSQL standby")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		t.Skip("the replica test needs the PostgreSQL server on this machine (127.0.0.1)")
	}
	if os.Geteuid() != 0 {
		t.Skip("the replica test runs the standby as the postgres user and must run as root")
	}
	if _, err := user.Lookup("postgres"); err != nil {
		t.Skip("no postgres user on this machine")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := t.Context()
	var versionNum int
	if err := admin.QueryRowContext(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&versionNum); err != nil {
		t.Fatal(err)
	}
	r := &pgReplica{bin: fmt.Sprintf("/usr/lib/postgresql/%d/bin", versionNum/10000)}
	if _, err := os.Stat(filepath.Join(r.bin, "pg_basebackup")); err != nil {
		t.Skipf("no PostgreSQL binaries in %s", r.bin)
	}
	allowReplication(t, admin)

	dir, err := os.MkdirTemp("", "coffer-replica-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	asPostgres(t, "chown", "postgres:", dir)
	r.data = filepath.Join(dir, "data")
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	out, err := asPostgresCmd(filepath.Join(r.bin, "pg_basebackup"), "-h", "127.0.0.1", "-p", port, "-U", u.User.Username(),
		"-D", r.data, "-R", "-X", "stream", "-c", "fast").CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "replication") {
			t.Skipf("the primary refuses replication (run scripts/pg-replication-setup.sh): %s", out)
		}
		t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	// Debian keeps the configuration outside the data directory, so the
	// copy has none: the standby gets a minimal one of its own.
	for name, body := range map[string]string{
		"postgresql.conf": "hot_standby = on\n",
		"pg_hba.conf":     "local all all trust\nhost all all 127.0.0.1/32 trust\n",
		"pg_ident.conf":   "",
	} {
		if err := os.WriteFile(filepath.Join(r.data, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	asPostgres(t, "chown", "-R", "postgres:", r.data)
	r.port = freePort(t)
	logFile := filepath.Join(dir, "postgres.log")
	asPostgres(t, filepath.Join(r.bin, "pg_ctl"), "-D", r.data, "-l", logFile, "-w", "-t", "60", "start",
		"-o", fmt.Sprintf("-c port=%d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s", r.port, dir))
	t.Cleanup(func() { r.stop(t) })
	return r
}

// allowReplication adds a loopback replication rule to pg_hba.conf when
// there is none, and reloads.
func allowReplication(t *testing.T, admin *sql.DB) {
	t.Helper()
	ctx := t.Context()
	var rules int
	err := admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)`).Scan(&rules)
	if err != nil {
		t.Skipf("cannot read pg_hba rules (not a superuser?): %v", err)
	}
	if rules > 0 {
		return
	}
	var hba string
	if err := admin.QueryRowContext(ctx, `SHOW hba_file`).Scan(&hba); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(hba, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("replication is not allowed and %s is not writable: run scripts/pg-replication-setup.sh", hba)
	}
	_, err = f.WriteString("\n# Added by coffer's replica test: loopback streaming replication.\nhost replication all 127.0.0.1/32 trust\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, `SELECT pg_reload_conf()`); err != nil {
		t.Fatal(err)
	}
}

func asPostgresCmd(name string, args ...string) *exec.Cmd {
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
}

// asPostgres runs a command (as the postgres user unless it is chown).
func asPostgres(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := asPostgresCmd(name, args...)
	if name == "chown" {
		cmd = exec.Command(name, args...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// url is primary with the standby's port: same database, user and
// search_path.
func (r *pgReplica) url(t *testing.T, primary string) string {
	t.Helper()
	u, err := url.Parse(primary)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
	return u.String()
}

// stop shuts the standby down (fast: open connections are cut). Stopping
// a stopped standby does nothing.
func (r *pgReplica) stop(t *testing.T) {
	t.Helper()
	out, err := asPostgresCmd(filepath.Join(r.bin, "pg_ctl"), "-D", r.data, "-m", "fast", "-w", "stop").CombinedOutput()
	if err != nil && !strings.Contains(string(out), "PID file") && !strings.Contains(string(out), "Is server running") {
		t.Errorf("stop replica: %v\n%s", err, out)
	}
}

// labelled returns the value of the counter name{label="value"} on s (0
// when that series does not exist yet).
func labelled(t *testing.T, s *testServer, name, label, value string) float64 {
	t.Helper()
	v, _ := metricSample(t, s, name, label, value)
	return v
}

// TestReplicaReads runs Coffer on the test PostgreSQL server with a real
// streaming standby as its read replica, and proves that bulk reads are
// served by the standby, that a writer always reads its own write (even
// while the standby's replay is paused), and that stopping the standby
// fails no request.
func TestReplicaReads(t *testing.T) {
	start := time.Now()
	r := startPGReplica(t)
	primaryURL := storetest.PostgresURL(t)
	replicaURL := r.url(t, primaryURL)
	t.Logf("standby up on port %d in %v", r.port, time.Since(start))
	s := startServer(t, "postgres", map[string]string{"DATABASE_URL": primaryURL, "DATABASE_REPLICA_URLS": replicaURL})
	ctx := t.Context()
	c, _, _ := s.owner(t, "owner", "shop")
	const fallbacks = "coffer_db_replica_fallbacks_total"
	replicaReads := func() float64 { return labelled(t, s, "coffer_db_replica_reads_total", "replica", "replica-1") }
	read := func(key string) (string, error) {
		b, err := c.Secrets(ctx, "shop", "dev", client.SecretsOptions{})
		if err != nil {
			return "", err
		}
		for _, sec := range b.Bundle.Secrets {
			if string(sec.Key) == key && sec.Value != nil {
				return *sec.Value, nil
			}
		}
		return "", fmt.Errorf("%s not in the bundle", key)
	}

	t.Run("ReadsAreServedByTheReplica", func(t *testing.T) {
		put(t, c, "shop", "DB_URL", "v0")
		pollUntil(t, 10*time.Second, "a bulk read served by the standby", func() bool {
			_, err := read("DB_URL")
			noErr(t, err)
			return replicaReads() > 0
		})
	})

	t.Run("ReadYourWrites", func(t *testing.T) {
		for i := range 20 {
			want := fmt.Sprintf("v%d", i+1)
			put(t, c, "shop", "DB_URL", want)
			if got, err := read("DB_URL"); err != nil || got != want {
				t.Fatalf("read right after writing %q: %q, %v", want, got, err)
			}
		}
		t.Logf("replica reads %v, fell back as behind %v", replicaReads(), labelled(t, s, fallbacks, "reason", "behind"))
	})

	t.Run("ReplayPausedFallsBackToPrimary", func(t *testing.T) {
		standby, err := sql.Open("pgx", replicaURL)
		if err != nil {
			t.Fatal(err)
		}
		defer standby.Close()
		if _, err := standby.ExecContext(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
			t.Fatal(err)
		}
		defer func() { _, _ = standby.ExecContext(context.Background(), `SELECT pg_wal_replay_resume()`) }()
		behind := labelled(t, s, fallbacks, "reason", "behind")
		put(t, c, "shop", "DB_URL", "while-paused")
		if got, err := read("DB_URL"); err != nil || got != "while-paused" {
			t.Fatalf("read while the standby lags: %q, %v", got, err)
		}
		if labelled(t, s, fallbacks, "reason", "behind") <= behind {
			t.Fatal("the lagging standby was not detected as behind")
		}
	})

	t.Run("StandbyStoppedNoRequestFails", func(t *testing.T) {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var mu sync.Mutex
		var failures []error
		reads := 0
		for range 2 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					_, err := read("DB_URL")
					mu.Lock()
					reads++
					if err != nil {
						failures = append(failures, err)
					}
					mu.Unlock()
				}
			})
		}
		time.Sleep(200 * time.Millisecond) // reads in flight while the standby goes
		r.stop(t)
		put(t, c, "shop", "AFTER_STOP", "x")
		pollUntil(t, 10*time.Second, "reads fall back after the stop", func() bool {
			return labelled(t, s, fallbacks, "reason", "down")+labelled(t, s, fallbacks, "reason", "error") > 0
		})
		if got, err := read("AFTER_STOP"); err != nil || got != "x" {
			t.Fatalf("read after the standby stopped: %q, %v", got, err)
		}
		close(stop)
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("%d of %d reads failed while the standby stopped; first: %v", len(failures), reads, failures[0])
		}
		t.Logf("%d reads during the stop, none failed", reads)
	})
	t.Logf("replica test took %v", time.Since(start))
}
