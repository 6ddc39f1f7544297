package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// instance is one `coffer server` process.
type instance struct {
	name string
	cmd  *exec.Cmd
	URL  string
	log  *os.File
	done chan error
}

// keys are the secrets every instance of one run shares, as replicas
// behind a load balancer must.
type keys struct{ jwt, enc string }

func newKeys() keys { return keys{jwt: randomHex(48), enc: randomHex(32)} }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// start runs `coffer server` with env over benchmark defaults (no rate
// limits in the way, cheap bcrypt for the set-up sign-in, warnings only)
// and waits until it answers /health.
func (b *bench) start(ctx context.Context, name string, k keys, env ...string) (*instance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(b.dir, name)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(b.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(b.coffer, "server")
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "APP_ENV=development", "HOST=127.0.0.1",
		"PORT=" + strconv.Itoa(port), "DATA_DIR=" + dataDir,
		"JWT_SECRET=" + k.jwt, "ENCRYPTION_KEY=" + k.enc,
		"BCRYPT_COST=4", "LOG_FORMAT=json", "LOG_LEVEL=warn", "SHUTDOWN_DRAIN=0s",
		"RATE_LIMIT_AUTH_PER_MINUTE=1000000", "RATE_LIMIT_MAX_REQUESTS=1000000",
		"RATE_LIMIT_TOKEN_PER_MINUTE=10000000",
	}, append(env, b.extraEnv...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	in := &instance{name: name, cmd: cmd, URL: fmt.Sprintf("http://127.0.0.1:%d", port), log: logFile, done: make(chan error, 1)}
	go func() { in.done <- cmd.Wait() }()
	b.instances = append(b.instances, in)
	if err := in.waitHealthy(ctx, 60*time.Second); err != nil {
		return nil, err
	}
	fmt.Printf("%s: pid %d on %s\n", name, in.pid(), in.URL)
	return in, nil
}

func (in *instance) pid() int { return in.cmd.Process.Pid }

func (in *instance) waitHealthy(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case err := <-in.done:
			return fmt.Errorf("%s exited before serving: %v (see %s)", in.name, err, in.log.Name())
		default:
		}
		if status, err := get(ctx, in.URL+"/health"); err == nil && status == http.StatusOK {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not serve within %v (see %s)", in.name, d, in.log.Name())
}

// stop sends SIGTERM and waits for the exit (SIGKILL after 15 s).
func (in *instance) stop() error {
	defer in.log.Close()
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
		return nil
	case <-time.After(15 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.done
		return fmt.Errorf("%s did not stop on SIGTERM within 15 s; killed", in.name)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func get(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// metrics returns the unlabelled series of the instance's /metrics (and
// the first series of labelled ones, under their bare name).
func (in *instance) metrics(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.URL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		if _, seen := out[name]; seen {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// procStatus returns a field of /proc/<pid>/status in bytes (VmRSS,
// VmHWM…), which the kernel gives in kB.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.Join(sc.Err(), fmt.Errorf("/proc/%d/status has no %s", pid, field))
}

// loadAverage returns /proc/loadavg's three averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// cpuTime returns the user and system CPU time the process has used, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields resume after ')'.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	var ticks int64
	for _, v := range f[11:13] { // utime, stime: fields 14 and 15 overall
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}
