package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/cofferhq/coffer/api"
)

// Health reports whether the process serves requests (operation health).
func (c *Client) Health(ctx context.Context) (*api.Health, error) { return c.health(ctx, "/health") }

// HealthReady reports whether the instance takes traffic (operation
// healthReady). A 503 is not an error: the answer's Status says "down" and
// Components say why.
func (c *Client) HealthReady(ctx context.Context) (*api.Health, error) {
	return c.health(ctx, "/health/ready")
}

// HealthDB reports whether the database answers (operation healthDB); a
// 503 is reported in the answer, as with HealthReady.
func (c *Client) HealthDB(ctx context.Context) (*api.Health, error) {
	return c.health(ctx, "/health/db")
}

// HealthRedis reports whether Redis answers, or "disabled" without one
// (operation healthRedis); a 503 is reported in the answer.
func (c *Client) HealthRedis(ctx context.Context) (*api.Health, error) {
	return c.health(ctx, "/health/redis")
}

// HealthDisk reports whether the data directory has room (operation
// healthDisk); a 503 is reported in the answer.
func (c *Client) HealthDisk(ctx context.Context) (*api.Health, error) {
	return c.health(ctx, "/health/disk")
}

// health reads a health document. Health checks answer 503 with the same
// document rather than a problem, so a 503 carrying one is decoded, not
// turned into an *Error.
func (c *Client) health(ctx context.Context, p string) (*api.Health, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+p, nil)
	if err != nil {
		return nil, fmt.Errorf("client: GET %s: %w", p, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: GET %s: %w", p, err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return nil, parseError(resp)
	}
	var h api.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		if resp.StatusCode == http.StatusServiceUnavailable {
			return nil, parseError(resp)
		}
		return nil, fmt.Errorf("client: GET %s: decode answer: %w", p, err)
	}
	return &h, nil
}

// Metrics returns the Prometheus metrics in the text exposition format
// (operation metrics).
func (c *Client) Metrics(ctx context.Context) (string, error) {
	b, err := c.raw(ctx, "/metrics", "text/plain")
	return string(b), err
}

// OpenAPI returns the instance's API document as JSON (operation
// getOpenAPI).
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	return c.raw(ctx, apiPrefix+"/openapi.json", "application/json")
}

func (c *Client) raw(ctx context.Context, p, accept string) ([]byte, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, path: p, accept: accept})
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: GET %s: read answer: %w", p, err)
	}
	return b, nil
}
