package main

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// requestIDTransport sends every request with X-Request-ID: id, as a proxy
// or a caller correlating its own logs would.
type requestIDTransport struct {
	id   string
	next http.RoundTripper
}

func (rt requestIDTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Request-ID", rt.id)
	return rt.next.RoundTrip(r)
}

// TestAuditEventsCarryTheClientsRequestID: the audit events of a secret
// write, a single read, a bulk read and of sign-ins (failed and successful)
// carry the X-Request-ID the client sent, so an audit entry can be matched
// with the caller's and the proxy's logs; an id that is not well formed is
// replaced by the server's own rather than stored.
func TestAuditEventsCarryTheClientsRequestID(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		owner, token, u := s.owner(t, "owner", "shop")
		ctx := t.Context()
		anonymous := func(id string) *client.Client {
			hc := &http.Client{Transport: contractTransport{t: t, next: requestIDTransport{id: id, next: http.DefaultTransport}}}
			c, err := client.New(s.URL, client.WithHTTPClient(hc))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		with := func(id string) *client.Client {
			hc := &http.Client{Transport: contractTransport{t: t, next: requestIDTransport{id: id, next: http.DefaultTransport}}}
			c, err := client.New(s.URL, client.WithToken(token), client.WithHTTPClient(hc))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		const (
			writeID = "deploy-7f3a:write.0001"
			readID  = "deploy-7f3a:read.0002"
			bulkID  = "deploy-7f3a:bulk.0003"
			badID   = "not a valid id!"
			failID  = "deploy-7f3a:login.0004"
			loginID = "deploy-7f3a:login.0005"
		)
		if _, _, err := with(writeID).PutSecret(ctx, "shop", "dev", "DB_URL", api.PutSecretRequest{Value: "v"}); err != nil {
			t.Fatal(err)
		}
		ok(with(readID).Secret(ctx, "shop", "dev", "DB_URL")).get(t)
		ok(with(bulkID).Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t)
		ok(with(badID).Secret(ctx, "shop", "dev", "DB_URL")).get(t)
		_, err := anonymous(failID).Login(ctx, api.LoginRequest{Email: u.Email, Password: "wrong-password-123"})
		wantStatus(t, err, http.StatusUnauthorized)
		ok(anonymous(loginID).Login(ctx, api.LoginRequest{Email: u.Email, Password: testPassword})).get(t)

		requestIDs := func(action api.AuditAction) []string {
			t.Helper()
			list := ok(owner.Audit(ctx, "shop", client.AuditQuery{Action: action})).get(t)
			var ids []string
			for _, e := range list.Events {
				ids = append(ids, e.RequestID)
			}
			return ids
		}
		if got := requestIDs(api.AuditActionSecretWritten); len(got) != 1 || got[0] != writeID {
			t.Errorf("secret.written request ids %q, want [%q]", got, writeID)
		}
		if got := requestIDs(api.AuditActionSecretsRead); len(got) != 1 || got[0] != bulkID {
			t.Errorf("secrets.read request ids %q, want [%q]", got, bulkID)
		}
		reads := requestIDs(api.AuditActionSecretRead) // newest first
		generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
		if len(reads) != 2 || reads[1] != readID || !generated.MatchString(reads[0]) {
			t.Errorf("secret.read request ids %q, want a generated id then %q", reads, readID)
		}
		// Sign-ins have no project: they are in the user's own export.
		found := map[api.AuditAction]bool{}
		for _, e := range ok(owner.ExportMe(ctx)).get(t).AuditEvents {
			switch {
			case e.Action == api.AuditActionAuthLoginFailed && e.RequestID == failID && e.Outcome == api.AuditOutcomeFailure,
				e.Action == api.AuditActionAuthLogin && e.RequestID == loginID && e.Outcome == api.AuditOutcomeSuccess:
				found[e.Action] = true
			}
		}
		if !found[api.AuditActionAuthLoginFailed] || !found[api.AuditActionAuthLogin] {
			t.Errorf("sign-in events with the client's request ids: %v, want auth.login_failed and auth.login", found)
		}
	})
}
