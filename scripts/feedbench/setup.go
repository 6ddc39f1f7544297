package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

const (
	benchProject = "bench"
	benchEnv     = "dev"
	benchPass    = "feedbench-password-1"
)

// startSeeded starts one server — on a fresh PostgreSQL database when
// pgAdminURL is set, else on SQLite in the work directory — and seeds it.
func (b *bench) startSeeded(ctx context.Context, pgAdminURL string) (*instance, *client.Client, error) {
	var env []string
	if pgAdminURL != "" {
		dbURL, err := b.database(ctx, pgAdminURL)
		if err != nil {
			return nil, nil, err
		}
		env = append(env, "DATABASE_URL="+dbURL)
	}
	in, err := b.start(ctx, "server", newKeys(), env...)
	if err != nil {
		return nil, nil, err
	}
	owner, err := seed(ctx, in.URL)
	if err != nil {
		return nil, nil, err
	}
	return in, owner, nil
}

// seed signs up an owner on the instance at url, creates the bench
// project (with its dev, staging and prod environments) and returns a
// bearer client of the owner.
func seed(ctx context.Context, url string) (*client.Client, error) {
	anon, err := client.New(url, client.WithCookieJar())
	if err != nil {
		return nil, err
	}
	email := fmt.Sprintf("bench-%d@example.test", time.Now().UnixNano())
	if _, err := anon.Signup(ctx, api.SignupRequest{Email: email, Name: "Bench", Password: benchPass}); err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	tok, err := anon.Token(ctx, api.TokenRequest{GrantType: "password", Email: email, Password: benchPass})
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	owner, err := client.New(url, client.WithToken(tok.AccessToken))
	if err != nil {
		return nil, err
	}
	if _, err := owner.CreateProject(ctx, api.CreateProjectRequest{Slug: benchProject, Name: "Bench"}); err != nil {
		return nil, fmt.Errorf("create project: %w", err)
	}
	return owner, nil
}

// serviceTokens creates n read tokens on the bench environment. The feed
// caps connections per token, so many connections need many tokens.
func serviceTokens(ctx context.Context, owner *client.Client, n int) ([]string, error) {
	out := make([]string, n)
	err := parallel(ctx, n, 8, func(ctx context.Context, i int) error {
		t, err := owner.CreateServiceToken(ctx, benchProject, api.CreateServiceTokenRequest{
			Name: api.Name(fmt.Sprintf("feed-%d", i)), Environments: []api.Slug{benchEnv}, Access: api.AccessRead,
		})
		if err != nil {
			return fmt.Errorf("create service token %d: %w", i, err)
		}
		out[i] = t.Secret
		return nil
	})
	return out, err
}

// parallel runs fn(0…n-1) with at most width at once and returns the
// first error, after which no new call starts.
func parallel(ctx context.Context, n, width int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, width)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// frame is a feed message as a client reads it.
type frame struct {
	Type        string    `json:"type"`
	Project     string    `json:"project"`
	Environment string    `json:"environment"`
	Key         string    `json:"key"`
	Revision    int64     `json:"revision"`
	At          time.Time `json:"at"`
	Code        string    `json:"code"`
	Detail      string    `json:"detail"`
}

// dialSubscribed opens a feed on url with token and subscribes to the
// bench environment; it returns once the server acknowledged.
func dialSubscribed(ctx context.Context, url, token string, hc *http.Client) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(dctx, url+"/api/v1/events", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}, HTTPClient: hc,
	})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial feed: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial feed: %w", err)
	}
	msg, _ := json.Marshal(map[string]string{"type": "subscribe", "project": benchProject, "environment": benchEnv})
	if err := ws.Write(dctx, websocket.MessageText, msg); err != nil {
		_ = ws.CloseNow()
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	for {
		fr, err := readFrame(dctx, ws)
		if err != nil {
			_ = ws.CloseNow()
			return nil, fmt.Errorf("await subscribed: %w", err)
		}
		switch fr.Type {
		case "subscribed":
			return ws, nil
		case "error":
			_ = ws.CloseNow()
			return nil, fmt.Errorf("subscribe: %s: %s", fr.Code, fr.Detail)
		}
	}
}

func readFrame(ctx context.Context, ws *websocket.Conn) (frame, error) {
	_, b, err := ws.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	var fr frame
	if err := json.Unmarshal(b, &fr); err != nil {
		return frame{}, fmt.Errorf("undecodable frame %q: %w", b, err)
	}
	return fr, nil
}
