package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/cofferhq/coffer/client"
)

// Reconnection backoff of the live feed: quick after a blip, then no more
// than one attempt every 30 s while the server is away.
const (
	backoffMin = 250 * time.Millisecond
	backoffMax = 30 * time.Second
	// closeTryAgainLater is the feed's "resync" close (docs/live-events.md).
	closeTryAgainLater = websocket.StatusTryAgainLater // 1013
)

// feedEvent is what the watcher reads of a feed frame.
type feedEvent struct {
	Type     string `json:"type"`
	Key      string `json:"key"`
	Revision int64  `json:"revision"`
	Code     string `json:"code"`
	Detail   string `json:"detail"`
}

// watcher follows one environment's live events for `run --watch` and
// delivers a new bundle when the secrets the child sees have changed.
type watcher struct {
	s        *session
	c        *client.Client
	cache    *bundleCache
	t        *target
	debounce time.Duration
	log      io.Writer
	out      chan<- *cachedBundle

	rev atomic.Int64 // the newest revision known: resume from here
}

// run keeps a subscription open until ctx ends, reconnecting with
// backoff; a fetcher goroutine owns the current bundle.
func (w *watcher) run(ctx context.Context, current *cachedBundle) {
	trigger := make(chan struct{}, 1)
	go w.fetcher(ctx, current, trigger)
	delay := backoffMin
	for ctx.Err() == nil {
		subscribed, err := w.follow(ctx, trigger)
		if ctx.Err() != nil {
			return
		}
		if websocket.CloseStatus(err) == closeTryAgainLater {
			// The server dropped events for us: refetch by ETag now, then
			// resume the feed from the last revision.
			poke(trigger)
		}
		if subscribed {
			delay = backoffMin
		}
		wait := delay/2 + rand.N(delay/2+1) // jitter: replicas restarted together are not hit together
		fmt.Fprintf(w.log, "coffer: live updates of %s interrupted (%v); reconnecting in %s\n", w.t, err, wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		delay = min(2*delay, backoffMax)
	}
}

// follow is one connection: subscribe from the last known revision, then
// read events until the connection ends. Each secret event restarts the
// debounce timer; when it fires, the fetcher refetches.
func (w *watcher) follow(ctx context.Context, trigger chan struct{}) (subscribed bool, err error) {
	ws, resp, err := websocket.Dial(ctx, w.s.addr+"/api/v1/events", &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: w.s}, // bearer header, never a token in the URL
	})
	if err != nil {
		if resp != nil {
			return false, fmt.Errorf("connect: HTTP %d", resp.StatusCode)
		}
		return false, fmt.Errorf("connect: %w", err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(64 << 10)
	sub, _ := json.Marshal(map[string]any{
		"type": "subscribe", "project": w.t.project, "environment": w.t.env, "since": w.rev.Load(),
	})
	if err := ws.Write(ctx, websocket.MessageText, sub); err != nil {
		return false, err
	}
	debounce := time.AfterFunc(time.Hour, func() { poke(trigger) })
	debounce.Stop()
	defer debounce.Stop()
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return subscribed, err
		}
		var ev feedEvent
		if json.Unmarshal(data, &ev) != nil {
			continue
		}
		switch {
		case ev.Type == "subscribed":
			subscribed = true
			// Catch up on anything missed while disconnected or offline;
			// a 304 when nothing was.
			w.advance(ev.Revision)
			poke(trigger)
		case strings.HasPrefix(ev.Type, "secret."):
			if ev.Revision > w.rev.Load() {
				w.advance(ev.Revision)
				debounce.Reset(w.debounce)
			}
		case ev.Type == "error":
			return subscribed, fmt.Errorf("subscription refused: %s: %s", ev.Code, ev.Detail)
		}
	}
}

// advance moves the resume point forward, never back.
func (w *watcher) advance(rev int64) {
	for {
		cur := w.rev.Load()
		if rev <= cur || w.rev.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// fetcher refetches on each trigger, by ETag, and delivers bundles whose
// secrets differ from the current ones.
func (w *watcher) fetcher(ctx context.Context, current *cachedBundle, trigger <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-trigger:
		}
		// Fresh: the server answering may not be the one whose feed told
		// of the change, and may not have heard of it yet.
		res, err := w.c.Secrets(ctx, w.t.project, w.t.env, client.SecretsOptions{IfNoneMatch: current.ETag, Fresh: true})
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(w.log, "coffer: could not refetch %s: %v\n", w.t, describe(err))
			}
			continue // the next reconnect triggers another attempt
		}
		if res.NotModified {
			continue
		}
		next := newCachedBundle(w.s.addr, w.t, res)
		w.advance(next.Revision)
		if err := w.cache.save(w.s.cacheSecret(), next); err != nil {
			fmt.Fprintf(w.log, "coffer: warning: could not keep an offline copy: %v\n", err)
		}
		if sameSecrets(current.Secrets, next.Secrets) {
			current = next
			continue
		}
		current = next
		select {
		case w.out <- next:
		case <-ctx.Done():
			return
		}
	}
}

// poke triggers without blocking; triggers that pile up are one refetch.
func poke(trigger chan<- struct{}) {
	select {
	case trigger <- struct{}{}:
	default:
	}
}
