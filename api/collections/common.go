package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// csrfHeader is the header of the double-submit CSRF token that cookie
// sessions send on state-changing requests.
const csrfHeader = "X-CSRF-Token"

// csrfNote explains the CSRF header wherever it appears.
const csrfNote = "Cookie sessions only (after login or signup): enable this header and set the request's auth to none. Bearer tokens need no CSRF token."

// variable is a collection (Postman) or base environment (Insomnia)
// variable.
type variable struct{ name, value, description string }

// variables are the ones every request may use: the instance, the
// credentials the scripts keep, and one per path parameter with an example.
func variables(s *spec) []variable {
	vars := []variable{
		{"baseUrl", "http://localhost:8080", "The Coffer instance, e.g. https://coffer.example.com (no trailing slash)."},
		{"bearerToken", "", "A JWT access token (createToken stores it), a personal token (cof_pat_…) or a service token (cof_svc_…)."},
		{"refreshToken", "", "The refresh token of createToken, for grant_type=refresh_token."},
		{"csrfToken", "", "The CSRF token of a cookie session (login and signup store it)."},
	}
	seen := map[string]bool{}
	for _, op := range s.ops {
		for _, p := range op.params {
			if p.in != "path" || seen[p.name] {
				continue
			}
			seen[p.name] = true
			vars = append(vars, variable{p.name, paramText(p.example), p.description})
		}
	}
	return vars
}

// folder is the requests of one tag.
type folder struct {
	tag tag
	ops []operation
}

// folders groups the operations by their first tag, in the order of the
// document's tag list; untagged or unlisted tags come last.
func folders(s *spec) []folder {
	var fs []folder
	index := map[string]int{}
	add := func(t tag) {
		if _, ok := index[t.name]; !ok {
			index[t.name] = len(fs)
			fs = append(fs, folder{tag: t})
		}
	}
	for _, t := range s.tags {
		add(t)
	}
	for _, op := range s.ops {
		name := op.tag
		if name == "" {
			name = "other"
		}
		add(tag{name: name})
		fs[index[name]].ops = append(fs[index[name]].ops, op)
	}
	var out []folder
	for _, f := range fs {
		if len(f.ops) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// pathParam returns the name of a "{name}" path segment.
func pathParam(segment string) (string, bool) {
	if strings.HasPrefix(segment, "{") && strings.HasSuffix(segment, "}") {
		return segment[1 : len(segment)-1], true
	}
	return "", false
}

// paramText writes a scalar example as it goes into a URL or header.
func paramText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		b, err := compact(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}

// headerValue is the value a header parameter starts with: the CSRF
// variable (written by ref) for the CSRF header, else the example.
func headerValue(p param, ref func(name string) string) string {
	if p.name == csrfHeader {
		return ref("csrfToken")
	}
	return paramText(p.example)
}

// needsCSRFHeader reports whether op gets an optional CSRF header: a
// state-changing call that a cookie session may make, and that does not
// declare the header itself.
func needsCSRFHeader(op operation) bool {
	if !op.stateChanging() || op.anonymous {
		return false
	}
	for _, p := range op.params {
		if p.in == "header" && p.name == csrfHeader {
			return false
		}
	}
	return true
}

// bodyText is the example body as text and its editor language.
func bodyText(b *body) (text, language string, err error) {
	mt := b.contentType
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(b.example); err != nil {
			return "", "", fmt.Errorf("example body: %w", err)
		}
		return strings.TrimSuffix(buf.String(), "\n"), "json", nil
	}
	return paramText(b.example), "text", nil
}

// requestName is the summary without its final full stop.
func requestName(op operation) string {
	name := strings.TrimSuffix(op.summary, ".")
	if name == "" {
		name = op.id
	}
	if op.deprecated {
		name += " (deprecated)"
	}
	return name
}

// requestDescription is the operation's documentation in Markdown, with
// how it authenticates.
func requestDescription(op operation) string {
	var b strings.Builder
	if op.deprecated {
		b.WriteString("**Deprecated.** The answer carries `Deprecation`, `Sunset` and `Link` headers; see docs/api-versioning.md.\n\n")
	}
	if op.description != "" {
		b.WriteString(op.description)
	} else {
		b.WriteString(op.summary)
	}
	fmt.Fprintf(&b, "\n\n`%s %s` (operation `%s`).", op.method, op.path, op.id)
	if op.body != nil && len(op.body.others) > 0 {
		fmt.Fprintf(&b, " The body may also be %s.", strings.Join(op.body.others, ", "))
	}
	switch {
	case op.anonymous:
		b.WriteString(" No credentials.")
	case needsCSRFHeader(op):
		b.WriteString(" Auth: `bearerToken`, or a cookie session with the `X-CSRF-Token` header.")
	default:
		b.WriteString(" Auth: `bearerToken`, or a cookie session.")
	}
	return b.String()
}

// collectionDescription is the document's description with how to use
// the collection; csrf says how cookie sessions send the CSRF token.
func collectionDescription(s *spec, csrf string) string {
	return strings.TrimSpace(s.description) + "\n\n" + strings.Join([]string{
		"**Using this collection.** Generated from api/openapi.yaml by `go generate ./api`; do not edit it by hand.",
		"Set `baseUrl` to your instance. Path parameters (`project`, `env`, `key`, …) are variables with example values.",
		"",
		"**Bearer tokens** (CLI, services, scripts): put a personal (`cof_pat_…`) or service (`cof_svc_…`) token in",
		"`bearerToken`, or the `access_token` of *auth → Obtain bearer tokens*. No CSRF token is needed.",
		"",
		"**Cookie sessions** (the browser's way): *Sign in with a password (browser)* or *Create an account* sets the",
		"session cookies, which the client's cookie jar keeps and sends. Every POST, PUT, PATCH and DELETE sent with",
		"those cookies must carry the session's `csrf_token` as `X-CSRF-Token`. " + csrf,
	}, "\n")
}
