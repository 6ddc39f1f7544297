// Package heapfloor keeps the garbage collector from running while the heap
// is still small.
//
// Go collects when the heap has grown by GOGC percent (100 by default) over
// what the last collection kept alive. Coffer keeps little alive — a few
// megabytes while it serves reads — so under load it collected some thirty
// times a second, and a bulk read spent about a sixth of its CPU in the
// collector (docs/benchmarks.md). A floor lets the heap grow to a fixed size
// before a collection whatever the live heap, which is what GOGC alone
// cannot say: raising GOGC would also multiply the heap of an instance that
// holds much alive, such as one with thousands of live feeds. Above the
// floor GOGC applies as set.
//
// After every collection the floor sets GOGC to the value that puts the
// next collection at the floor, never below the GOGC the process started
// with. It is off when the collector is (GOGC=off), and it stays under half
// of a memory limit (GOMEMLIMIT), which the collector keeps to first.
package heapfloor

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// maxPercent bounds the GOGC the floor sets.
const maxPercent = 10_000

// runtimeMinHeap is the Go runtime's minimum heap goal at GOGC=100; like
// the rest of the goal it scales with GOGC (see the GC guide).
const runtimeMinHeap = 4 << 20

// Percent returns the smallest GOGC whose heap goal, after a collection
// that left live bytes of heap alive and scan bytes of work to mark (live
// heap, stacks and globals), is at least floor. The runtime's goal is
// max(live + scan·GOGC/100, 4 MiB·GOGC/100). The result is never below
// base, the GOGC the operator chose, nor above maxPercent.
func Percent(floor, live, scan uint64, base int) int {
	if live >= floor {
		return base
	}
	p := ceilDiv(floor*100, runtimeMinHeap)
	if scan > 0 {
		p = min(p, ceilDiv((floor-live)*100, scan))
	}
	return max(base, min(int(p), maxPercent))
}

func ceilDiv(a, b uint64) uint64 { return (a + b - 1) / b }

// Floor adjusts GOGC after every collection; Stop ends it.
type Floor struct {
	floor uint64
	base  int

	mu      sync.Mutex
	stopped bool
	percent int              // what the floor last set
	sample  []metrics.Sample // live heap, stacks and globals to scan
}

// sentinel is allocated once per collection cycle; its cleanup runs after
// the collection that found it unreachable. It holds a pointer so that it
// is never one of the tiny allocations that share a block.
type sentinel struct{ _ *Floor }

// Start keeps the heap goal at floor bytes or more and returns the Floor,
// or nil when it cannot apply: floor is 0 or GOGC is off. A memory limit
// caps the floor at half of it.
func Start(floor uint64) *Floor {
	base := readGOGC()
	if floor == 0 || base < 0 {
		return nil
	}
	if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64 && floor > uint64(limit)/2 {
		floor = uint64(limit) / 2
	}
	f := &Floor{floor: floor, base: base, percent: base, sample: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"},
	}}
	f.adjust()
	f.arm()
	return f
}

// Bytes returns the floor in bytes, after any cap.
func (f *Floor) Bytes() uint64 { return f.floor }

// Base returns the GOGC the process started with.
func (f *Floor) Base() int { return f.base }

// Stop ends the adjustments and puts GOGC back where it started.
func (f *Floor) Stop() {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	f.stopped = true
	debug.SetGCPercent(f.base)
}

// arm allocates the next cycle's sentinel.
func (f *Floor) arm() {
	runtime.AddCleanup(new(sentinel), func(f *Floor) { f.afterGC() }, f)
}

// afterGC runs on the runtime's cleanup goroutine after a collection.
func (f *Floor) afterGC() {
	if f.adjust() {
		f.arm()
	}
}

// adjust sets GOGC for the live heap the last collection left, unless the
// change is too small to matter; it reports false once stopped.
func (f *Floor) adjust() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	metrics.Read(f.sample)
	live := f.sample[0].Value.Uint64()
	p := Percent(f.floor, live, live+f.sample[1].Value.Uint64()+f.sample[2].Value.Uint64(), f.base)
	// Setting GOGC is cheap, but a change of a few percent moves the next
	// collection by as little: leave it.
	if p != f.percent && (p == f.base || math.Abs(float64(p-f.percent)) > float64(f.percent)/20) {
		debug.SetGCPercent(p)
		f.percent = p
	}
	return true
}

// readGOGC returns the GOGC in force (from the GOGC variable or an earlier
// debug.SetGCPercent), or -1 when the collector is off.
func readGOGC() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
