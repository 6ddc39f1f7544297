package server

import (
	"testing"
	"time"
)

func TestRevisionsNoticeAMissingRevision(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name     string
		seen     []int64 // live events after subscribing at revision 10
		db       int64   // revision the database reports afterwards (0: no recheck)
		wantOpen bool
		wantNext int64
	}{
		{"InOrder", []int64{11, 12, 13}, 0, false, 14},
		{"KeysOfOneWriteShareARevision", []int64{11, 11, 11, 12}, 0, false, 13},
		{"OutOfOrderThenFilled", []int64{12, 13, 11}, 0, false, 14},
		{"LaterEventWithoutTheEarlierOne", []int64{11, 13}, 0, true, 12},
		{"TwoHolesOneFilled", []int64{13, 15, 11, 12}, 0, true, 14},
		{"LateEventBelowNextIsHarmless", []int64{11, 12, 11}, 0, false, 13},
		{"DatabaseAheadOfEvents", []int64{11}, 12, true, 12},
		{"DatabaseCaughtUp", []int64{11, 12}, 12, false, 13},
		{"DatabaseBehindACacheIsHarmless", []int64{11, 12}, 11, false, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRevisions(10)
			for i, rev := range tt.seen {
				r.see(rev, t0.Add(time.Duration(i)*time.Millisecond))
			}
			if tt.db != 0 {
				r.exists(tt.db, t0.Add(time.Second))
			}
			if r.open() != tt.wantOpen || r.next != tt.wantNext {
				t.Fatalf("open %v, next %d; want open %v, next %d", r.open(), r.next, tt.wantOpen, tt.wantNext)
			}
			if !tt.wantOpen && r.ahead != nil {
				t.Fatalf("no gap, yet %d revisions held ahead", len(r.ahead))
			}
		})
	}
}

func TestRevisionsGapCountsFromItsFirstSign(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	r := newRevisions(0)
	r.see(2, t0)                  // 1 is missing from t0
	r.see(3, t0.Add(time.Second)) // still missing: the gap is as old as before
	if got := r.lostAt(2 * time.Second); !got.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("lost at %v, want t0+2s", got)
	}
	r.see(1, t0.Add(1500*time.Millisecond))
	if r.open() {
		t.Fatal("the late event did not close the gap")
	}
}
