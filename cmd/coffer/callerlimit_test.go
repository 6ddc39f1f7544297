package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// TestPerCallerLimitIsPerUser: RATE_LIMIT_TOKEN_PER_MINUTE is one budget
// per user across all their sessions and personal tokens (a new session or
// token buys no more requests), and one per service token.
func TestPerCallerLimitIsPerUser(t *testing.T) {
	// 60 a minute: bursts of 6, one more each second.
	s := startServer(t, "sqlite", map[string]string{"RATE_LIMIT_TOKEN_PER_MINUTE": "60"})
	ctx := t.Context()
	owner, _, _ := s.owner(t, "owner", "shop")
	svc := ok(owner.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{Name: "app", Environments: []string{"dev"}, Access: "read"})).get(t)

	session, _ := s.signup(t, "member")
	callers := []*client.Client{session}
	for _, name := range []string{"laptop", "ci"} {
		pat := ok(session.CreatePersonalToken(ctx, api.CreatePersonalTokenRequest{Name: api.Name(name)})).get(t)
		callers = append(callers, s.newClient(t, client.WithToken(pat.Secret)))
	}
	// Round-robin over the session and both tokens. Separate budgets would
	// allow 6 each; one budget allows its burst plus one a second, however
	// slowly the requests go.
	start := time.Now()
	allowed := 0
	for i := range 24 {
		if _, err := callers[i%len(callers)].Me(ctx); err == nil {
			allowed++
		} else {
			wantStatus(t, err, http.StatusTooManyRequests)
		}
	}
	if most := 6 + int(time.Since(start).Seconds()) + 1; allowed > most {
		t.Errorf("%d of 24 requests allowed over one session and two personal tokens, want at most %d: one budget per user", allowed, most)
	}

	reader := s.newClient(t, client.WithToken(svc.Secret))
	ok(reader.Secrets(ctx, "shop", "dev", client.SecretsOptions{})).get(t) // its own budget
}
