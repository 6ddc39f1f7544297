package barrier

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrUnknownKEK is returned (wrapped, with the id) when a wrapped DEK names a
// KEK that is not in the keyring: the operator removed a previous key from
// ENCRYPTION_KEY_PREVIOUS before every DEK was re-wrapped.
var ErrUnknownKEK = errors.New("barrier: unknown key-encryption key id")

// ErrKeyMismatch is returned by VerifyCheckValue when no key in the ring
// made the stored check value. The message is written for the operator who
// reads it at start-up.
var ErrKeyMismatch = errors.New("ENCRYPTION_KEY does not match the key this database was created with " +
	"(set ENCRYPTION_KEY to the original key, or list it in ENCRYPTION_KEY_PREVIOUS while rotating)")

// checkPlaintext is what the check value seals. Its content does not matter;
// the authentication tag is what proves the key.
var checkPlaintext = []byte("coffer key check")

type kek struct {
	id   string
	aead cipher.AEAD
}

// Keyring holds the current KEK, which wraps every new or re-wrapped DEK,
// and the previous KEKs, which only unwrap, during a rotation. It is
// immutable and safe for concurrent use.
type Keyring struct {
	current *kek
	byID    map[string]*kek
}

// NewKeyring takes the current 32-byte KEK and any previous ones. A previous
// key equal to the current one is ignored, so an operator who has not yet
// changed ENCRYPTION_KEY_PREVIOUS after a rotation is not refused.
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	cur, err := newKEK(current)
	if err != nil {
		return nil, fmt.Errorf("current key: %w", err)
	}
	k := &Keyring{current: cur, byID: map[string]*kek{cur.id: cur}}
	for i, p := range previous {
		pk, err := newKEK(p)
		if err != nil {
			return nil, fmt.Errorf("previous key %d: %w", i+1, err)
		}
		if _, dup := k.byID[pk.id]; !dup {
			k.byID[pk.id] = pk
		}
	}
	return k, nil
}

func newKEK(key []byte) (*kek, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &kek{id: KeyID(key), aead: aead}, nil
}

// KeyID returns the public id of a KEK: 16 hex characters of
// HMAC-SHA256(key, "coffer kek id"). It is one-way, so storing it next to
// a wrapped DEK reveals nothing about the key.
func KeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("coffer kek id"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// CurrentID returns the id of the current KEK.
func (k *Keyring) CurrentID() string { return k.current.id }

func dekAD(projectID, kekID string) []byte {
	return newAD("coffer/dek/v1").str(projectID).str(kekID)
}

// NewDEK makes a random 256-bit data key for a project and returns it with
// its wrapped form and the id of the KEK that wrapped it; the caller stores
// both. The wrap is bound to projectID and the KEK id.
func (k *Keyring) NewDEK(projectID string) (dek *DEK, wrapped []byte, kekID string, err error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, nil, "", fmt.Errorf("new data key: %w", err)
	}
	defer clear(raw)
	if dek, err = newDEK(raw); err != nil {
		return nil, nil, "", err
	}
	if wrapped, err = seal(k.current.aead, raw, dekAD(projectID, k.current.id)); err != nil {
		return nil, nil, "", fmt.Errorf("wrap data key: %w", err)
	}
	return dek, wrapped, k.current.id, nil
}

// UnwrapDEK opens a wrapped DEK of projectID with the KEK named by kekID,
// which may be the current or a previous key. It returns an error wrapping
// ErrUnknownKEK if no such KEK is in the ring and ErrDecrypt if the bytes do
// not open.
func (k *Keyring) UnwrapDEK(projectID string, wrapped []byte, kekID string) (*DEK, error) {
	raw, err := k.unwrap(projectID, wrapped, kekID)
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	return newDEK(raw)
}

func (k *Keyring) unwrap(projectID string, wrapped []byte, kekID string) ([]byte, error) {
	kk, ok := k.byID[kekID]
	if !ok {
		return nil, fmt.Errorf("unwrap data key of project %q: %w %q", projectID, ErrUnknownKEK, kekID)
	}
	raw, err := open(kk.aead, wrapped, dekAD(projectID, kekID))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key of project %q: %w", projectID, err)
	}
	if len(raw) != KeySize {
		return nil, fmt.Errorf("unwrap data key of project %q: %w", projectID, ErrDecrypt)
	}
	return raw, nil
}

// Rewrap re-wraps a DEK under the current KEK, for KEK rotation. It returns
// changed=false, and the input unchanged, if the DEK is already wrapped by
// the current KEK; it still checks that the input opens, so a rotation never
// vouches for a corrupt row.
func (k *Keyring) Rewrap(projectID string, wrapped []byte, kekID string) (newWrapped []byte, newKEKID string, changed bool, err error) {
	raw, err := k.unwrap(projectID, wrapped, kekID)
	if err != nil {
		return nil, "", false, err
	}
	defer clear(raw)
	if kekID == k.current.id {
		return wrapped, kekID, false, nil
	}
	out, err := seal(k.current.aead, raw, dekAD(projectID, k.current.id))
	if err != nil {
		return nil, "", false, fmt.Errorf("rewrap data key of project %q: %w", projectID, err)
	}
	return out, k.current.id, true, nil
}

// CheckValue returns a key check value made with the current KEK, to be
// stored in the database at first start so that a later start with a
// different ENCRYPTION_KEY is refused at once rather than failing on every
// read. After a rotation completes, store a fresh one: a check value made by
// a key that has left the ring no longer verifies.
func (k *Keyring) CheckValue() ([]byte, error) {
	out, err := seal(k.current.aead, checkPlaintext, newAD("coffer/check/v1"))
	if err != nil {
		return nil, fmt.Errorf("key check value: %w", err)
	}
	return out, nil
}

// VerifyCheckValue reports whether any key in the ring, current or previous,
// made stored. It returns ErrKeyMismatch otherwise.
func (k *Keyring) VerifyCheckValue(stored []byte) error {
	ad := newAD("coffer/check/v1")
	for _, kk := range k.byID {
		if pt, err := open(kk.aead, stored, ad); err == nil && hmac.Equal(pt, checkPlaintext) {
			return nil
		}
	}
	return ErrKeyMismatch
}
