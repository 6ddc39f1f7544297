// Package tlsx serves HTTPS the way Coffer wants it: TLS 1.2 or later with
// forward-secret AEAD suites only, HTTP/2, a certificate that is reloaded
// without a restart when the files change or on SIGHUP (renewals by
// certbot or cert-manager), and a plain-HTTP listener that only redirects.
package tlsx

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// DefaultPollInterval is how often Watch looks at the files' modification
// times. Certificates are renewed days before they expire; half a minute
// is prompt enough and costs two stat calls.
const DefaultPollInterval = 30 * time.Second

// cipherSuites are the TLS 1.2 suites offered: ECDHE for forward secrecy
// and AEAD only (no CBC, no RSA key exchange). TLS 1.3 suites are not
// configurable in Go and are all modern.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// Reloader holds the server certificate loaded from a certificate and a
// key file, and replaces it when asked to or when the files change. A
// failed reload keeps the previous certificate: a half-written renewal must
// not take the server down.
type Reloader struct {
	certFile, keyFile string
	logger            *slog.Logger

	mu       sync.RWMutex
	cert     *tls.Certificate
	modTimes [2]time.Time
}

// NewReloader loads the pair and returns a Reloader serving it. An error
// here (missing file, key not matching the certificate) stops the server
// at start rather than at the first handshake.
func NewReloader(certFile, keyFile string, logger *slog.Logger) (*Reloader, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, logger: logger}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload loads the pair from disk again. On error the current certificate
// stays in use.
func (r *Reloader) Reload() error {
	times, err := r.stat()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS certificate (TLS_CERT_FILE, TLS_KEY_FILE): %w", err)
	}
	r.mu.Lock()
	r.cert, r.modTimes = &cert, times
	r.mu.Unlock()
	return nil
}

// GetCertificate returns the current certificate; it is tls.Config's hook,
// called on every handshake.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cert, nil
}

// Watch reloads the pair when either file's modification time changes
// (checked every interval) and whenever a value arrives on signals (wire
// SIGHUP to it), until ctx ends. Reloads and failures are logged.
func (r *Reloader) Watch(ctx context.Context, interval time.Duration, signals <-chan os.Signal) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			r.reloadAndLog("signal")
		case <-t.C:
			if r.changed() {
				r.reloadAndLog("file change")
			}
		}
	}
}

// changed reports whether a file's modification time differs from the one
// seen at the last successful load. A file that cannot be read counts as
// unchanged: it is probably being replaced.
func (r *Reloader) changed() bool {
	times, err := r.stat()
	if err != nil {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return times != r.modTimes
}

func (r *Reloader) reloadAndLog(why string) {
	if err := r.Reload(); err != nil {
		r.logger.Error("TLS certificate reload failed; keeping the current one", "trigger", why, "error", err)
		return
	}
	r.mu.RLock()
	leaf := r.cert.Leaf
	r.mu.RUnlock()
	var notAfter time.Time
	if leaf != nil {
		notAfter = leaf.NotAfter
	}
	r.logger.Info("TLS certificate reloaded", "trigger", why, "not_after", notAfter)
}

func (r *Reloader) stat() ([2]time.Time, error) {
	var times [2]time.Time
	for i, f := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return times, fmt.Errorf("TLS certificate: %w", err)
		}
		times[i] = fi.ModTime()
	}
	return times, nil
}

// Config returns the server TLS configuration: certificates from r, TLS
// 1.2 at least, the suites above, and HTTP/2 offered before HTTP/1.1.
func Config(r *Reloader) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   cipherSuites,
		GetCertificate: r.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}
