package auth

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestDefaultCostIs12(t *testing.T) {
	t.Parallel()
	if DefaultCost != 12 {
		t.Fatalf("DefaultCost = %d", DefaultCost)
	}
	if c := (Hasher{}).cost(); c != DefaultCost {
		t.Fatalf("zero Hasher uses cost %d", c)
	}
	if raceEnabled {
		t.Skip("a cost-12 hash takes tens of seconds under the race detector")
	}
	hash, err := Hasher{}.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost(hash); c != 12 {
		t.Fatalf("zero Hasher hashed at cost %d", c)
	}
}

func TestHasher_HashCompare(t *testing.T) {
	t.Parallel()
	h := Hasher{Cost: bcrypt.MinCost}
	hash, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost(hash); c != bcrypt.MinCost {
		t.Fatalf("cost %d", c)
	}
	for _, tt := range []struct {
		name, password string
		want           bool
	}{
		{"OK", "correct horse battery", true},
		{"Wrong", "correct horse batterz", false},
		{"Case", "Correct horse battery", false},
		{"Empty", "", false},
	} {
		if got := h.Compare(hash, tt.password); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
	if h.Compare([]byte("not a hash"), "correct horse battery") {
		t.Error("garbage hash matched")
	}
}

func TestHasher_Refuses(t *testing.T) {
	t.Parallel()
	if _, err := (Hasher{Cost: bcrypt.MinCost}).Hash(strings.Repeat("a", 73)); err == nil {
		t.Error("73-byte password hashed (bcrypt would truncate it)")
	}
	if _, err := (Hasher{Cost: bcrypt.MaxCost + 1}).Hash("password"); err == nil {
		t.Error("invalid cost accepted")
	}
}

func TestHasher_CompareDummyAnyCost(t *testing.T) {
	t.Parallel()
	// Out-of-range costs are clamped rather than skipping the work.
	Hasher{Cost: 1}.CompareDummy("x")
	if c, _ := bcrypt.Cost(dummyHash(1)); c != bcrypt.MinCost {
		t.Fatalf("cost %d", c)
	}
}

// TestHasher_CompareDummyCostsLikeCompare checks that an unknown email costs
// a real bcrypt comparison. It uses loose bounds: both must clear the floor
// that cost 10 imposes on any machine, and the minimum of a few runs of
// each must be within a factor of four of the other.
func TestHasher_CompareDummyCostsLikeCompare(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("bcrypt at cost 10 takes seconds per call under the race detector")
	}
	const cost = 10
	const floor = 2 * time.Millisecond // cost 10 is ~50ms on a current core
	h := Hasher{Cost: cost}
	hash, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	h.CompareDummy("warm up") // the first call also makes the dummy hash

	fastest := func(f func()) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 3 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	compareTime := fastest(func() { h.Compare(hash, "wrong password!") })
	dummy := fastest(func() { h.CompareDummy("wrong password!") })
	t.Logf("compare %v, dummy %v", compareTime, dummy)
	if compareTime < floor || dummy < floor {
		t.Fatalf("below the bcrypt floor: compare %v, dummy %v", compareTime, dummy)
	}
	if dummy < compareTime/4 || dummy > compareTime*4 {
		t.Fatalf("dummy %v not of the order of compare %v", dummy, compareTime)
	}
}
