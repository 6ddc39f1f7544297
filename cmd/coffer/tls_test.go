package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// selfSigned writes a certificate for 127.0.0.1 and returns the files and
// a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	certFile, keyFile, cert := writeSelfSigned(t, t.TempDir(), "coffer test")
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// writeSelfSigned writes a fresh certificate for 127.0.0.1 named cn, with
// its key, as cert.pem and key.pem in dir (replacing what is there).
func writeSelfSigned(t *testing.T, dir, cn string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

// TestTLSServer serves the API over HTTPS itself: HTTP/2, HSTS, session
// cookies with the __Host- prefix, Secure, SameSite=Strict and (but for the
// CSRF token) HttpOnly, and the redirect listener.
func TestTLSServer(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	s := startServer(t, "sqlite", map[string]string{
		"TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile, "HTTP_REDIRECT_ADDR": "127.0.0.1:0",
	})
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("URL %s", s.URL)
	}
	rec := &cookieRecorder{}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	rec.next = tr
	c := s.newClient(t, client.WithCookieJar(), client.WithHTTPClient(&http.Client{Transport: rec}))
	ok(c.Signup(t.Context(), api.SignupRequest{Email: uniqueEmail(t, "owner"), Name: "Owner", Password: testPassword})).get(t)
	wantSessionCookies(t, rec.all(), true)

	resp, err := (&http.Client{Transport: tr}).Get(s.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("proto %s, HSTS %q", resp.Proto, resp.Header.Get("Strict-Transport-Security"))
	}

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	redirectURL := "http://" + s.tlsS.redirectLn.Addr().String() + "/api/v1/me?x=1"
	resp, err = noFollow.Get(redirectURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "https://"))
	if want := "https://127.0.0.1:" + port + "/api/v1/me?x=1"; resp.StatusCode != 301 || resp.Header.Get("Location") != want {
		t.Errorf("redirect %d to %q, want %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

// TestSIGHUPReloadsCertificate sends a real SIGHUP to a running `coffer
// server` whose certificate files were replaced without changing their
// modification times (so only the signal, not the file watcher, can notice):
// the process keeps running and new connections get the new certificate.
func TestSIGHUPReloadsCertificate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	certFile, keyFile, first := writeSelfSigned(t, dir, "first")
	p := startProcess(t, buildCoffer(t), "TLS_CERT_FILE="+certFile, "TLS_KEY_FILE="+keyFile)
	addr := strings.TrimPrefix(p.URL, "http://")
	served := func() string {
		t.Helper()
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // compared by hand below
		if err != nil {
			t.Fatalf("TLS handshake: %v", err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if cn := served(); cn != first.Subject.CommonName {
		t.Fatalf("serving %q at start", cn)
	}

	stamps := map[string]time.Time{}
	for _, f := range []string{certFile, keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		stamps[f] = fi.ModTime()
	}
	writeSelfSigned(t, dir, "second")
	for f, mt := range stamps {
		if err := os.Chtimes(f, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for served() != "second" {
		if time.Now().After(deadline) {
			t.Fatalf("still serving the first certificate 5 s after SIGHUP:\n%s", p.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The log line may reach the pipe a moment after the new certificate
	// is served.
	reloadedBySignal := func() bool {
		for line := range strings.Lines(p.logs.String()) {
			if strings.Contains(line, `"msg":"TLS certificate reloaded"`) && strings.Contains(line, `"trigger":"signal"`) {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(5 * time.Second); !reloadedBySignal(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("no reload by signal in the logs:\n%s", p.logs)
			break
		}
	}
	select {
	case err := <-p.done:
		t.Fatalf("the process exited after SIGHUP: %v", err)
	default:
	}
}
