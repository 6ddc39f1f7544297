package barrier

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

func mustKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func mustKeyring(t testing.TB, current []byte, previous ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(current, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustDEK(t testing.TB, k *Keyring, projectID string) (*DEK, []byte, string) {
	t.Helper()
	d, w, id, err := k.NewDEK(projectID)
	if err != nil {
		t.Fatal(err)
	}
	return d, w, id
}

var testAD = AD{ProjectID: "p1", EnvironmentID: "e1", Key: "DB_URL", Version: 3}

func TestSealOpen_RoundTrip(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, mustKey(t))
	d, _, _ := mustDEK(t, k, "p1")
	for _, tt := range []struct {
		name string
		in   []byte
	}{
		{"Empty", []byte{}},
		{"Nil", nil},
		{"Short", []byte("postgres://u:p@h/db")},
		{"64KiB", bytes.Repeat([]byte{0xAB}, 64<<10)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sealed, err := d.Seal(tt.in, testAD)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != overhead+len(tt.in) || sealed[0] != formatGCMv1 {
				t.Fatalf("sealed len %d, format %#x", len(sealed), sealed[0])
			}
			if len(tt.in) > 0 && bytes.Contains(sealed, tt.in) {
				t.Fatal("plaintext visible in sealed value")
			}
			got, err := d.Open(sealed, testAD)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(tt.in) {
				t.Fatalf("got %q, want %q", got, tt.in)
			}
		})
	}
}

// AppendOpen puts the plaintext after what dst holds, in dst's own array
// when it has room, and refuses a wrong AD as Open does.
func TestAppendOpen(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, mustKey(t))
	d, _, _ := mustDEK(t, k, "p1")
	sealed, err := d.Seal([]byte("value"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]byte, 0, 64)
	dst = append(dst, "head:"...)
	got, err := d.AppendOpen(dst, sealed, testAD)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "head:value" || &got[0] != &dst[0] {
		t.Errorf("AppendOpen = %q in a new array (%t), want head:value in dst's", got, &got[0] != &dst[0])
	}
	if got, err = d.AppendOpen([]byte("x"), sealed, testAD); err != nil || string(got) != "xvalue" {
		t.Errorf("into a full slice: %q, %v", got, err)
	}
	other := testAD
	other.Version++
	if _, err := d.AppendOpen(dst, sealed, other); !errors.Is(err, ErrDecrypt) {
		t.Errorf("wrong AD: %v, want ErrDecrypt", err)
	}
}

func TestSeal_RandomNonce(t *testing.T) {
	t.Parallel()
	d, _, _ := mustDEK(t, mustKeyring(t, mustKey(t)), "p1")
	a, _ := d.Seal([]byte("same"), testAD)
	b, _ := d.Seal([]byte("same"), testAD)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are identical")
	}
}

func TestOpen_EveryFlippedBitFails(t *testing.T) {
	t.Parallel()
	d, _, _ := mustDEK(t, mustKeyring(t, mustKey(t)), "p1")
	sealed, err := d.Seal([]byte("the value"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(sealed) * 8 {
		bad := bytes.Clone(sealed)
		bad[i/8] ^= 1 << (i % 8)
		if _, err := d.Open(bad, testAD); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("bit %d flipped: err = %v, want ErrDecrypt", i, err)
		}
	}
}

func TestOpen_Malformed(t *testing.T) {
	t.Parallel()
	d, _, _ := mustDEK(t, mustKeyring(t, mustKey(t)), "p1")
	sealed, _ := d.Seal([]byte("v"), testAD)
	for _, tt := range []struct {
		name string
		in   []byte
	}{
		{"Nil", nil},
		{"FormatOnly", []byte{formatGCMv1}},
		{"Truncated", sealed[:len(sealed)-1]},
		{"TooShortForTag", sealed[:overhead-1]},
		{"Extended", append(bytes.Clone(sealed), 0)},
		{"UnknownFormat", append([]byte{0x02}, sealed[1:]...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := d.Open(tt.in, testAD); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("err = %v, want ErrDecrypt", err)
			}
		})
	}
}

func TestOpen_MovedCiphertextFails(t *testing.T) {
	t.Parallel()
	d, _, _ := mustDEK(t, mustKeyring(t, mustKey(t)), "p1")
	sealed, err := d.Seal([]byte("value"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		ad   AD
	}{
		{"OtherProject", AD{"p2", "e1", "DB_URL", 3}},
		{"OtherEnvironment", AD{"p1", "e2", "DB_URL", 3}},
		{"OtherKey", AD{"p1", "e1", "DB_URL2", 3}},
		{"OtherVersion", AD{"p1", "e1", "DB_URL", 4}},
		{"NegativeVersion", AD{"p1", "e1", "DB_URL", -3}},
		{"ShiftedBoundary", AD{"p1e", "1", "DB_URL", 3}},
		{"Zero", AD{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := d.Open(sealed, tt.ad); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("err = %v, want ErrDecrypt", err)
			}
		})
	}
}

func TestAD_EncodingUnambiguous(t *testing.T) {
	t.Parallel()
	pairs := [][2]AD{
		{{"ab", "c", "k", 1}, {"a", "bc", "k", 1}},
		{{"a", "", "bk", 1}, {"a", "b", "k", 1}},
		{{"", "", "", 0}, {"", "", "", 1}},
		{{"p", "e", "k\x00", 0}, {"p", "e", "k", 0}},
	}
	for _, p := range pairs {
		if bytes.Equal(p[0].encode(), p[1].encode()) {
			t.Errorf("%+v and %+v encode alike", p[0], p[1])
		}
	}
}

func TestOpen_OtherDEKFails(t *testing.T) {
	t.Parallel()
	k := mustKeyring(t, mustKey(t))
	d1, _, _ := mustDEK(t, k, "p1")
	d2, _, _ := mustDEK(t, k, "p1")
	sealed, _ := d1.Seal([]byte("v"), testAD)
	if _, err := d2.Open(sealed, testAD); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("err = %v, want ErrDecrypt", err)
	}
}

func TestOpen_ErrorCarriesNoDetail(t *testing.T) {
	t.Parallel()
	d, _, _ := mustDEK(t, mustKeyring(t, mustKey(t)), "p1")
	sealed, _ := d.Seal([]byte("canary-value"), testAD)
	_, e1 := d.Open(sealed, AD{ProjectID: "p2"})
	_, e2 := d.Open([]byte("junk"), testAD)
	if e1.Error() != e2.Error() {
		t.Fatalf("failures are distinguishable: %q vs %q", e1, e2)
	}
	if strings.Contains(e1.Error(), "canary") {
		t.Fatal("error leaks plaintext")
	}
}
