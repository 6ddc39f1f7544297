package client

import (
	"context"
	"net/http"
	"time"

	"github.com/cofferhq/coffer/api"
)

// AuditQuery selects audit events; zero fields match everything.
type AuditQuery struct {
	Actor       string          // a user id or a token id
	Action      api.AuditAction // e.g. api.AuditActionSecretRead
	Environment string          // an environment slug
	From, To    time.Time       // From inclusive, To exclusive
	Cursor      string          // NextCursor of the previous page
	Limit       int             // page size; 0 for the server's default
}

// Audit returns one page of a project's audit events, newest first
// (operation listAudit).
func (c *Client) Audit(ctx context.Context, project string, q AuditQuery) (*api.AuditEventList, error) {
	v := pageQuery(q.Cursor, q.Limit)
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("actor", q.Actor)
	set("action", string(q.Action))
	set("environment", q.Environment)
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	}
	return callPath[api.AuditEventList](ctx, c, http.MethodGet, v, nil, "/projects/%s/audit", project)
}
