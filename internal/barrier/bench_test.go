package barrier

import (
	"fmt"
	"testing"
)

var benchSizes = []int{64, 4 << 10}

func BenchmarkSeal(b *testing.B) {
	d, _, _ := mustDEK(b, mustKeyring(b, mustKey(b)), "p1")
	for _, n := range benchSizes {
		pt := make([]byte, n)
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Seal(pt, testAD); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	d, _, _ := mustDEK(b, mustKeyring(b, mustKey(b)), "p1")
	for _, n := range benchSizes {
		sealed, err := d.Seal(make([]byte, n), testAD)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Open(sealed, testAD); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUnwrapDEK(b *testing.B) {
	k := mustKeyring(b, mustKey(b))
	_, wrapped, id := mustDEK(b, k, "p1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.UnwrapDEK("p1", wrapped, id); err != nil {
			b.Fatal(err)
		}
	}
}
