package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestCLIChildEnvSecretsOverrideInherited(t *testing.T) {
	t.Parallel()
	got := childEnv([]string{"PATH=/bin", "API_KEY=inherited", "HOME=/root"}, map[string]string{"API_KEY": "v1", "DB": "x=y"})
	want := []string{"PATH=/bin", "HOME=/root", "API_KEY=v1", "DB=x=y"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestCLIBundleCacheOnlyOpensWithItsToken(t *testing.T) {
	t.Parallel()
	c := &bundleCache{dir: t.TempDir()}
	b := &cachedBundle{Addr: "https://c.example", Project: "shop", Environment: "dev", Revision: 3,
		FetchedAt: time.Now().UTC(), Secrets: map[string]string{"K": "secret-value"}}
	noErr(t, c.save("token-a", b))

	name := c.path(bundleID(b.Addr, b.Project, b.Environment))
	if m := fileMode(t, name); m != 0o600 {
		t.Fatalf("mode %04o", m)
	}
	raw, err := os.ReadFile(name)
	noErr(t, err)
	if bytes.Contains(raw, []byte("secret-value")) || bytes.Contains(raw, []byte("shop")) {
		t.Fatal("the copy is not sealed")
	}

	got, err := c.load("token-a", b.Addr, "shop", "dev")
	noErr(t, err)
	if got.Secrets["K"] != "secret-value" || got.Revision != 3 {
		t.Fatalf("round trip: %+v", got)
	}
	if _, err := c.load("token-b", b.Addr, "shop", "dev"); !errors.Is(err, errCacheSealed) {
		t.Fatalf("other token: %v", err)
	}
	if _, err := c.load("token-a", b.Addr, "shop", "prod"); !errors.Is(err, errNoCache) {
		t.Fatalf("other environment: %v", err)
	}
	// A copy moved to another environment's name does not open there.
	other := c.path(bundleID(b.Addr, "shop", "prod"))
	noErr(t, os.WriteFile(other, raw, 0o600))
	if _, err := c.load("token-a", b.Addr, "shop", "prod"); !errors.Is(err, errCacheSealed) {
		t.Fatalf("moved copy: %v", err)
	}
	raw[len(raw)-1] ^= 1
	noErr(t, os.WriteFile(name, raw, 0o600))
	if _, err := c.load("token-a", b.Addr, "shop", "dev"); !errors.Is(err, errCacheSealed) {
		t.Fatalf("tampered copy: %v", err)
	}

	// Rotation re-seals; logout removes.
	noErr(t, c.save("token-a", b))
	c.rekey("token-a", "token-c")
	if _, err := c.load("token-c", b.Addr, "shop", "dev"); err != nil {
		t.Fatalf("after rekey: %v", err)
	}
	c.removeAll("token-c")
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Fatalf("removeAll left %s", filepath.Base(name))
	}
}

func TestCLIParseImport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file, format, in string
		want                   map[string]string
		wantErr                bool
	}{
		{name: "DotenvQuoted", file: ".env", format: "auto", in: "A=1\nB=\"two words\"\n# comment\nexport C=3\n",
			want: map[string]string{"A": "1", "B": "two words", "C": "3"}},
		{name: "JSONByExtension", file: "x.json", format: "auto", in: `{"A":"1","PORT":8080,"DEBUG":false}`,
			want: map[string]string{"A": "1", "PORT": "8080", "DEBUG": "false"}},
		{name: "JSONByContent", file: "-", format: "auto", in: ` {"A":"x"}`, want: map[string]string{"A": "x"}},
		{name: "JSONNestedRefused", file: "-", format: "json", in: `{"A":{"b":1}}`, wantErr: true},
		{name: "UnknownFormat", file: "-", format: "toml", in: ``, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseImport([]byte(tc.in), tc.file, tc.format)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %v", got)
				}
				return
			}
			noErr(t, err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("%s: got %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
