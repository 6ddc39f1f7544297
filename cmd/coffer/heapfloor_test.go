package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestServerSetsTheHeapFloor runs the binary: `coffer server` raises GOGC
// so that the heap may reach GC_MIN_HEAP_MB before a collection, and
// GC_MIN_HEAP_MB=0 leaves it at the runtime's default.
func TestServerSetsTheHeapFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildCoffer(t)
	for _, tt := range []struct {
		name   string
		env    []string
		raised bool
	}{
		{"Default", nil, true},
		{"Off", []string{"GC_MIN_HEAP_MB=0"}, false},
		{"OperatorsGOGCIsTheBase", []string{"GOGC=50"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := startProcess(t, bin, tt.env...)
			_, body := scrape(t, p.URL+"/metrics", "")
			gogc := parseScrape(t, body).value("go_gc_gogc_percent")
			base := 100.0
			for _, e := range tt.env {
				if v, ok := strings.CutPrefix(e, "GOGC="); ok {
					base, _ = strconv.ParseFloat(v, 64)
				}
			}
			if tt.raised && gogc <= base || !tt.raised && gogc != base {
				t.Fatalf("go_gc_gogc_percent = %v (raised: %v, base %v)", gogc, tt.raised, base)
			}
			line := `"msg":"garbage collector heap floor","service":"coffer","min_heap_mb":32,"gogc":` + strconv.Itoa(int(base))
			if tt.raised != strings.Contains(p.logs.String(), line) {
				t.Fatalf("want a start-up line with %s: %v\n%s", line, tt.raised, p.logs)
			}
		})
	}
}
