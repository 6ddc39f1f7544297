package barrier

import (
	"bytes"
	"testing"
)

// FuzzOpen feeds arbitrary bytes and associated data to Open: it must never
// panic, and must never accept anything but an untouched seal for the same AD.
func FuzzOpen(f *testing.F) {
	key := bytes.Repeat([]byte{7}, KeySize)
	ring, err := NewKeyring(key)
	if err != nil {
		f.Fatal(err)
	}
	d, _, _, err := ring.NewDEK("p")
	if err != nil {
		f.Fatal(err)
	}
	valid, _ := d.Seal([]byte("hello"), testAD)
	f.Add(valid, testAD.ProjectID, testAD.EnvironmentID, testAD.Key, testAD.Version)
	f.Add([]byte{}, "", "", "", 0)
	f.Add([]byte{formatGCMv1}, "p", "e", "k", -1)
	f.Add(bytes.Repeat([]byte{formatGCMv1}, overhead), "p", "e", "k", 1<<40)
	f.Fuzz(func(t *testing.T, sealed []byte, project, env, k string, version int) {
		ad := AD{project, env, k, version}
		pt, err := d.Open(sealed, ad)
		if err == nil && (ad != testAD || !bytes.Equal(sealed, valid) || string(pt) != "hello") {
			t.Fatalf("Open accepted forged input %x for %+v", sealed, ad)
		}
		// The keyring paths take the same untrusted bytes from storage.
		_, _ = ring.UnwrapDEK(project, sealed, env)
		_ = ring.VerifyCheckValue(sealed)
	})
}
