package redis

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/redis/redistest"
)

func TestBundlesShareSealedRowsByRevision(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	a := NewBundles(mustOpen(t, url, "coffer-test-a"))
	b := NewBundles(mustOpen(t, url, "coffer-test-b"))
	ctx := t.Context()
	envID := uuid.NewString()
	at := time.Date(2026, 11, 27, 10, 0, 0, 123000, time.UTC)
	rows := []*coffer.Secret{
		{ID: uuid.NewString(), EnvironmentID: envID, Key: "A", Version: 2, Revision: 3, Comment: "first",
			UpdatedAt: at, UpdatedBy: coffer.Actor{Type: coffer.ActorUser, ID: "u1"}, Ciphertext: []byte{1, 0, 255, 7}},
		{ID: uuid.NewString(), EnvironmentID: envID, Key: "B", Version: 1, Revision: 1,
			UpdatedAt: at, UpdatedBy: coffer.Actor{Type: coffer.ActorToken, ID: "t1"}, Ciphertext: []byte{9}},
	}
	if _, ok := b.Get(ctx, envID, 3); ok {
		t.Fatal("hit before any put")
	}
	a.Put(ctx, envID, 3, rows)
	got, ok := b.Get(ctx, envID, 3)
	if !ok {
		t.Fatal("another instance missed a bundle put by the first")
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("round trip changed the rows:\n got %+v\nwant %+v", got, rows)
	}
	if _, ok := b.Get(ctx, envID, 4); ok {
		t.Fatal("a bundle served for another revision")
	}
	empty := uuid.NewString()
	a.Put(ctx, empty, 0, nil)
	if got, ok := b.Get(ctx, empty, 0); !ok || len(got) != 0 {
		t.Fatalf("empty environment: %v %v", got, ok)
	}
	ttl, err := a.c.rdb.TTL(ctx, a.c.bundleKey(envID, 3)).Result()
	if err != nil || ttl <= 0 || ttl > BundleTTL {
		t.Fatalf("TTL %v (%v), want within (0, %v]", ttl, err, BundleTTL)
	}
}

func TestBundlesMissWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	c, err := Open(Config{URL: redistest.Unreachable, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := NewBundles(c)
	start := time.Now()
	b.Put(t.Context(), "e", 1, []*coffer.Secret{{Key: "A", Ciphertext: []byte{1}}})
	for range 3 {
		if _, ok := b.Get(t.Context(), "e", 1); ok {
			t.Fatal("hit with Redis down")
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("four calls with Redis down took %v: an outage must cost one timeout, not one per call", d)
	}
}

func TestBundlesIgnoreUndecodableEntries(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, redistest.URL(t), "coffer-test")
	envID := uuid.NewString()
	if err := c.rdb.Set(t.Context(), c.bundleKey(envID, 1), "not json", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if _, ok := NewBundles(c).Get(t.Context(), envID, 1); ok {
		t.Fatal("an undecodable entry was served")
	}
}
