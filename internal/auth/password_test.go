package auth

import (
	"strings"
	"testing"

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
	// A real cost-12 hash: slow (seconds, tens under the race detector),
	// but it is what production uses, so it runs in CI too.
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

// TestHasher_CompareDummyCostsLikeCompare: an unknown email must cost the
// same bcrypt work as a known one. Timing the two on a shared machine would
// make a flaky test, so it checks what decides the time instead: the dummy
// hash has exactly the configured cost, and comparing against it runs
// bcrypt (a wrong password is refused, as with a real hash).
func TestHasher_CompareDummyCostsLikeCompare(t *testing.T) {
	t.Parallel()
	for _, cost := range []int{bcrypt.MinCost, 6, DefaultCost} {
		got, err := bcrypt.Cost(dummyHash(cost))
		if err != nil || got != cost {
			t.Fatalf("dummy hash for cost %d has cost %d (%v)", cost, got, err)
		}
	}
	if bcrypt.CompareHashAndPassword(dummyHash(bcrypt.MinCost), []byte("any password")) == nil {
		t.Fatal("the dummy hash matched a guess")
	}
}
