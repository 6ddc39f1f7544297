package httpx

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestProxyTrust(t *testing.T) {
	t.Parallel()
	p := NewProxyTrust([]netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("fd00::/8"),
		netip.MustParsePrefix("192.168.1.7/24"), // unmasked on purpose
	})
	tests := []struct {
		name   string
		remote string
		xff    []string
		proto  string
		tls    bool
		ip     string
		https  bool
	}{
		{"DirectClient", "203.0.113.9:5555", nil, "", false, "203.0.113.9", false},
		{"ForgedXFFFromUntrustedPeer", "203.0.113.9:5555", []string{"1.2.3.4"}, "https", false, "203.0.113.9", false},
		{"TLSFromUntrustedPeer", "203.0.113.9:5555", nil, "", true, "203.0.113.9", true},
		{"TrustedProxy", "10.0.0.2:80", []string{"198.51.100.1"}, "https", false, "198.51.100.1", true},
		{"TrustedProxyHTTP", "10.0.0.2:80", []string{"198.51.100.1"}, "http", false, "198.51.100.1", false},
		{"TrustedProxyNoXFF", "10.0.0.2:80", nil, "", false, "10.0.0.2", false},
		{"SpoofedLeftmostIgnored", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.1"}, "", false, "198.51.100.1", false},
		{"SeveralProxies", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.1, 10.1.1.1, 10.2.2.2"}, "", false, "198.51.100.1", false},
		{"SeveralHeaders", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.1", "10.1.1.1"}, "", false, "198.51.100.1", false},
		{"AllHopsTrusted", "10.0.0.2:80", []string{"10.9.9.9, 10.1.1.1"}, "", false, "10.9.9.9", false},
		{"MalformedRightmostIgnored", "10.0.0.2:80", []string{"198.51.100.1, not-an-ip"}, "", false, "10.0.0.2", false},
		{"MalformedBehindTrustedHop", "10.0.0.2:80", []string{"garbage, 10.1.1.1"}, "", false, "10.1.1.1", false},
		{"MalformedLeftOfClientIgnored", "10.0.0.2:80", []string{"garbage, 198.51.100.1"}, "", false, "198.51.100.1", false},
		{"XFFWithPort", "10.0.0.2:80", []string{"198.51.100.1:4711"}, "", false, "198.51.100.1", false},
		{"IPv6Client", "[fd00::1]:443", []string{"2001:db8::5"}, "HTTPS", false, "2001:db8::5", true},
		{"IPv6BracketedWithPort", "[fd00::1]:443", []string{"[2001:db8::5]:1234"}, "", false, "2001:db8::5", false},
		{"IPv6Direct", "[2001:db8::9]:443", []string{"1.2.3.4"}, "", false, "2001:db8::9", false},
		{"IPv4MappedPeerUnmapped", "[::ffff:10.0.0.2]:80", []string{"198.51.100.1"}, "", false, "198.51.100.1", false},
		{"ProtoLastValueWins", "10.0.0.2:80", nil, "https, http", false, "10.0.0.2", false},
		{"MaskedPrefix", "192.168.1.200:80", []string{"198.51.100.1"}, "", false, "198.51.100.1", false},
		{"UnparsableRemote", "pipe", []string{"1.2.3.4"}, "", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var info Info
			h := p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				info = *InfoFrom(r.Context())
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if info.ClientIP != tt.ip || info.HTTPS != tt.https {
				t.Fatalf("ClientIP %q HTTPS %v, want %q %v", info.ClientIP, info.HTTPS, tt.ip, tt.https)
			}
		})
	}
}

func TestProxyTrustWithNoPrefixesIgnoresHeaders(t *testing.T) {
	t.Parallel()
	var ip string
	h := NewProxyTrust(nil).Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip = InfoFrom(r.Context()).ClientIP
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if ip != "127.0.0.1" {
		t.Fatalf("ip = %q", ip)
	}
}
