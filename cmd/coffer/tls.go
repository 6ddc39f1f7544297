//go:build !coffer_cli

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cofferhq/coffer/internal/tlsx"
)

// tlsState is what serving HTTPS adds to Main: the certificate watcher and
// the redirect listener.
type tlsState struct {
	reloader   *tlsx.Reloader
	stopWatch  context.CancelFunc
	redirect   *http.Server
	redirectLn net.Listener
	// poll is how often the certificate files are checked; 0 is
	// tlsx.DefaultPollInterval. Tests shorten it.
	poll time.Duration
}

// startTLS makes srv serve HTTPS with the configured certificate, reloaded
// on SIGHUP and when its files change, and opens the HTTP→HTTPS redirect
// listener when HTTP_REDIRECT_ADDR is set. ln is the HTTPS listener, whose
// port the redirect points to.
func (m *Main) startTLS(srv *http.Server, ln net.Listener) error {
	cfg := m.Config
	r, err := tlsx.NewReloader(cfg.TLSCertFile, cfg.TLSKeyFile, m.Logger)
	if err != nil {
		return err
	}
	srv.TLSConfig = tlsx.Config(r)
	ctx, cancel := context.WithCancel(context.Background())
	m.tlsS.reloader, m.tlsS.stopWatch = r, cancel
	poll := m.tlsS.poll
	if poll == 0 {
		poll = tlsx.DefaultPollInterval
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	m.goSafe("tls certificate watch", func() {
		defer signal.Stop(hup)
		r.Watch(ctx, poll, hup)
	})
	if cfg.HTTPRedirectAddr == "" {
		return nil
	}
	var canonical *url.URL
	if cfg.ClientURL != "" {
		if canonical, err = url.Parse(cfg.ClientURL); err != nil {
			return fmt.Errorf("CLIENT_URL: %w", err)
		}
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	rln, err := net.Listen("tcp", cfg.HTTPRedirectAddr)
	if err != nil {
		return fmt.Errorf("listen on HTTP_REDIRECT_ADDR %s: %w", cfg.HTTPRedirectAddr, err)
	}
	m.tlsS.redirectLn = rln
	m.tlsS.redirect = m.httpServer(tlsx.Redirect(canonical, port))
	go m.serve(m.tlsS.redirect, rln)
	return nil
}

// stopTLS stops the watcher and the redirect listener.
func (m *Main) stopTLS(ctx context.Context) error {
	if m.tlsS.stopWatch != nil {
		m.tlsS.stopWatch()
	}
	if m.tlsS.redirect == nil {
		return nil
	}
	if err := m.tlsS.redirect.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop redirect listener: %w", err)
	}
	return nil
}
