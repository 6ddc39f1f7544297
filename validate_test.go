package coffer_test

import (
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
)

func TestValidateKey(t *testing.T) {
	t.Parallel()
	for key, ok := range map[string]bool{
		"DB_URL": true, "_x": true, "a.b-c_d9": true, strings.Repeat("K", 256): true,
		"": false, "9LIVES": false, "has space": false, "semi;colon": false, "ключ": false,
		strings.Repeat("K", 257): false, "-dash": false,
	} {
		if err := coffer.ValidateKey(key); (err == nil) != ok {
			t.Errorf("ValidateKey(%.20q) = %v, want ok=%v", key, err, ok)
		}
	}
}

func TestValidateSecretInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   coffer.SecretInput
		code string
	}{
		{"OK", coffer.SecretInput{Key: "K", Value: "v", Comment: "c"}, ""},
		{"EmptyValueOK", coffer.SecretInput{Key: "K"}, ""},
		{"MaxValueOK", coffer.SecretInput{Key: "K", Value: strings.Repeat("v", coffer.MaxValueLen)}, ""},
		{"ValueTooLarge", coffer.SecretInput{Key: "K", Value: strings.Repeat("v", coffer.MaxValueLen+1)}, coffer.ETOOLARGE},
		{"ValueNotUTF8", coffer.SecretInput{Key: "K", Value: "\xff"}, coffer.EINVALID},
		{"CommentTooLong", coffer.SecretInput{Key: "K", Comment: strings.Repeat("c", coffer.MaxCommentLen+1)}, coffer.EINVALID},
		{"BadKey", coffer.SecretInput{Key: "1"}, coffer.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := coffer.ErrorCode(coffer.ValidateSecretInput(tt.in)); got != tt.code {
				t.Fatalf("code %q, want %q", got, tt.code)
			}
		})
	}
}

func TestValidateSlugNameEmail(t *testing.T) {
	t.Parallel()
	if coffer.ValidateSlug("project", "shop-1") != nil || coffer.ValidateSlug("project", "Shop") == nil ||
		coffer.ValidateSlug("project", "-shop") == nil || coffer.ValidateSlug("project", strings.Repeat("a", 64)) == nil {
		t.Error("slug rules")
	}
	if coffer.ValidateName("user", "Ann") != nil || coffer.ValidateName("user", "   ") == nil ||
		coffer.ValidateName("user", strings.Repeat("é", 101)) == nil {
		t.Error("name rules")
	}
	if e, err := coffer.NormalizeEmail("  Ann@Example.COM "); err != nil || e != "ann@example.com" {
		t.Errorf("NormalizeEmail = %q, %v", e, err)
	}
	for _, bad := range []string{"", "ann", "ann@", "@x.y", "a b@c.d", strings.Repeat("a", 250) + "@x.io"} {
		if _, err := coffer.NormalizeEmail(bad); err == nil {
			t.Errorf("NormalizeEmail(%q) accepted", bad)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, password string
		ok             bool
	}{
		{"Strong", "vivid-otter-copper-lantern", true},
		{"TooShort", "short-pass", false},
		{"TooLong", strings.Repeat("x", 73), false},
		{"Common", "password1234", false},
		{"CommonAnyCase", "PassWord1234", false},
		{"KeyboardWalk", "qwertyuiop123", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := coffer.ValidatePassword(tt.password); (err == nil) != tt.ok {
				t.Fatalf("ValidatePassword(%q) = %v", tt.password, err)
			}
		})
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	t.Parallel()
	if coffer.ErrorCode(nil) != "" || coffer.ErrorMessage(nil) != "" {
		t.Error("nil error has no code or message")
	}
	err := coffer.Errorf(coffer.ENOTFOUND, "Project %q not found.", "shop")
	if coffer.ErrorCode(err) != coffer.ENOTFOUND || coffer.ErrorMessage(err) != `Project "shop" not found.` {
		t.Errorf("domain error: %v", err)
	}
	internal := strings.NewReader("").UnreadByte() // any non-domain error
	if coffer.ErrorCode(internal) != coffer.EINTERNAL || strings.Contains(coffer.ErrorMessage(internal), "UnreadByte") {
		t.Errorf("internal error leaks: %q", coffer.ErrorMessage(internal))
	}
}
