package backup

import (
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
)

// MinPassphraseLen is the shortest backup passphrase accepted. age
// stretches it with scrypt, but a short one is still guessable offline by
// anyone who holds an archive.
const MinPassphraseLen = 16

// Key is the operator's backup key: what encrypts new archives and opens
// existing ones.
type Key struct {
	Recipients []age.Recipient
	Identities []age.Identity
}

// ParseKey reads a backup key: an age identity file (lines of
// AGE-SECRET-KEY-…, as `coffer backup keygen` or age-keygen print them,
// comments allowed), or else a passphrase of at least MinPassphraseLen
// characters. Errors never quote the key.
func ParseKey(text string) (*Key, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, errors.New("the backup key is empty")
	}
	if strings.Contains(text, "AGE-SECRET-KEY-") {
		ids, err := age.ParseIdentities(strings.NewReader(text))
		if err != nil {
			return nil, errors.New("the backup key looks like an age identity but does not parse")
		}
		k := &Key{Identities: ids}
		for _, id := range ids {
			switch id := id.(type) {
			case *age.HybridIdentity:
				k.Recipients = append(k.Recipients, id.Recipient())
			case *age.X25519Identity:
				k.Recipients = append(k.Recipients, id.Recipient())
			}
		}
		return k, nil
	}
	if strings.ContainsAny(text, "\n\r") {
		return nil, errors.New("the backup key has several lines but is not an age identity file")
	}
	if len(text) < MinPassphraseLen {
		return nil, fmt.Errorf("the backup passphrase is shorter than %d characters", MinPassphraseLen)
	}
	r, err := age.NewScryptRecipient(text)
	if err != nil {
		return nil, fmt.Errorf("backup passphrase: %w", err)
	}
	id, err := age.NewScryptIdentity(text)
	if err != nil {
		return nil, fmt.Errorf("backup passphrase: %w", err)
	}
	return &Key{Recipients: []age.Recipient{r}, Identities: []age.Identity{id}}, nil
}

// ParseRecipients reads public keys (age1…, age1pq1…), one per line, so
// that a machine that only takes backups never holds the key that opens
// them.
func ParseRecipients(text string) ([]age.Recipient, error) {
	rs, err := age.ParseRecipients(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("backup recipient: %w", err)
	}
	return rs, nil
}

// GenerateKey returns a new post-quantum hybrid age identity, as the text
// of an identity file, and its public key. Archives may be kept for years,
// so they are encrypted against a future quantum computer too.
func GenerateKey() (identityFile, recipient string, err error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return "", "", fmt.Errorf("generate backup key: %w", err)
	}
	pub := id.Recipient().String()
	return "# Coffer backup key: keep it apart from the backups and from ENCRYPTION_KEY.\n" +
		"# public key: " + pub + "\n" + id.String() + "\n", pub, nil
}
