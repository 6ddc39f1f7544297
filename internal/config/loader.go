package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// secretVars are the variables whose values never appear in a Problem,
// because they are keys or may carry a password.
var secretVars = map[string]bool{
	"JWT_SECRET": true, "JWT_SECRET_PREVIOUS": true,
	"ENCRYPTION_KEY": true, "ENCRYPTION_KEY_PREVIOUS": true,
	"METRICS_TOKEN": true, "SENTRY_DSN": true,
	"DATABASE_URL": true, "DATABASE_REPLICA_URLS": true, "REDIS_URL": true,
}

// loader reads variables and collects problems instead of stopping.
type loader struct {
	env      func(string) (string, bool)
	readFile func(string) ([]byte, error)
	problems []Problem
}

func (l *loader) problem(name, format string, args ...any) {
	l.problems = append(l.problems, Problem{Var: name, Message: fmt.Sprintf(format, args...)})
}

// bad records a malformed value, quoting it only if the variable is not
// secret: a problem list is printed to the console and often pasted into
// tickets.
func (l *loader) bad(name, value, want string) {
	if secretVars[name] {
		l.problem(name, "invalid value (not shown): %s", want)
		return
	}
	if len(value) > 80 {
		value = value[:80] + "…"
	}
	l.problem(name, "invalid value %q: %s", value, want)
}

// get returns NAME, or the content of the file named by NAME_FILE with its
// trailing newline trimmed. An empty variable counts as unset, as
// docker-compose writes `NAME=` for "no value".
func (l *loader) get(name string) (string, bool) {
	v, ok := l.env(name)
	ok = ok && v != ""
	path, fok := l.env(name + "_FILE")
	fok = fok && path != ""
	switch {
	case ok && fok:
		l.problem(name, "set either %s or %s_FILE, not both", name, name)
		return "", false
	case fok:
		b, err := l.readFile(path)
		if err != nil {
			l.problem(name+"_FILE", "cannot read %s: %v", path, err)
			return "", false
		}
		v = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			l.problem(name+"_FILE", "file %s is empty", path)
			return "", false
		}
		return v, true
	}
	return v, ok
}

func (l *loader) str(name, def string) string {
	if v, ok := l.get(name); ok {
		return v
	}
	return def
}

func (l *loader) list(name string) []string {
	v, _ := l.get(name)
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (l *loader) enum(name, def string, allowed ...string) string {
	v, ok := l.get(name)
	if !ok {
		return def
	}
	if !slices.Contains(allowed, v) {
		l.bad(name, v, "must be one of "+strings.Join(allowed, ", "))
		return def
	}
	return v
}

func (l *loader) int(name string, def, lo, hi int) int {
	v, ok := l.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		l.bad(name, v, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

func (l *loader) duration(name string, def, lo, hi time.Duration) time.Duration {
	v, ok := l.get(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < lo || d > hi {
		l.bad(name, v, fmt.Sprintf("must be a duration such as %q, from %s to %s", def.String(), lo, hi))
		return def
	}
	return d
}

// url checks a connection URL's scheme and host. It returns the URL as
// given (the driver parses it again) or "" if unset or bad.
func (l *loader) url(name string, schemes ...string) string {
	v, ok := l.get(name)
	if !ok {
		return ""
	}
	if !l.checkURL(name, v, schemes) {
		return ""
	}
	return v
}

func (l *loader) urlList(name string, schemes ...string) []string {
	var out []string
	for _, v := range l.list(name) {
		if l.checkURL(name, v, schemes) {
			out = append(out, v)
		}
	}
	return out
}

func (l *loader) checkURL(name, v string, schemes []string) bool {
	want := "must be a URL starting with " + strings.Join(schemes, "://, ") + "://"
	u, err := url.Parse(v)
	if err != nil || !slices.Contains(schemes, u.Scheme) {
		l.bad(name, v, want)
		return false
	}
	// PostgreSQL may name a Unix socket in the query instead of a host.
	if u.Host == "" && u.Query().Get("host") == "" {
		l.bad(name, v, want+" with a host")
		return false
	}
	return true
}

// origin parses a browser origin: scheme and host, no path. Production
// needs HTTPS because the session cookies are Secure.
func (l *loader) origin(name string, prod bool) string {
	v, ok := l.get(name)
	if !ok {
		return ""
	}
	o, why := parseOrigin(v, prod)
	if why != "" {
		l.bad(name, v, why)
	}
	return o
}

func (l *loader) origins(name string, prod bool) []string {
	var out []string
	for _, v := range l.list(name) {
		if o, why := parseOrigin(v, prod); why != "" {
			l.bad(name, v, why)
		} else if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func parseOrigin(v string, prod bool) (origin, why string) {
	const want = "must be an origin such as https://coffer.example.com (scheme and host, no path)"
	if v == "*" || v == "null" {
		return "", "must name an origin; \"*\" and \"null\" would let any site call the API with the user's cookies"
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", want
	}
	if prod && u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return "", "must use https in production (session cookies are Secure)"
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), ""
}

// assetBase reads where the web client's hashed assets are loaded from: an
// https URL (http only on a loopback host, for trying it out) or a path.
// The value ends up in HTML attributes and, as an origin, in the
// Content-Security-Policy, so it is held to plain URL characters.
func (l *loader) assetBase(name string) string {
	v, ok := l.get(name)
	if !ok {
		return ""
	}
	const want = "must be an https URL such as https://cdn.example.com/coffer or a path such as /static " +
		"(no query, fragment, credentials or quotes)"
	u, err := url.Parse(v)
	switch {
	case err != nil || strings.ContainsAny(v, "\"'<>`\\ \t\r\n;,") || strings.Contains(v, "..") ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil || u.Opaque != "":
		l.bad(name, v, want)
		return ""
	case u.Scheme == "" && u.Host == "":
		if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") {
			l.bad(name, v, want)
			return ""
		}
	case u.Scheme == "https" && u.Hostname() != "":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http" && u.Hostname() != "":
		l.bad(name, v, "must use https: browsers refuse http scripts on an https page (http only for localhost)")
		return ""
	default:
		l.bad(name, v, want)
		return ""
	}
	return strings.TrimSuffix(v, "/")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// prefixes parses CIDRs or single addresses, which become /32 or /128.
func (l *loader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range l.list(name) {
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(v); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else {
			l.bad(name, v, "must be IP addresses or CIDR ranges such as 10.0.0.0/8, separated by commas")
		}
	}
	return out
}

// addr checks a host:port listen address.
func (l *loader) addr(name string) string {
	v, ok := l.get(name)
	if !ok {
		return ""
	}
	_, port, err := net.SplitHostPort(v)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		l.bad(name, v, "must be a listen address such as :9090 or 127.0.0.1:9090")
		return ""
	}
	return v
}

// host checks a listen host: an IP address or a DNS name.
func (l *loader) host(name, def string) string {
	v, ok := l.get(name)
	if !ok {
		return def
	}
	if _, err := netip.ParseAddr(v); err == nil || isHostname(v) {
		return v
	}
	l.bad(name, v, "must be an IP address or a host name, without a port")
	return def
}

func isHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// readableFile checks that a configured file exists and can be read, so a
// typo in a path is reported with the rest rather than at first handshake.
func (l *loader) readableFile(name string) string {
	v, ok := l.get(name)
	if !ok {
		return ""
	}
	if _, err := l.readFile(v); err != nil {
		l.problem(name, "cannot read %s: %v", v, err)
	}
	return v
}

// redisKeyPrefix is what a Redis key prefix may hold: letters, digits and
// : _ . - (no spaces, braces or glob characters), at most 64 bytes.
var redisKeyPrefix = regexp.MustCompile(`^[A-Za-z0-9:_.-]{1,64}$`)

func (l *loader) redisPrefix(name, def string) string {
	v := l.str(name, def)
	if !redisKeyPrefix.MatchString(v) {
		l.bad(name, v, "1 to 64 letters, digits or : _ . - (e.g. coffer-staging:)")
		return def
	}
	return v
}
