package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cofferhq/coffer/api"
)

const secretsPath = "/projects/%s/environments/%s/secrets"

// SecretsOptions makes a bulk read incremental or conditional.
type SecretsOptions struct {
	// Since asks only for the keys changed after this revision, deleted
	// keys included (Deleted set, no Value).
	Since *int64
	// IfNoneMatch is the ETag of an earlier read; when the environment has
	// not changed since, the server answers 304 and nothing is transferred.
	IfNoneMatch string
	// Fresh asks for an answer at least as new as the primary database
	// (Cache-Control: no-cache). Without it, a server that has not yet
	// heard of a change made through another instance answers from its
	// cache, for a few milliseconds and at most a second. Use it after a
	// live event, or to read a change made through another server.
	Fresh bool
}

// SecretsResult is the answer of a bulk read.
type SecretsResult struct {
	// Bundle holds the revision and the secrets; empty when NotModified.
	Bundle api.SecretBundle
	// ETag identifies the revision read; pass it as IfNoneMatch next time.
	ETag string
	// NotModified reports a 304: the revision named by IfNoneMatch is
	// still current.
	NotModified bool
}

// Secrets reads the secrets of an environment, with their values
// (operation listSecrets, JSON form).
func (c *Client) Secrets(ctx context.Context, project, env string, opts SecretsOptions) (*SecretsResult, error) {
	p, err := path(secretsPath, project, env)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if opts.Since != nil {
		q.Set("since", strconv.FormatInt(*opts.Since, 10))
	}
	r := request{method: http.MethodGet, path: p, query: q, header: http.Header{}}
	if opts.IfNoneMatch != "" {
		r.header.Set("If-None-Match", opts.IfNoneMatch)
	}
	if opts.Fresh {
		r.header.Set("Cache-Control", "no-cache")
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	res := &SecretsResult{ETag: resp.Header.Get("ETag")}
	if resp.StatusCode == http.StatusNotModified {
		res.NotModified = true
		if res.ETag == "" {
			res.ETag = opts.IfNoneMatch
		}
		return res, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(&res.Bundle); err != nil {
		return nil, fmt.Errorf("client: GET %s: decode answer: %w", p, err)
	}
	return res, nil
}

// SecretsDotenv reads the live secrets of an environment as a dotenv file
// (operation listSecrets with format=dotenv).
func (c *Client) SecretsDotenv(ctx context.Context, project, env string) (string, error) {
	p, err := path(secretsPath, project, env)
	if err != nil {
		return "", err
	}
	resp, err := c.send(ctx, request{
		method: http.MethodGet, path: p,
		query:  url.Values{"format": {string(api.SecretsFormatDotenv)}},
		accept: "text/plain, application/problem+json",
	})
	if err != nil {
		return "", err
	}
	defer drain(resp)
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("client: GET %s: read answer: %w", p, err)
	}
	return string(b), nil
}

// ImportOptions controls a bulk write.
type ImportOptions struct {
	DryRun bool // report what would change, change nothing
	Prune  bool // also delete the keys the body does not name
}

func (o ImportOptions) query() url.Values {
	q := url.Values{}
	if o.DryRun {
		q.Set("dry_run", "true")
	}
	if o.Prune {
		q.Set("prune", "true")
	}
	return q
}

// PutSecrets creates or updates many secrets at once, all or nothing
// (operation putSecrets, JSON form).
func (c *Client) PutSecrets(ctx context.Context, project, env string, secrets []api.SecretInput, opts ImportOptions) (*api.ImportResult, error) {
	if secrets == nil {
		secrets = []api.SecretInput{} // the server wants a list, even an empty one (prune everything)
	}
	return callPath[api.ImportResult](ctx, c, http.MethodPut, opts.query(), api.PutSecretsRequest{Secrets: secrets},
		secretsPath, project, env)
}

// ImportDotenv imports a dotenv file into an environment, all or nothing
// (operation putSecrets, text/plain form).
func (c *Client) ImportDotenv(ctx context.Context, project, env, body string, opts ImportOptions) (*api.ImportResult, error) {
	p, err := path(secretsPath, project, env)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, request{
		method: http.MethodPut, path: p, query: opts.query(),
		body: []byte(body), contentType: "text/plain; charset=utf-8",
	})
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	var out api.ImportResult
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("client: PUT %s: decode answer: %w", p, err)
	}
	return &out, nil
}

// Secret reads one secret with its value (operation getSecret).
func (c *Client) Secret(ctx context.Context, project, env, key string) (*api.Secret, error) {
	return callPath[api.Secret](ctx, c, http.MethodGet, nil, nil, secretsPath+"/%s", project, env, key)
}

// PutSecret creates a secret or adds a version to it (operation putSecret);
// created reports which.
func (c *Client) PutSecret(ctx context.Context, project, env, key string, in api.PutSecretRequest) (secret *api.Secret, created bool, err error) {
	p, err := path(secretsPath+"/%s", project, env, key)
	if err != nil {
		return nil, false, err
	}
	var out api.Secret
	status, err := c.do(ctx, http.MethodPut, p, nil, in, &out)
	if err != nil {
		return nil, false, err
	}
	return &out, status == http.StatusCreated, nil
}

// DeleteSecret deletes a secret (operation deleteSecret).
func (c *Client) DeleteSecret(ctx context.Context, project, env, key string) error {
	return c.noContent(ctx, http.MethodDelete, nil, secretsPath+"/%s", project, env, key)
}

// SecretVersions returns one page of a secret's history, newest first
// (operation listSecretVersions).
func (c *Client) SecretVersions(ctx context.Context, project, env, key, cursor string, limit int) (*api.SecretVersionList, error) {
	return callPath[api.SecretVersionList](ctx, c, http.MethodGet, pageQuery(cursor, limit), nil,
		secretsPath+"/%s/versions", project, env, key)
}

// DeletedSecrets returns one page of an environment's deleted keys that can
// still be restored, by key; RollbackSecret to a key's RestoreVersion
// brings it back (operation listDeletedSecrets).
func (c *Client) DeletedSecrets(ctx context.Context, project, env, cursor string, limit int) (*api.DeletedSecretList, error) {
	return callPath[api.DeletedSecretList](ctx, c, http.MethodGet, pageQuery(cursor, limit), nil,
		"/projects/%s/environments/%s/deleted-secrets", project, env)
}

// RollbackSecret makes an old version current again by copying it into a
// new version, which it returns (operation rollbackSecret).
func (c *Client) RollbackSecret(ctx context.Context, project, env, key string, version int64) (*api.Secret, error) {
	return callPath[api.Secret](ctx, c, http.MethodPost, nil, api.RollbackSecretRequest{Version: version},
		secretsPath+"/%s/rollback", project, env, key)
}
