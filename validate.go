package coffer

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// Limits on user input, checked before anything is stored.
const (
	MaxKeyLen         = 256
	MaxValueLen       = 64 << 10
	MaxCommentLen     = 1024
	MaxNameLen        = 100
	MaxEmailLen       = 254
	MinPasswordLen    = 12
	MaxPasswordLen    = 72 // bcrypt ignores bytes past 72
	MaxSecretsPerBulk = 1000
	MaxPageSize       = 200
	DefaultPageSize   = 50
)

// The patterns are compiled on first use, not at package initialisation:
// every process that links this package pays for its initialisers, the
// CLI's start-up included, and slugRE's {0,62} alone compiles to a program
// of 129 instructions (docs/benchmarks.md, `coffer run` overhead).
var (
	keyRE   = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
	slugRE  = lazyRegexp(`^[a-z0-9][a-z0-9-]{0,62}$`)
	emailRE = lazyRegexp(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// lazyRegexp compiles pattern once, when it is first needed.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}

// ValidateKey checks a secret key.
func ValidateKey(key string) error {
	if len(key) == 0 || len(key) > MaxKeyLen || !keyRE().MatchString(key) {
		return Errorf(EINVALID, "Secret key %q must match [A-Za-z_][A-Za-z0-9_.-]* and be at most %d bytes.", truncate(key, 40), MaxKeyLen)
	}
	return nil
}

// ValidateSecretInput checks a key, its value and its comment.
func ValidateSecretInput(in SecretInput) error {
	if err := ValidateKey(in.Key); err != nil {
		return err
	}
	if len(in.Value) > MaxValueLen {
		return Errorf(ETOOLARGE, "The value of %q is over %d bytes.", in.Key, MaxValueLen)
	}
	if !utf8.ValidString(in.Value) {
		return Errorf(EINVALID, "The value of %q is not valid UTF-8.", in.Key)
	}
	if len(in.Comment) > MaxCommentLen || !utf8.ValidString(in.Comment) {
		return Errorf(EINVALID, "The comment of %q must be valid UTF-8 of at most %d bytes.", in.Key, MaxCommentLen)
	}
	return nil
}

// ValidateSlug checks a project or environment slug.
func ValidateSlug(what, slug string) error {
	if !slugRE().MatchString(slug) {
		return Errorf(EINVALID, "The %s slug must be 1–63 lower-case letters, digits or dashes, starting with a letter or digit.", what)
	}
	return nil
}

// ValidateName checks a display name.
func ValidateName(what, name string) error {
	n := utf8.RuneCountInString(strings.TrimSpace(name))
	if n == 0 || n > MaxNameLen || !utf8.ValidString(name) {
		return Errorf(EINVALID, "The %s name must be 1–%d characters.", what, MaxNameLen)
	}
	return nil
}

// NormalizeEmail lower-cases and trims an email address and checks its shape.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if len(e) > MaxEmailLen || !utf8.ValidString(e) || !emailRE().MatchString(e) {
		return "", Errorf(EINVALID, "Enter a valid email address.")
	}
	return e, nil
}

// ValidatePassword checks a new password's length and refuses common ones.
func ValidatePassword(password string) error {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return Errorf(EINVALID, "The password must be %d–%d bytes long.", MinPasswordLen, MaxPasswordLen)
	}
	if IsCommonPassword(password) {
		return Errorf(EINVALID, "This password is too common; choose another.")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
