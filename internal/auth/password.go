package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// DefaultCost is the bcrypt cost of password hashes in production: about a
// quarter of a second per hash on a current server core, which makes
// offline guessing expensive and online login still quick.
const DefaultCost = 12

// Hasher hashes and checks passwords with bcrypt. The zero value uses
// DefaultCost. Tests of other packages may use bcrypt.MinCost to stay fast;
// production never does (configuration refuses it).
type Hasher struct {
	Cost int
}

func (h Hasher) cost() int {
	if h.Cost == 0 {
		return DefaultCost
	}
	return h.Cost
}

// Hash returns the bcrypt hash of password. Passwords over 72 bytes are
// refused rather than silently truncated.
func (h Hasher) Hash(password string) ([]byte, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), h.cost())
	if err != nil {
		return nil, fmt.Errorf("auth: hash password: %w", err)
	}
	return hash, nil
}

// Compare reports whether password matches hash. Its time depends on the
// cost recorded in hash, not on h.Cost.
func (h Hasher) Compare(hash []byte, password string) bool {
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// CompareDummy does the work of Compare against a hash of h's cost and
// throws the result away. Login calls it for unknown emails so that they
// cost the same time as known ones and response times do not reveal which
// accounts exist.
func (h Hasher) CompareDummy(password string) {
	_ = bcrypt.CompareHashAndPassword(dummyHash(h.cost()), []byte(password))
}

// dummyHashes holds one hash per bcrypt cost, made on first use: computing
// one costs as much as a login, so it is done once per process, not per
// call. It is a cache of constants, not configuration, hence package level.
var dummyHashes = func() (f [bcrypt.MaxCost + 1]func() []byte) {
	for c := range f {
		f[c] = sync.OnceValue(func() []byte { return makeDummyHash(c) })
	}
	return f
}()

func dummyHash(cost int) []byte {
	cost = max(bcrypt.MinCost, min(cost, bcrypt.MaxCost))
	return dummyHashes[cost]()
}

func makeDummyHash(cost int) []byte {
	hash, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		// Unreachable: cost is clamped and the password is short.
		panic(errors.Join(errors.New("auth: dummy hash"), err))
	}
	return hash
}
