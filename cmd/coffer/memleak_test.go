package main

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
)

// TestBulkReadsDoNotGrowTheHeap: thousands of bulk reads leave the live
// heap where the first few hundred left it. What a read allocates — its
// answer, the opened values, its audit event, cache entries — is bounded
// or freed; a leak of even a few hundred bytes a read shows here. Not
// parallel, so that no other test's allocations are counted.
func TestBulkReadsDoNotGrowTheHeap(t *testing.T) {
	s := startServer(t, "sqlite", nil, discardLogs)
	token := seedEnvironment(t, s, 20)
	read := func(n int) {
		const workers = 8
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range n / workers {
					req := httptest.NewRequest(http.MethodGet, "/api/v1/projects/bench/environments/prod/secrets", nil)
					req.Header.Set("Authorization", "Bearer "+token)
					rec := httptest.NewRecorder()
					s.Server.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						t.Errorf("status %d: %s", rec.Code, rec.Body)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	read(500) // fills the caches and pools
	before := liveHeap()
	const reads = 5000
	read(reads)
	after := liveHeap()
	t.Logf("live heap %d KiB before, %d KiB after %d reads", before>>10, after>>10, reads)
	if grown := int64(after) - int64(before); grown > 1<<20 {
		t.Errorf("the live heap grew by %d KiB over %d reads (%d bytes a read)", grown>>10, reads, grown/reads)
	}
}

// liveHeap returns the bytes of the heap that survive a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
