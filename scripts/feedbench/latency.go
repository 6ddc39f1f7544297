package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/cofferhq/coffer/api"
)

// delivery is one event a subscriber received: which write and when.
type delivery struct {
	key  string
	at   time.Time // the event's own stamp: taken on A right after the commit
	recv time.Time
}

func runLatency(ctx context.Context, b *bench, args []string) error {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	pg := fs.String("pg", os.Getenv("COFFER_TEST_DATABASE_URL"), "PostgreSQL admin URL; a fresh database is created")
	redisURL := fs.String("redis", "redis://127.0.0.1:6379/0", "Redis URL shared by both instances")
	subs := fs.Int("subscribers", 100, "feed subscribers on instance B")
	writes := fs.Int("writes", 500, "secret writes on instance A")
	interval := fs.Duration("interval", 20*time.Millisecond, "pause between one write's answer and the next write")
	_ = fs.Parse(args)
	if *pg == "" {
		return errors.New("latency needs -pg (PostgreSQL admin URL)")
	}

	dbURL, err := b.database(ctx, *pg)
	if err != nil {
		return err
	}
	k := newKeys()
	env := []string{"DATABASE_URL=" + dbURL, "REDIS_URL=" + *redisURL}
	a, err := b.start(ctx, "A", k, env...)
	if err != nil {
		return err
	}
	bb, err := b.start(ctx, "B", k, env...)
	if err != nil {
		return err
	}
	owner, err := seed(ctx, a.URL)
	if err != nil {
		return err
	}
	tokens, err := serviceTokens(ctx, owner, (*subs+19)/20)
	if err != nil {
		return err
	}

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1}}
	got := make([][]delivery, *subs)
	readErrs := make([]error, *subs)
	conns := make([]*websocket.Conn, *subs)
	defer closeAll(conns)
	var readers sync.WaitGroup
	err = parallel(ctx, *subs, 16, func(dctx context.Context, i int) error {
		ws, err := dialSubscribed(dctx, bb.URL, tokens[i/20], hc)
		if err != nil {
			return fmt.Errorf("subscriber %d on B: %w", i, err)
		}
		conns[i] = ws
		got[i] = make([]delivery, 0, *writes)
		// ctx, not dctx: the readers outlive the dialing.
		readers.Go(func() { got[i], readErrs[i] = readDeliveries(ctx, ws, got[i], *writes) })
		return nil
	})
	if err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond) // B's bus subscription is confirmed at start; margin

	fmt.Printf("%d subscribers on B; %d writes on A, %v apart (load average %s)\n", *subs, *writes, *interval, loadAverage())
	sent := make(map[string]time.Time, *writes)
	var writeTimes []time.Duration
	for i := range *writes {
		key := fmt.Sprintf("KEY_%04d", i)
		t0 := time.Now()
		if _, _, err := owner.PutSecret(ctx, benchProject, benchEnv, key, api.PutSecretRequest{Value: "v"}); err != nil {
			return fmt.Errorf("write %d on A: %w", i, err)
		}
		sent[key] = t0
		writeTimes = append(writeTimes, time.Since(t0))
		time.Sleep(*interval)
	}
	wait := make(chan struct{})
	go func() { readers.Wait(); close(wait) }()
	select {
	case <-wait:
	case <-time.After(10 * time.Second):
		fmt.Println("some subscribers still miss events after 10 s; counting what arrived")
		closeAll(conns)
		<-wait
	}

	var fromCommit, fromRequest []time.Duration
	missing := 0
	for _, ds := range got {
		missing += *writes - len(ds)
		for _, d := range ds {
			fromCommit = append(fromCommit, d.recv.Sub(d.at))
			fromRequest = append(fromRequest, d.recv.Sub(sent[d.key]))
		}
	}
	fmt.Printf("\n%d deliveries (%d missing), load average %s\n", len(fromCommit), missing, loadAverage())
	if err := errors.Join(readErrs...); err != nil && missing > 0 {
		fmt.Printf("  subscribers ended early: %v\n", err)
	}
	printQuantiles("commit on A → frame read on B", fromCommit)
	printQuantiles("write request sent → frame read", fromRequest)
	printQuantiles("write round trip on A (HTTP)", writeTimes)
	return nil
}

// readDeliveries reads secret events until it has want of them or the
// connection ends (err says why).
func readDeliveries(ctx context.Context, ws *websocket.Conn, out []delivery, want int) ([]delivery, error) {
	for len(out) < want {
		fr, err := readFrame(ctx, ws)
		if err != nil {
			return out, err
		}
		now := time.Now()
		if fr.Type == "secret.created" || fr.Type == "secret.updated" {
			out = append(out, delivery{key: fr.Key, at: fr.At, recv: now})
		}
	}
	return out, nil
}

func printQuantiles(name string, ds []time.Duration) {
	if len(ds) == 0 {
		fmt.Printf("  %-34s no samples\n", name)
		return
	}
	slices.Sort(ds)
	q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	r := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	fmt.Printf("  %-34s p50 %s  p90 %s  p99 %s  max %s  (n=%d)\n", name, r(q(0.50)), r(q(0.90)), r(q(0.99)), r(ds[len(ds)-1]), len(ds))
}
