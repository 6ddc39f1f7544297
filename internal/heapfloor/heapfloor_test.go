package heapfloor

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name              string
		floor, live, scan uint64
		base, wantPercent int
	}{
		{"SmallHeapReachesTheFloor", 64 * mib, 8 * mib, 8 * mib, 100, 700},
		{"RootsCountInTheWork", 64 * mib, 8 * mib, 14 * mib, 100, 400},
		{"RoundsUp", 64 * mib, 9 * mib, 9 * mib, 100, 612},
		{"RuntimeMinimumReachesItFirst", 32 * mib, 2 * mib, 3 * mib, 100, 800},
		{"NoCollectionYet", 32 * mib, 0, 0, 100, 800},
		{"LiveAboveTheFloorKeepsBase", 64 * mib, 100 * mib, 101 * mib, 100, 100},
		{"LiveAtTheFloorKeepsBase", 64 * mib, 64 * mib, 65 * mib, 100, 100},
		{"NeverBelowBase", 64 * mib, 40 * mib, 40 * mib, 200, 200},
		{"HigherBaseWhenFloorNeedsMore", 64 * mib, 8 * mib, 8 * mib, 200, 700},
		{"Capped", 1 << 40, 8 * mib, 8 * mib, 100, maxPercent},
		{"BaseAboveTheCap", 1 << 40, 8 * mib, 8 * mib, 20_000, 20_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Percent(tt.floor, tt.live, tt.scan, tt.base)
			if got != tt.wantPercent {
				t.Fatalf("Percent(%d, %d, %d, %d) = %d, want %d", tt.floor, tt.live, tt.scan, tt.base, got, tt.wantPercent)
			}
			if got == tt.base || got == maxPercent {
				return
			}
			// The smallest GOGC that reaches the floor: one less does not.
			if goal(tt.live, tt.scan, got) < tt.floor || goal(tt.live, tt.scan, got-1) >= tt.floor {
				t.Fatalf("GOGC %d is not the smallest whose heap goal (%d) reaches %d", got, goal(tt.live, tt.scan, got), tt.floor)
			}
		})
	}
}

// goal is the runtime's heap goal for GOGC p.
func goal(live, scan uint64, p int) uint64 {
	return max(live+scan*uint64(p)/100, runtimeMinHeap*uint64(p)/100)
}

// The tests below change the process's collector settings: none of them is
// parallel, and each puts back what it found.

func TestFloorRaisesGOGCAfterCollections(t *testing.T) {
	before := readGOGC()
	f := Start(1 << 30) // far above this test's live heap
	if f == nil {
		t.Fatal("Start returned nil with GOGC on")
	}
	if f.Base() != before {
		t.Fatalf("Base() = %d, want the GOGC in force, %d", f.Base(), before)
	}
	waitFor(t, func() bool { return readGOGC() > before })

	// The floor follows the live heap: after a collection that keeps more
	// alive, it asks for less.
	raised := readGOGC()
	keep := make([][]byte, 0, 64)
	for range 64 {
		keep = append(keep, make([]byte, 1<<20))
	}
	waitFor(t, func() bool { return readGOGC() < raised })
	runtime.KeepAlive(keep)

	f.Stop()
	if got := readGOGC(); got != before {
		t.Fatalf("GOGC after Stop = %d, want %d", got, before)
	}
	f.Stop() // a second Stop is harmless
	runtime.GC()
	runtime.GC()
	if got := readGOGC(); got != before {
		t.Fatalf("GOGC moved after Stop: %d, want %d", got, before)
	}
}

func TestFloorStaysUnderHalfTheMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(256 << 20)
	defer debug.SetMemoryLimit(old)
	f := Start(1 << 30)
	defer f.Stop()
	if f.Bytes() != 128<<20 {
		t.Fatalf("floor = %d, want half the 256 MiB limit", f.Bytes())
	}
}

func TestFloorOff(t *testing.T) {
	if f := Start(0); f != nil {
		f.Stop()
		t.Fatal("Start(0) returned a floor")
	}
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	if f := Start(64 << 20); f != nil {
		f.Stop()
		t.Fatal("Start with GOGC=off returned a floor")
	}
	if got := readGOGC(); got != -1 {
		t.Fatalf("GOGC = %d, want still off", got)
	}
}

func TestNilFloorStops(t *testing.T) {
	var f *Floor
	f.Stop()
}

// waitFor collects until cond holds: the floor adjusts after collections.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met; GOGC = %d", readGOGC())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReadGOGC(t *testing.T) {
	old := debug.SetGCPercent(137)
	defer debug.SetGCPercent(old)
	if got := readGOGC(); got != 137 {
		t.Fatalf("readGOGC() = %d, want 137", got)
	}
}
