package barrier

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestNewKeyring_KeySize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		current  []byte
		previous [][]byte
	}{
		{"CurrentShort", make([]byte, 16), nil},
		{"CurrentLong", make([]byte, 33), nil},
		{"CurrentNil", nil, nil},
		{"PreviousShort", mustKey(t), [][]byte{make([]byte, 31)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewKeyring(tt.current, tt.previous...); err == nil {
				t.Fatal("want error")
			}
		})
	}
}

func TestCurrentID_OneWayAndStable(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	k := mustKeyring(t, key)
	id := k.CurrentID()
	if len(id) != 16 {
		t.Fatalf("id %q: want 16 hex chars", id)
	}
	if _, err := hex.DecodeString(id); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hex.EncodeToString(key), id) {
		t.Fatal("id is a substring of the key")
	}
	if mustKeyring(t, key).CurrentID() != id {
		t.Fatal("id not stable")
	}
	if mustKeyring(t, mustKey(t)).CurrentID() == id {
		t.Fatal("different keys share an id")
	}
}

func TestDEK_WrapUnwrap(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, mustKey(t))
	d, wrapped, id, err := k.NewDEK("p1")
	if err != nil {
		t.Fatal(err)
	}
	if id != k.CurrentID() {
		t.Fatalf("kek id %q, want current %q", id, k.CurrentID())
	}
	sealed, _ := d.Seal([]byte("v"), testAD)
	d2, err := k.UnwrapDEK("p1", wrapped, id)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d2.Open(sealed, testAD); err != nil || string(got) != "v" {
		t.Fatalf("unwrapped DEK does not open: %q, %v", got, err)
	}
}

func TestUnwrapDEK_Refusals(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, mustKey(t))
	_, wrapped, id := mustDEK(t, k, "p1")
	other := mustKeyring(t, mustKey(t))
	flipped := bytes.Clone(wrapped)
	flipped[len(flipped)-1] ^= 1
	// A 31-byte "key" sealed correctly must still be refused as a DEK.
	short, _ := seal(k.current.aead, make([]byte, 31), dekAD("p1", id))

	for _, tt := range []struct {
		name    string
		ring    *Keyring
		project string
		wrapped []byte
		kekID   string
		want    error
	}{
		{"WrongKEK", other, "p1", wrapped, other.CurrentID(), ErrDecrypt},
		{"UnknownKEKID", other, "p1", wrapped, id, ErrUnknownKEK},
		{"OtherProject", k, "p2", wrapped, id, ErrDecrypt},
		{"Tampered", k, "p1", flipped, id, ErrDecrypt},
		{"Garbage", k, "p1", []byte("garbage"), id, ErrDecrypt},
		{"WrongLength", k, "p1", short, id, ErrDecrypt},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tt.ring.UnwrapDEK(tt.project, tt.wrapped, tt.kekID); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRotation_PreviousUnwrapsAndRewrapMovesToCurrent(t *testing.T) {
	t.Parallel()
	oldKey, newKey := mustKey(t), mustKey(t)
	oldRing := mustKeyring(t, oldKey)
	d, wrapped, oldID := mustDEK(t, oldRing, "p1")
	sealed, _ := d.Seal([]byte("v"), testAD)

	ring := mustKeyring(t, newKey, oldKey)
	if _, err := ring.UnwrapDEK("p1", wrapped, oldID); err != nil {
		t.Fatalf("previous key does not unwrap: %v", err)
	}
	nw, newID, changed, err := ring.Rewrap("p1", wrapped, oldID)
	if err != nil || !changed {
		t.Fatalf("Rewrap: changed=%v err=%v", changed, err)
	}
	if newID != ring.CurrentID() || newID == oldID {
		t.Fatalf("new id %q, want current %q", newID, ring.CurrentID())
	}

	// Once the old key leaves the ring, the re-wrapped DEK still opens old values.
	after := mustKeyring(t, newKey)
	d2, err := after.UnwrapDEK("p1", nw, newID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d2.Open(sealed, testAD); err != nil || string(got) != "v" {
		t.Fatalf("open after rotation: %q, %v", got, err)
	}

	again, id2, changed, err := ring.Rewrap("p1", nw, newID)
	if err != nil || changed || id2 != newID || !bytes.Equal(again, nw) {
		t.Fatalf("Rewrap of current: changed=%v id=%q err=%v", changed, id2, err)
	}
}

func TestRewrap_Refusals(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, mustKey(t))
	_, wrapped, id := mustDEK(t, k, "p1")
	if _, _, _, err := k.Rewrap("p2", wrapped, id); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other project: err = %v", err)
	}
	if _, _, _, err := k.Rewrap("p1", wrapped, "0000000000000000"); !errors.Is(err, ErrUnknownKEK) {
		t.Fatalf("unknown id: err = %v", err)
	}
}

func TestNewKeyring_PreviousEqualToCurrentIgnored(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	k := mustKeyring(t, key, key)
	if len(k.byID) != 1 {
		t.Fatalf("ring holds %d keys, want 1", len(k.byID))
	}
}

func TestCheckValue(t *testing.T) {
	t.Parallel()
	oldKey, newKey := mustKey(t), mustKey(t)
	stored, err := mustKeyring(t, oldKey).CheckValue()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		ring   *Keyring
		stored []byte
		ok     bool
	}{
		{"SameKey", mustKeyring(t, oldKey), stored, true},
		{"PreviousKeyInRing", mustKeyring(t, newKey, oldKey), stored, true},
		{"WrongKey", mustKeyring(t, newKey), stored, false},
		{"Empty", mustKeyring(t, oldKey), nil, false},
		{"Garbage", mustKeyring(t, oldKey), []byte("not a check value at all!!!!!!!!"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.ring.VerifyCheckValue(tt.stored)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrKeyMismatch) {
				t.Fatalf("err = %v, want ErrKeyMismatch", err)
			}
			if !strings.Contains(err.Error(), "ENCRYPTION_KEY does not match the key this database was created with") {
				t.Fatalf("message unclear: %q", err)
			}
		})
	}
}

func TestCheckValue_NotAWrappedDEK(t *testing.T) {
	t.Parallel()
	// Domain separation: a wrapped DEK must not pass as a check value.
	k := mustKeyring(t, mustKey(t))
	_, wrapped, _ := mustDEK(t, k, "")
	if err := k.VerifyCheckValue(wrapped); err == nil {
		t.Fatal("a wrapped DEK verified as a check value")
	}
}
