package barrier

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

// KeySize is the size in bytes of every key the barrier uses: KEKs and DEKs
// are AES-256 keys.
const KeySize = 32

// formatGCMv1 is the first byte of every sealed value. It makes the format
// self-describing so a later cipher or layout can be introduced without
// guessing what old rows hold.
const formatGCMv1 = 0x01

const (
	nonceSize = 12 // the standard GCM nonce; random, so ≤ 2^32 seals per key
	tagSize   = 16
	overhead  = 1 + nonceSize + tagSize
)

// ErrDecrypt is returned (wrapped) when a sealed value cannot be opened:
// wrong key, tampered bytes, a ciphertext moved to another row, or bytes
// that are not a sealed value at all. It deliberately says nothing about
// which, so that the failure cannot be used as an oracle.
var ErrDecrypt = errors.New("barrier: message authentication failed")

// newAEAD returns AES-256-GCM for a 32-byte key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("barrier: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("barrier: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal returns format byte ‖ random nonce ‖ ciphertext+tag.
func seal(aead cipher.AEAD, plaintext, ad []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, overhead+len(plaintext))
	out[0] = formatGCMv1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("barrier: read nonce: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, ad), nil
}

// open reverses seal. Every failure is ErrDecrypt.
func open(aead cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	return appendOpen(aead, nil, sealed, ad)
}

// appendOpen is open that appends the plaintext to dst.
func appendOpen(aead cipher.AEAD, dst, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < overhead || sealed[0] != formatGCMv1 {
		return nil, ErrDecrypt
	}
	nonce, ct := sealed[1:1+nonceSize], sealed[1+nonceSize:]
	pt, err := aead.Open(dst, nonce, ct, ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	if pt == nil {
		pt = []byte{} // an empty secret is a value, not an absence
	}
	return pt, nil
}

// adBuilder encodes associated data as a domain label followed by
// length-prefixed fields, so that ("ab","c") and ("a","bc") never encode
// alike and a value sealed for one purpose never opens for another.
type adBuilder []byte

func newAD(domain string) adBuilder {
	return adBuilder(nil).str(domain)
}

func (b adBuilder) str(s string) adBuilder {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func (b adBuilder) int(n int) adBuilder {
	return binary.BigEndian.AppendUint64(b, uint64(int64(n)))
}
