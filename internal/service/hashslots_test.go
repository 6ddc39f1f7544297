package service

import (
	"context"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

// TestHashSlotsCapConcurrentBcrypt: password hashing takes a slot; when all
// are busy a caller waits, and gives up with "unavailable" when its request
// ends, so a login storm queues instead of taking every core from reads.
func TestHashSlotsCapConcurrentBcrypt(t *testing.T) {
	s := New(Config{HashSlots: 1})
	release, err := s.hashSlot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.hashSlot(ctx); coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Fatalf("second hash while the only slot is taken: %v", err)
	}
	release()
	again, err := s.hashSlot(t.Context())
	if err != nil {
		t.Fatalf("slot not returned: %v", err)
	}
	again()
	if d := New(Config{}); cap(d.hashSlots) < 1 {
		t.Fatal("the default leaves no slot")
	}
}
