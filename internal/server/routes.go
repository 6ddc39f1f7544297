package server

import (
	"net/http"

	"github.com/cofferhq/coffer"

	"github.com/cofferhq/coffer/internal/httpx"
	"github.com/cofferhq/coffer/internal/ratelimit"
)

// Route is one entry of the route table. The table is the single list of
// what the server answers; tests compare it with api/openapi.yaml both ways
// and drive the authorization matrix from it.
type Route struct {
	Method string
	Path   string // a ServeMux pattern path, written as in the OpenAPI document

	handler http.HandlerFunc
	// public routes skip the per-client API rate limit (health, metrics)
	public bool
	// anonymous routes serve callers without credentials; every other
	// route answers 401 to them before reading the request
	anonymous bool
	// authLimit applies the stricter per-IP limit of credential routes
	authLimit bool
	// secret responses carry secret values or credentials (a token's
	// one-time secret, bearer tokens, the CSRF token): never compressed
	// (BREACH)
	secret bool
	// maxBody overrides the default body limit
	maxBody int64
	// stream routes upgrade to a WebSocket: never compressed (the upgrade
	// hijacks the connection, and frames are not HTTP bodies); the
	// per-request Timeout already exempts upgrades
	stream bool
	// deprecated routes answer with Deprecation, Sunset and Link headers;
	// the document marks the same operations `deprecated: true`
	// (docs/api-versioning.md)
	deprecated *httpx.Deprecation
}

// Secret reports whether the route's responses carry secret values or
// credentials, and so are never compressed (BREACH; docs/security.md).
func (rt Route) Secret() bool { return rt.secret }

// Deprecation returns the route's deprecation, or nil when it is current.
func (rt Route) Deprecation() *httpx.Deprecation { return rt.deprecated }

// Routes lists every route the server serves.
func (s *Server) Routes() []Route { return s.routes() }

func (s *Server) routes() []Route {
	const (
		proj = "/api/v1/projects/{project}"
		env  = proj + "/environments/{env}"
		sec  = env + "/secrets/{key}"
	)
	routes := []Route{
		{Method: "POST", Path: "/api/v1/auth/signup", anonymous: true, handler: s.signup, authLimit: true, secret: true},
		{Method: "POST", Path: "/api/v1/auth/login", anonymous: true, handler: s.login, authLimit: true, secret: true},
		{Method: "POST", Path: "/api/v1/auth/refresh", anonymous: true, handler: s.refresh, authLimit: true, secret: true},
		{Method: "POST", Path: "/api/v1/auth/logout", handler: s.logout},
		{Method: "GET", Path: "/api/v1/auth/status", anonymous: true, handler: s.authStatus},
		{Method: "POST", Path: "/api/v1/auth/token", anonymous: true, handler: s.token, authLimit: true, secret: true},

		{Method: "GET", Path: "/api/v1/me", handler: s.getMe},
		{Method: "PATCH", Path: "/api/v1/me", handler: s.updateMe},
		{Method: "DELETE", Path: "/api/v1/me", handler: s.deleteMe},
		{Method: "GET", Path: "/api/v1/me/export", handler: s.exportMe},
		{Method: "GET", Path: "/api/v1/me/sessions", handler: s.listSessions},
		{Method: "DELETE", Path: "/api/v1/me/sessions/{session}", handler: s.revokeSession},
		{Method: "GET", Path: "/api/v1/me/tokens", handler: s.listPersonalTokens},
		{Method: "POST", Path: "/api/v1/me/tokens", handler: s.createPersonalToken, secret: true},
		{Method: "DELETE", Path: "/api/v1/me/tokens/{token}", handler: s.revokePersonalToken},

		{Method: "GET", Path: "/api/v1/projects", handler: s.listProjects},
		{Method: "POST", Path: "/api/v1/projects", handler: s.createProject},
		{Method: "GET", Path: proj, handler: s.getProject},
		{Method: "PATCH", Path: proj, handler: s.updateProject},
		{Method: "DELETE", Path: proj, handler: s.deleteProject},
		{Method: "GET", Path: proj + "/members", handler: s.listMembers},
		{Method: "POST", Path: proj + "/members", handler: s.addMember},
		{Method: "PATCH", Path: proj + "/members/{user}", handler: s.updateMember},
		{Method: "DELETE", Path: proj + "/members/{user}", handler: s.removeMember},
		{Method: "GET", Path: proj + "/invitations", handler: s.listInvitations},
		{Method: "DELETE", Path: proj + "/invitations/{email}", handler: s.revokeInvitation},
		{Method: "GET", Path: proj + "/environments", handler: s.listEnvironments},
		{Method: "POST", Path: proj + "/environments", handler: s.createEnvironment},
		{Method: "GET", Path: env, handler: s.getEnvironment},
		{Method: "PATCH", Path: env, handler: s.updateEnvironment},
		{Method: "DELETE", Path: env, handler: s.deleteEnvironment},
		{Method: "GET", Path: env + "/secrets", handler: s.listSecrets, secret: true},
		{Method: "PUT", Path: env + "/secrets", handler: s.putSecrets, maxBody: s.cfg.MaxImportSize},
		{Method: "GET", Path: sec, handler: s.getSecret, secret: true},
		{Method: "PUT", Path: sec, handler: s.putSecret, secret: true},
		{Method: "DELETE", Path: sec, handler: s.deleteSecret},
		{Method: "GET", Path: sec + "/versions", handler: s.listSecretVersions, secret: true},
		{Method: "POST", Path: sec + "/rollback", handler: s.rollbackSecret, secret: true},
		{Method: "GET", Path: env + "/deleted-secrets", handler: s.listDeletedSecrets},
		{Method: "GET", Path: proj + "/tokens", handler: s.listServiceTokens},
		{Method: "POST", Path: proj + "/tokens", handler: s.createServiceToken, secret: true},
		{Method: "DELETE", Path: proj + "/tokens/{token}", handler: s.revokeServiceToken},
		{Method: "GET", Path: proj + "/audit", handler: s.listAudit},
		{Method: "GET", Path: "/api/v1/events", handler: s.events, stream: true},

		{Method: "GET", Path: "/api/v1/openapi.json", handler: s.openAPI, public: true, anonymous: true},
		{Method: "GET", Path: "/api/docs", handler: s.apiDocs, public: true, anonymous: true},
		{Method: "GET", Path: "/health", handler: s.cfg.Health.Liveness().ServeHTTP, public: true, anonymous: true},
		{Method: "GET", Path: "/health/ready", handler: s.cfg.Health.Readiness().ServeHTTP, public: true, anonymous: true},
		{Method: "GET", Path: "/health/db", handler: s.cfg.Health.Component("db").ServeHTTP, public: true, anonymous: true},
		{Method: "GET", Path: "/health/redis", handler: s.cfg.Health.Component("redis").ServeHTTP, public: true, anonymous: true},
		{Method: "GET", Path: "/health/disk", handler: s.cfg.Health.Component("disk").ServeHTTP, public: true, anonymous: true},
	}
	if s.cfg.ServeMetrics {
		routes = append(routes, Route{Method: "GET", Path: "/metrics", handler: s.cfg.Metrics.Handler(s.cfg.MetricsToken).ServeHTTP, public: true, anonymous: true})
	}
	return routes
}

// wrap applies a route's own options around its handler.
func (s *Server) wrap(rt Route) http.Handler {
	var h http.Handler = rt.handler
	if rt.secret || rt.stream {
		h = httpx.NoCompress(h)
	}
	if rt.maxBody > 0 {
		h = httpx.WithMaxBytes(rt.maxBody, h)
	}
	if !rt.anonymous {
		h = requireActor(h)
	}
	if rt.authLimit {
		h = s.limit("auth_ip", s.cfg.AuthLimit, httpx.KeyByClientIP, h)
	}
	if !rt.public {
		h = s.limit("api_token", s.cfg.TokenLimit, keyByCredential, h)
		h = s.limit("api_ip", s.cfg.ClientLimit, httpx.KeyByClientIP, h)
	}
	if rt.deprecated != nil {
		// Outermost, so that a 401 or a 429 tells of the deprecation too.
		h = httpx.Deprecated(*rt.deprecated)(h)
	}
	return h
}

func (s *Server) limit(scope string, l ratelimit.Limit, key func(*http.Request) (string, bool), h http.Handler) http.Handler {
	return httpx.RateLimit(httpx.RateLimitConfig{
		Limiter: s.cfg.Limiter, Limit: l, Scope: scope, Key: key, Logger: s.log,
		OnReject: s.cfg.Metrics.RateLimitRejected,
	})(h)
}

// keyByCredential counts API requests per caller: the service token, or
// the user (across their sessions and personal tokens).
func keyByCredential(r *http.Request) (string, bool) {
	id := httpx.InfoFrom(r.Context()).ActorID
	return id, id != ""
}

// requireActor answers 401 to a caller without credentials.
func requireActor(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if coffer.ActorFromContext(r.Context()).Type == coffer.ActorAnon {
			httpx.Error(w, r, coffer.Errorf(coffer.EUNAUTHORIZED, "Sign in or send a bearer token."))
			return
		}
		h.ServeHTTP(w, r)
	})
}
