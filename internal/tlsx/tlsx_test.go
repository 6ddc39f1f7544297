package tlsx

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCert writes a fresh self-signed certificate for 127.0.0.1 named cn
// and returns the file paths.
func writeCert(t *testing.T, dir, cn string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: nil, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// Written to temporary names and renamed, as certbot does, so that the
	// watcher never sees half a pair.
	for name, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(name+".tmp", pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(name+".tmp", name); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// serverCN returns the common name of the certificate srv presents.
func serverCN(t *testing.T, addr string) (string, *http.Response) {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true} //nolint:gosec // a test's self-signed certificate
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.TLS.PeerCertificates[0].Subject.CommonName, resp
}

func TestServesHTTP2AndReloads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir, "first")
	r, err := NewReloader(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, r)
	cn, resp := serverCN(t, addr)
	if cn != "first" || resp.ProtoMajor != 2 || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("cn %q proto %s tls %x", cn, resp.Proto, resp.TLS.Version)
	}

	signals := make(chan os.Signal, 1)
	ctx := t.Context()
	go r.Watch(ctx, 20*time.Millisecond, signals)

	t.Run("FileChange", func(t *testing.T) {
		// A later mtime than the first pair's, whatever the file system's
		// time resolution.
		writeCert(t, dir, "second")
		later := time.Now().Add(time.Minute)
		_ = os.Chtimes(certFile, later, later)
		waitFor(t, func() bool { cn, _ := serverCN(t, addr); return cn == "second" })
	})
	t.Run("Signal", func(t *testing.T) {
		writeCert(t, dir, "third")
		same := time.Now().Add(time.Minute) // unchanged mtime: only the signal reloads
		_ = os.Chtimes(certFile, same, same)
		_ = os.Chtimes(keyFile, same, same)
		signals <- os.Interrupt
		waitFor(t, func() bool { cn, _ := serverCN(t, addr); return cn == "third" })
	})
	t.Run("BrokenPairKeepsCurrent", func(t *testing.T) {
		if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := r.Reload(); err == nil {
			t.Fatal("a broken certificate loaded")
		}
		if cn, _ := serverCN(t, addr); cn != "third" {
			t.Fatalf("serving %q after a failed reload", cn)
		}
	})
}

func TestRefusesOldTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile := writeCert(t, t.TempDir(), "x")
	r, err := NewReloader(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", serveTLS(t, r), &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}) //nolint:gosec // testing the refusal
	if err == nil {
		conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}

func TestNewReloaderMissingFile(t *testing.T) {
	t.Parallel()
	if _, err := NewReloader("/nonexistent/cert.pem", "/nonexistent/key.pem", nil); err == nil {
		t.Fatal("no error")
	}
}

// serveTLS serves HTTPS with r's configuration as Coffer does (not
// httptest's StartTLS, which adds a certificate of its own) and returns the
// address.
func serveTLS(t *testing.T, r *Reloader) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), TLSConfig: Config(r),
		ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRedirect(t *testing.T) {
	t.Parallel()
	canonical, _ := url.Parse("https://coffer.example.com")
	tests := []struct {
		name      string
		canonical *url.URL
		port      string
		host      string
		target    string
		status    int
		location  string
	}{
		{"SameHostAndPath", nil, "443", "coffer.internal", "/projects/shop?tab=a", 301, "https://coffer.internal/projects/shop?tab=a"},
		{"DropsPlainPort", nil, "443", "coffer.internal:80", "/", 301, "https://coffer.internal/"},
		{"AddsHTTPSPort", nil, "8443", "coffer.internal:8080", "/x", 301, "https://coffer.internal:8443/x"},
		{"IPv6", nil, "443", "[::1]:80", "/", 301, "https://[::1]/"},
		{"CanonicalHostWins", canonical, "8443", "evil.example", "/login", 301, "https://coffer.example.com/login"},
		{"DoubleSlashStaysOnHost", canonical, "443", "evil.example", "//evil.example/x", 301, "https://coffer.example.com//evil.example/x"},
		{"BadHostRefused", nil, "443", "evil.example@x", "/", 400, ""},
		{"EmptyHostRefused", nil, "443", "", "/", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", tt.target, nil)
			r.Host = tt.host
			rec := httptest.NewRecorder()
			Redirect(tt.canonical, tt.port).ServeHTTP(rec, r)
			if rec.Code != tt.status || rec.Header().Get("Location") != tt.location {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Header().Get("Location"), tt.status, tt.location)
			}
		})
	}
}
