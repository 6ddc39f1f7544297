package barrier

import (
	"crypto/cipher"
	"fmt"
	"slices"
	"sync"
)

// AD names the row a secret value belongs to. It is authenticated, not
// encrypted: opening with any other AD fails, which is what stops a
// ciphertext from being copied to another project, environment, key or
// version.
type AD struct {
	ProjectID     string
	EnvironmentID string
	Key           string
	Version       int
}

const secretDomain = "coffer/secret/v1"

func (a AD) encode() []byte {
	size := 4*4 + len(secretDomain) + len(a.ProjectID) + len(a.EnvironmentID) + len(a.Key) + 8
	return a.append(make([]byte, 0, size))
}

func (a AD) append(b []byte) []byte {
	return adBuilder(b).str(secretDomain).str(a.ProjectID).str(a.EnvironmentID).str(a.Key).int(a.Version)
}

// DEK is an unwrapped project data-encryption key. It holds only the cipher,
// never exposes the key bytes, and is safe for concurrent use.
type DEK struct {
	aead cipher.AEAD
}

func newDEK(key []byte) (*DEK, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &DEK{aead: aead}, nil
}

// Seal encrypts plaintext for the row named by ad. The result is
// self-describing: format byte, 12-byte random nonce, ciphertext and tag.
func (d *DEK) Seal(plaintext []byte, ad AD) ([]byte, error) {
	out, err := seal(d.aead, plaintext, ad.encode())
	if err != nil {
		return nil, fmt.Errorf("seal secret value: %w", err)
	}
	return out, nil
}

// scratch holds the associated data and plaintext of one Open: a bulk
// read opens a value per secret.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// Open decrypts a value sealed by Seal for the same row. Any tampering, a
// wrong key or a different ad returns an error wrapping ErrDecrypt, with no
// detail of which. Values are text: the associated data and the plaintext
// go through a scratch buffer, wiped after use, so the string is the only
// allocation.
func (d *DEK) Open(sealed []byte, ad AD) (string, error) {
	bp := scratch.Get().(*[]byte)
	defer scratch.Put(bp)
	pt, err := d.AppendOpen((*bp)[:0], sealed, ad)
	if err != nil {
		return "", err
	}
	value := string(pt)
	clear(pt)
	*bp = pt[:0]
	return value, nil
}

// AppendOpen is Open appending the plaintext to dst, for a caller that
// keeps values in a buffer it wipes itself. When dst has room for
// len(sealed) more bytes the plaintext lands in dst's own array; otherwise
// dst is grown first, and its old array, left to the collector, holds only
// what dst held before.
func (d *DEK) AppendOpen(dst, sealed []byte, ad AD) ([]byte, error) {
	dst = slices.Grow(dst, len(sealed))
	ap := scratch.Get().(*[]byte)
	buf := ad.append((*ap)[:0])
	pt, err := appendOpen(d.aead, dst[len(dst):], sealed, buf)
	*ap = buf[:0]
	scratch.Put(ap)
	if err != nil {
		return nil, fmt.Errorf("open secret value: %w", err)
	}
	return dst[:len(dst)+len(pt)], nil
}
