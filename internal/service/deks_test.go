package service

import (
	"bytes"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/barrier"
)

func TestDEKCacheServesOnlyTheWrappedKeyItCameFrom(t *testing.T) {
	ring, err := barrier.NewKeyring(bytes.Repeat([]byte{7}, barrier.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	_, wrapped, kekID, err := ring.NewDEK("p1")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Keyring: ring})
	p := &coffer.Project{ID: "p1", WrappedDEK: wrapped, KEKID: kekID}
	first, err := s.dek(p)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := s.dek(p); again != first {
		t.Fatal("a second read unwrapped the key again")
	}

	_, replaced, _, err := ring.NewDEK("p1")
	if err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]*coffer.Project{
		"OtherWrappedKey": {ID: "p1", WrappedDEK: replaced, KEKID: kekID},
		"OtherKEK":        {ID: "p1", WrappedDEK: wrapped, KEKID: "other"},
		"OtherProject":    {ID: "p2", WrappedDEK: wrapped, KEKID: kekID},
	} {
		if d := s.deks.get(q); d != nil {
			t.Errorf("%s: served the cached key", name)
		}
	}

	wrapped[0] ^= 1 // the cache holds its own copy of the wrapped bytes
	if d := s.deks.get(&coffer.Project{ID: "p1", WrappedDEK: wrapped, KEKID: kekID}); d != nil {
		t.Error("served the key for altered wrapped bytes")
	}
	wrapped[0] ^= 1

	s.Invalidate(coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p1"})
	if s.deks.get(p) == nil {
		t.Error("a secret change dropped the project key")
	}
	s.Invalidate(coffer.Event{Type: coffer.EventProjectDeleted, ProjectID: "p1"})
	if s.deks.get(p) != nil {
		t.Error("a deleted project's key is still kept")
	}
}
