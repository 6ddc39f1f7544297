package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// Prefixes of Coffer's opaque tokens. The prefix tells a reader (and secret
// scanners) what a leaked token is, and tells the server which table to look
// it up in.
const (
	PrefixPersonal = "cof_pat_"
	PrefixService  = "cof_svc_"
	PrefixRefresh  = "cof_rt_"
)

// tokenBytes of randomness: 256 bits, far past guessing.
const tokenBytes = 32

// NewToken returns a fresh opaque token, prefix followed by 32 random bytes
// in unpadded base64url, and the hash to store in place of it. The plain
// token is shown once and never stored.
func NewToken(prefix string) (plain string, hash []byte) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain)
}

// HashToken returns the SHA-256 of a plain token, the form in which tokens
// are stored and looked up. A fast hash is right here: a token carries 256
// random bits, so unlike a password it cannot be guessed from its hash.
func HashToken(plain string) []byte {
	h := sha256.Sum256([]byte(plain))
	return h[:]
}

// EqualHash compares two token hashes in constant time, for the cases where
// a hash is compared in memory rather than looked up by an index.
func EqualHash(a, b []byte) bool {
	return len(a) == sha256.Size && subtle.ConstantTimeCompare(a, b) == 1
}
