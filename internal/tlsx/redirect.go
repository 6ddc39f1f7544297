package tlsx

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Redirect returns the handler of the plain-HTTP listener: a 301 to the
// same path and query over HTTPS. The host is canonical's when it is set
// (CLIENT_URL), so that no Host header can send a browser elsewhere;
// otherwise it is the request's own host, checked to be a bare host name
// or address, with httpsPort appended unless it is 443.
func Redirect(canonical *url.URL, httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, ok := redirectHost(canonical, r.Host, httpsPort)
		if !ok {
			http.Error(w, "Bad Request: use HTTPS", http.StatusBadRequest)
			return
		}
		target := url.URL{Scheme: "https", Host: host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, target.String(), http.StatusMovedPermanently)
	})
}

func redirectHost(canonical *url.URL, reqHost, httpsPort string) (string, bool) {
	if canonical != nil && canonical.Host != "" {
		return canonical.Host, true
	}
	host := reqHost
	if h, _, err := net.SplitHostPort(reqHost); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if !validHost(host) {
		return "", false
	}
	if strings.Contains(host, ":") { // IPv6
		host = "[" + host + "]"
	}
	if httpsPort != "" && httpsPort != "443" {
		host = net.JoinHostPort(strings.Trim(host, "[]"), httpsPort)
	}
	return host, true
}

// validHost accepts a DNS name or an IP address and nothing else: no
// user info, path, or characters that could change how the URL parses.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}
