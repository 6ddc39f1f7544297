package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// snapshot is the memory of a server process at one moment.
type snapshot struct {
	rss        int64 // VmRSS
	heapAlloc  float64
	heapInuse  float64
	stackInuse float64
	sys        float64
	goroutines float64
	gcs        float64
	conns      float64
}

func takeSnapshot(ctx context.Context, in *instance) (snapshot, error) {
	m, err := in.metrics(ctx)
	if err != nil {
		return snapshot{}, err
	}
	rss, err := procStatus(in.pid(), "VmRSS")
	if err != nil {
		return snapshot{}, err
	}
	return snapshot{
		rss: rss, heapAlloc: m["go_memstats_heap_alloc_bytes"], heapInuse: m["go_memstats_heap_inuse_bytes"],
		stackInuse: m["go_memstats_stack_inuse_bytes"], sys: m["go_memstats_sys_bytes"],
		goroutines: m["go_goroutines"], gcs: m["go_gc_duration_seconds_count"], conns: m["coffer_ws_connections"],
	}, nil
}

// afterGC waits for the server to finish a garbage collection and returns
// the snapshot with the smallest heap among a few taken in the second
// after it (sweeping frees the garbage over a moment; new allocations add
// some), so that the heap figures are live data rather than garbage
// awaiting collection. nudge, if true, makes cheap requests to bring the
// next collection forward (for a small heap); otherwise the runtime's
// forced collection comes within two minutes.
func afterGC(ctx context.Context, in *instance, nudge bool, timeout time.Duration) (snapshot, error) {
	first, err := takeSnapshot(ctx, in)
	if err != nil {
		return snapshot{}, err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if nudge {
			for range 200 {
				_, _ = get(ctx, in.URL+"/health")
			}
		} else {
			time.Sleep(250 * time.Millisecond)
		}
		s, err := takeSnapshot(ctx, in)
		if err != nil {
			return snapshot{}, err
		}
		if s.gcs > first.gcs {
			return lowestHeap(ctx, in, s)
		}
	}
	return snapshot{}, fmt.Errorf("no garbage collection within %v", timeout)
}

// lowestHeap samples the server four more times, 250 ms apart, and
// returns the sample with the smallest heap, best so far.
func lowestHeap(ctx context.Context, in *instance, best snapshot) (snapshot, error) {
	for range 4 {
		time.Sleep(250 * time.Millisecond)
		s, err := takeSnapshot(ctx, in)
		if err != nil {
			return snapshot{}, err
		}
		if s.heapAlloc < best.heapAlloc {
			best = s
		}
	}
	return best, nil
}

func runIdle(ctx context.Context, b *bench, args []string) error {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	conns := fs.Int("conns", 10000, "idle feed connections to open")
	perToken := fs.Int("per-token", 20, "connections per service token (the server's cap per actor is 20)")
	width := fs.Int("dial-concurrency", 32, "handshakes in flight at once")
	hold := fs.Duration("hold", 0, "keep the connections open this long after measuring (heartbeats keep running)")
	pg := fs.String("pg", "", "PostgreSQL admin URL; a fresh database is created (default: SQLite in the work directory)")
	_ = fs.Parse(args)

	in, owner, err := b.startSeeded(ctx, *pg)
	if err != nil {
		return err
	}
	nTokens := (*conns + *perToken - 1) / *perToken
	start := time.Now()
	tokens, err := serviceTokens(ctx, owner, nTokens)
	if err != nil {
		return err
	}
	fmt.Printf("created %d service tokens in %v\n", nTokens, time.Since(start).Round(time.Millisecond))

	before, err := afterGC(ctx, in, true, 60*time.Second)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	fmt.Printf("baseline: RSS %s, heap %s, stacks %s, %v goroutines (load average %s)\n",
		mib(float64(before.rss)), mib(before.heapAlloc), mib(before.stackInuse), before.goroutines, loadAverage())

	// One transport for every handshake; upgraded connections leave it.
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1}}
	open := make([]*websocket.Conn, *conns)
	var done atomic.Int64
	start = time.Now()
	err = parallel(ctx, *conns, *width, func(ctx context.Context, i int) error {
		ws, err := dialSubscribed(ctx, in.URL, tokens[i / *perToken], hc)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		// Keep reading, so that the server's pings are answered.
		ws.CloseRead(context.WithoutCancel(ctx))
		open[i] = ws
		if n := done.Add(1); n%1000 == 0 {
			fmt.Printf("  %d open (%v)\n", n, time.Since(start).Round(time.Millisecond))
		}
		return nil
	})
	defer closeAll(open)
	if err != nil {
		return fmt.Errorf("after %d connections: %w", done.Load(), err)
	}
	fmt.Printf("%d connections open and subscribed in %v\n", *conns, time.Since(start).Round(time.Millisecond))

	fmt.Println("waiting for a garbage collection (at most ~2 min: the runtime forces one every 2 min) …")
	after, err := afterGC(ctx, in, false, 150*time.Second)
	if err != nil {
		return fmt.Errorf("after connecting: %w", err)
	}
	if int(after.conns) != *conns {
		return fmt.Errorf("the server counts %v feed connections, want %d", after.conns, *conns)
	}
	hwm, _ := procStatus(in.pid(), "VmHWM")
	n := float64(*conns)
	fmt.Printf("\n%d idle subscribed connections on one instance (load average %s)\n", *conns, loadAverage())
	fmt.Printf("  %-26s %12s %12s %14s\n", "", "before", "after", "per connection")
	row := func(name string, a, b float64, unit func(float64) string) {
		fmt.Printf("  %-26s %12s %12s %14s\n", name, unit(a), unit(b), unit((b-a)/n))
	}
	row("RSS (VmRSS)", float64(before.rss), float64(after.rss), size)
	row("Go heap in use (alloc)", before.heapAlloc, after.heapAlloc, size)
	row("Go heap spans in use", before.heapInuse, after.heapInuse, size)
	row("goroutine stacks", before.stackInuse, after.stackInuse, size)
	row("Go runtime total (sys)", before.sys, after.sys, size)
	row("goroutines", before.goroutines, after.goroutines, func(v float64) string { return fmt.Sprintf("%.2f", v) })
	fmt.Printf("  peak RSS (VmHWM)           %s\n", mib(float64(hwm)))

	if *hold > 0 {
		fmt.Printf("holding for %v …\n", *hold)
		cpu0, err := cpuTime(in.pid())
		if err != nil {
			return err
		}
		start := time.Now()
		select {
		case <-time.After(*hold):
		case <-ctx.Done():
		}
		cpu1, err := cpuTime(in.pid())
		if err != nil {
			return err
		}
		fmt.Printf("server CPU while holding: %.1f%% of one core (heartbeats every 20 s, rechecks every minute)\n",
			100*float64(cpu1-cpu0)/float64(time.Since(start)))
		s, err := afterGC(ctx, in, false, 150*time.Second)
		if err != nil {
			return fmt.Errorf("after holding: %w", err)
		}
		fmt.Printf("after holding, at the next GC: %v connections, %v garbage collections since the first figures; per connection: RSS %s, heap %s, stacks %s, goroutines %.2f\n",
			s.conns, s.gcs-after.gcs, size((float64(s.rss)-float64(before.rss))/n),
			size((s.heapAlloc-before.heapAlloc)/n), size((s.stackInuse-before.stackInuse)/n), (s.goroutines-before.goroutines)/n)
	}
	return nil
}

func closeAll(conns []*websocket.Conn) {
	var wg sync.WaitGroup
	for _, ws := range conns {
		if ws == nil {
			continue
		}
		wg.Go(func() { _ = ws.CloseNow() })
	}
	wg.Wait()
}

func mib(v float64) string { return fmt.Sprintf("%.1f MiB", v/(1<<20)) }

func size(v float64) string {
	switch {
	case v >= 1<<20 || v <= -(1<<20):
		return mib(v)
	case v >= 1<<10 || v <= -(1<<10):
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}
