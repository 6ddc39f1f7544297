package httpx

import (
	"net/http"
	"net/netip"
	"strings"
)

// ProxyTrust decides which peers may tell Coffer who the client is. Only a
// request whose socket peer is inside a trusted prefix (the load balancer,
// the ingress) has its X-Forwarded-For and X-Forwarded-Proto headers read;
// from anyone else they are ignored, since a client can send any header.
type ProxyTrust struct {
	trusted []netip.Prefix
}

// NewProxyTrust returns a ProxyTrust that believes the proxies in trusted.
// With no prefixes, forwarding headers are never read.
func NewProxyTrust(trusted []netip.Prefix) *ProxyTrust {
	p := &ProxyTrust{trusted: make([]netip.Prefix, 0, len(trusted))}
	for _, t := range trusted {
		p.trusted = append(p.trusted, t.Masked())
	}
	return p
}

// Middleware sets Info.ClientIP and Info.HTTPS.
func (p *ProxyTrust) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, info := EnsureInfo(r)
		info.ClientIP, info.HTTPS = p.resolve(r)
		next.ServeHTTP(w, r)
	})
}

// resolve returns the client address and whether the client used HTTPS.
func (p *ProxyTrust) resolve(r *http.Request) (string, bool) {
	peer, ok := parseHostAddr(r.RemoteAddr)
	if !ok {
		return "", r.TLS != nil
	}
	if !p.isTrusted(peer) {
		return peer.String(), r.TLS != nil
	}
	https := r.TLS != nil || lastListValue(r.Header.Values("X-Forwarded-Proto")) == "https"
	return p.forwardedFor(r.Header.Values("X-Forwarded-For"), peer).String(), https
}

// forwardedFor walks X-Forwarded-For from the right — the entries appended
// by our own proxies — skipping trusted hops; the first untrusted address is
// the client. Entries further left were written by the client and could be
// anything. A malformed entry ends the walk at the last address we trust.
func (p *ProxyTrust) forwardedFor(values []string, peer netip.Addr) netip.Addr {
	client := peer
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			addr, ok := parseHostAddr(strings.TrimSpace(hops[j]))
			if !ok {
				return client
			}
			client = addr
			if !p.isTrusted(addr) {
				return addr
			}
		}
	}
	return client
}

func (p *ProxyTrust) isTrusted(a netip.Addr) bool {
	for _, t := range p.trusted {
		if t.Contains(a) {
			return true
		}
	}
	return false
}

// parseHostAddr parses "ip", "ip:port" or "[ipv6]:port", unmapping
// IPv4-in-IPv6 addresses and dropping zones so that one client has one form.
func parseHostAddr(s string) (netip.Addr, bool) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		addr = ap.Addr()
	}
	return addr.Unmap().WithZone(""), true
}

// lastListValue returns the last element of a comma-separated header, in
// lower case: the one the nearest (trusted) proxy set.
func lastListValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.ToLower(strings.TrimSpace(v))
}
