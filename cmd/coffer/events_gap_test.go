package main

import (
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
	"github.com/cofferhq/coffer/internal/redis/redistest"
	"github.com/cofferhq/coffer/internal/storetest"
)

// lossyPair starts two instances on one PostgreSQL schema: B on the test
// Redis, A on a Redis that is not there, so that every event A publishes
// for other instances is lost — as when a publish is dropped on its way.
// B's feeds use limits.
func lossyPair(t *testing.T, limits func(*Main)) (a, b *testServer) {
	t.Helper()
	redisURL := redistest.URL(t)
	shared := map[string]string{"DATABASE_URL": storetest.PostgresURL(t), "DATA_DIR": t.TempDir()}
	withRedis := map[string]string{"REDIS_URL": redisURL}
	lost := map[string]string{"REDIS_URL": redistest.Unreachable}
	for k, v := range shared {
		withRedis[k], lost[k] = v, v
	}
	return startServer(t, "postgres", lost), startServer(t, "postgres", withRedis, limits)
}

// TestEventsLostPublishResyncs: a subscriber whose instance never got an
// event is closed with 1013 resync — when a later event shows the gap in
// revisions, or when the periodic recheck finds the environment past what
// was announced — and resuming by revision replays what was lost.
func TestEventsLostPublishResyncs(t *testing.T) {
	t.Parallel()
	const grace = 300 * time.Millisecond
	tests := []struct {
		name    string
		recheck time.Duration
		later   bool // B writes after the lost write
	}{
		{"ALaterEventShowsTheGap", time.Hour, true},
		{"TheRecheckShowsALostLastEvent", 300 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := lossyPair(t, func(m *Main) {
				m.FeedLimits.GapGrace, m.FeedLimits.RecheckInterval = grace, tt.recheck
			})
			ca, token, _ := a.owner(t, "owner", "shop")
			onB := dialFeed(t, b, bearerHeader(token), nil)
			_, rev := onB.subscribe("shop", "dev", nil)

			put(t, ca, "shop", "LOST", "written on A, never announced to B")
			if tt.later {
				cb := b.newClient(t, client.WithToken(token))
				put(t, cb, "shop", "LATER", "written on B")
				if fr := onB.mustNext(); fr.Key != "LATER" || fr.Revision != rev+2 {
					t.Fatalf("B's subscriber got %+v, want LATER at revision %d", fr, rev+2)
				}
			}
			start := time.Now()
			if code := onB.closedWith(10 * time.Second); code != websocket.StatusTryAgainLater {
				t.Fatalf("closed with %v, want 1013 (resync)", code)
			}
			t.Logf("resync after %v", time.Since(start))

			again := dialFeed(t, b, bearerHeader(token), nil)
			replay, _ := again.subscribe("shop", "dev", sincePtr(rev))
			if len(replay) == 0 || replay[0].Key != "LOST" || replay[0].Revision != rev+1 {
				t.Fatalf("replay since %d: %+v, want LOST at revision %d first", rev, replay, rev+1)
			}
		})
	}
}

// TestEventsRecheckClosesRevokedFeeds: a revocation whose event never
// reached this instance is caught by the periodic recheck, which closes
// every feed of the credential — checked once for all of them — and
// leaves the feeds of other credentials open.
func TestEventsRecheckClosesRevokedFeeds(t *testing.T) {
	t.Parallel()
	const recheck = 300 * time.Millisecond
	a, b := lossyPair(t, func(m *Main) { m.FeedLimits.RecheckInterval = recheck })
	ca, token, _ := a.owner(t, "owner", "shop")
	st := ok(ca.CreateServiceToken(t.Context(), "shop", api.CreateServiceTokenRequest{
		Name: "feed", Access: "read", Environments: []api.Slug{"dev"},
	})).get(t)
	var revoked []*feed
	for range 3 {
		f := dialFeed(t, b, bearerHeader(st.Secret), nil)
		f.subscribe("shop", "dev", nil)
		revoked = append(revoked, f)
	}
	other := dialFeed(t, b, bearerHeader(token), nil)
	other.subscribe("shop", "dev", nil)

	noErr(t, ca.RevokeServiceToken(t.Context(), "shop", st.Token.ID)) // on A: B never hears of it
	start := time.Now()
	for i, f := range revoked {
		if code := f.closedWith(10 * recheck); code != websocket.StatusPolicyViolation {
			t.Fatalf("feed %d of the revoked token: closed with %v, want 1008", i, code)
		}
	}
	t.Logf("closed %v after the revocation (recheck interval %v)", time.Since(start), recheck)
	if fr, err := other.next(2 * recheck); err == nil || websocket.CloseStatus(err) != -1 {
		t.Fatalf("the other credential's feed: %+v, %v; want it open and quiet", fr, err)
	}
}
