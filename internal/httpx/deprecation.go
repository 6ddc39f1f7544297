package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MinDeprecationNotice is the shortest time a deprecated route keeps
// answering after it is marked deprecated (docs/api-versioning.md): a
// Sunset earlier than Since plus this is a broken promise to clients.
const MinDeprecationNotice = 180 * 24 * time.Hour

// Deprecation describes a deprecated route: since when, until when, and
// where clients read what replaces it.
type Deprecation struct {
	// Since is when the route was deprecated; sent as the RFC 9745
	// Deprecation header, a structured-field date ("@1767225600").
	Since time.Time
	// Sunset is when the route stops answering, sent as the RFC 8594
	// Sunset header (an HTTP-date); zero while no date is set.
	Sunset time.Time
	// Link is the documentation of the deprecation and its replacement,
	// sent as Link: <…>; rel="deprecation". An absolute URL, or a path on
	// this server.
	Link string
}

// Validate reports a deprecation that breaks the policy: no date, a sunset
// less than MinDeprecationNotice after it, or no documentation link.
func (d Deprecation) Validate() error {
	var errs []error
	if d.Since.IsZero() {
		errs = append(errs, errors.New("deprecation: Since is not set"))
	}
	if !d.Sunset.IsZero() && d.Sunset.Before(d.Since.Add(MinDeprecationNotice)) {
		errs = append(errs, fmt.Errorf("deprecation: Sunset %s is less than %s after Since %s",
			d.Sunset.UTC().Format(time.DateOnly), MinDeprecationNotice, d.Since.UTC().Format(time.DateOnly)))
	}
	if !validLink(d.Link) {
		errs = append(errs, fmt.Errorf("deprecation: Link %q is not an http(s) URL or an absolute path", d.Link))
	}
	return errors.Join(errs...)
}

// validLink accepts what may stand between < and > in a Link header: an
// http(s) URL or an absolute path, with nothing that would end the
// reference early.
func validLink(s string) bool {
	if s == "" || strings.ContainsAny(s, "<>\" \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return false
	case u.Scheme == "https" || u.Scheme == "http":
		return u.Host != ""
	default:
		return u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/")
	}
}

// Deprecated returns a middleware that sets the Deprecation, Sunset and
// Link headers of d on every answer, errors included, so that a client
// learns of the deprecation whatever its request gets back. It sets them
// before the handler runs: a handler that writes its answer at once (or
// hijacks the connection) still sends them.
func Deprecated(d Deprecation) func(http.Handler) http.Handler {
	deprecation := "@" + strconv.FormatInt(d.Since.Unix(), 10)
	var sunset string
	if !d.Sunset.IsZero() {
		sunset = d.Sunset.UTC().Format(http.TimeFormat)
	}
	link := "<" + d.Link + `>; rel="deprecation"; type="text/html"`
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Deprecation", deprecation)
			if sunset != "" {
				h.Set("Sunset", sunset)
			}
			h.Add("Link", link)
			next.ServeHTTP(w, r)
		})
	}
}
