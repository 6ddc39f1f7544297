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
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// selfSigned writes a certificate for 127.0.0.1 and returns the files and
// a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "coffer test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLSServer serves the API over HTTPS itself: HTTP/2, HSTS, session
// cookies with the __Host- prefix and Secure, and the redirect listener.
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
	var access *http.Cookie
	for _, ck := range rec.all() {
		if ck.Name == "__Host-coffer_access" {
			access = ck
		}
	}
	if access == nil || !access.Secure || access.Path != "/" || access.Domain != "" {
		t.Fatalf("access cookie %+v among %v", access, rec.all())
	}

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
