// Command feedbench measures the live feed (GET /api/v1/events) and the
// CLI against real `coffer server` processes it starts itself:
//
//	feedbench idle    idle feed connections one instance holds, and the
//	                  memory each costs (RSS and Go runtime, before/after)
//	feedbench latency change-to-delivery latency from a write on instance
//	                  A to subscribers on instance B (PostgreSQL + Redis)
//	feedbench run     the overhead of `coffer run -- true` over `true`, and
//	                  with -cli that of a `-tags coffer_cli` build too
//
// It prints what it measured and nothing else: no target is asserted.
// Run it from the repository root (it builds ./cmd/coffer unless -coffer
// names a binary). The commands and the recorded figures are in
// docs/benchmarks.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

const usage = `usage: feedbench [-coffer BIN] [-keep] [-server-env NAME=VALUE]… idle|latency|run [flags]

  idle     -conns 10000 -per-token 20 [-pg URL]
  latency  -pg URL -redis URL -subscribers 100 -writes 500 -interval 20ms
  run      -runs 100 -secrets 20 [-hyperfine]

Run "feedbench SUBCOMMAND -h" for the flags of one.
`

func main() {
	global := flag.NewFlagSet("feedbench", flag.ExitOnError)
	global.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	bin := global.String("coffer", "", "coffer binary to run (default: go build ./cmd/coffer into the work directory)")
	keep := global.Bool("keep", false, "keep the work directory (server logs, data) instead of removing it")
	var serverEnv envList
	global.Var(&serverEnv, "server-env", "NAME=VALUE added to every server's environment (repeatable), e.g. GOGC=50")
	_ = global.Parse(os.Args[1:])
	if global.NArg() < 1 {
		global.Usage()
		os.Exit(2)
	}
	cmds := map[string]func(context.Context, *bench, []string) error{
		"idle": runIdle, "latency": runLatency, "run": runRun,
	}
	fn, ok := cmds[global.Arg(0)]
	if !ok {
		global.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := func() error {
		b, err := newBench(ctx, *bin)
		if err != nil {
			return err
		}
		b.extraEnv = serverEnv
		defer b.close(*keep)
		return fn(ctx, b, global.Args()[1:])
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, "feedbench:", err)
		os.Exit(1)
	}
}

// bench is one run: a work directory, the coffer binary and the servers
// started, stopped on close.
type bench struct {
	dir       string
	coffer    string
	instances []*instance
	cleanups  []func() // run after the servers stopped
	extraEnv  []string // -server-env
}

// envList is a repeatable NAME=VALUE flag.
type envList []string

func (l *envList) String() string { return strings.Join(*l, " ") }

func (l *envList) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q: want NAME=VALUE", v)
	}
	*l = append(*l, v)
	return nil
}

func newBench(ctx context.Context, bin string) (*bench, error) {
	dir, err := os.MkdirTemp("", "feedbench-")
	if err != nil {
		return nil, err
	}
	b := &bench{dir: dir, coffer: bin}
	if bin == "" {
		b.coffer = filepath.Join(dir, "coffer")
		fmt.Println("building ./cmd/coffer …")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", b.coffer, "./cmd/coffer").CombinedOutput()
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("go build ./cmd/coffer (run from the repository root): %w\n%s", err, out)
		}
	}
	if _, err := os.Stat(b.coffer); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("coffer binary: %w", err)
	}
	return b, nil
}

func (b *bench) close(keep bool) {
	var errs []error
	for _, in := range b.instances {
		errs = append(errs, in.stop())
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "feedbench: stop servers:", err)
	}
	for _, fn := range b.cleanups {
		fn()
	}
	if keep {
		fmt.Println("work directory kept:", b.dir)
		return
	}
	_ = os.RemoveAll(b.dir)
}
