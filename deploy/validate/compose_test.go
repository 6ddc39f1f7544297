package validate

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads a compose file with the compose-spec reference loader:
// JSON-schema validation (unknown keys fail), interpolation with defaults
// only (no host environment leaks in), and every profile enabled.
func loadCompose(t *testing.T, rel string) *types.Project {
	t.Helper()
	root := repoRoot(t)
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, rel)}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SetProjectName("coffer", true)
		o.Profiles = []string{"*"}
		o.ResolvePaths = true
	})
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return p
}

var (
	secretEnvName  = regexp.MustCompile(`(?i)(PASSWORD|SECRET|TOKEN|API_?KEY|ENCRYPTION_KEY|DSN|DATABASE_URL|DATABASE_REPLICA_URLS|REDIS_URL)`)
	credentialsURL = regexp.MustCompile(`://[^/@\s]+:[^/@\s]+@`)
)

func TestComposeDev(t *testing.T) {
	p := loadCompose(t, "docker-compose.yml")
	for _, name := range []string{"coffer", "postgres", "redis"} {
		s, ok := p.Services[name]
		if !ok {
			t.Fatalf("docker-compose.yml: service %s missing", name)
		}
		if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0 {
			t.Errorf("docker-compose.yml: %s needs a healthcheck", name)
		}
	}
	c := p.Services["coffer"]
	if c.Build == nil || c.Build.Dockerfile != "deploy/docker/Dockerfile" {
		t.Errorf("docker-compose.yml: coffer must build from deploy/docker/Dockerfile")
	}
	if !strings.HasPrefix(p.Services["postgres"].Image, "postgres:16") || !strings.HasPrefix(p.Services["redis"].Image, "redis:7") {
		t.Errorf("docker-compose.yml: want postgres:16 and redis:7")
	}
	for dep, want := range map[string]string{"postgres": "service_healthy", "redis": "service_healthy"} {
		if d, ok := c.DependsOn[dep]; !ok || d.Condition != want {
			t.Errorf("docker-compose.yml: coffer must depend on %s (%s)", dep, want)
		}
	}
}

func TestComposeProd(t *testing.T) {
	const rel = "docker-compose.prod.yml"
	p := loadCompose(t, rel)

	// Services that run once or have no way to probe themselves.
	oneShot := map[string]bool{"migrate": true}
	noHealthcheck := map[string]bool{"migrate": true, "loki": true, "promtail": true}
	observability := map[string]bool{"prometheus": true, "alertmanager": true, "grafana": true, "loki": true, "promtail": true, "node-exporter": true, "blackbox": true}

	for _, want := range []string{"migrate", "coffer", "postgres-primary", "postgres-replica", "redis", "nginx"} {
		if _, ok := p.Services[want]; !ok {
			t.Errorf("%s: service %s missing", rel, want)
		}
	}
	for name := range observability {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("%s: observability service %s missing", rel, name)
		}
	}

	for name, s := range p.Services {
		// Observability is opt-in; the core stack has no profile.
		if observability[name] != (len(s.Profiles) == 1 && s.Profiles[0] == "observability") {
			t.Errorf("%s: %s: profiles %v (observability services, and only they, use the observability profile)", rel, name, s.Profiles)
		}
		if !noHealthcheck[name] && (s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0) {
			t.Errorf("%s: %s has no healthcheck", rel, name)
		}
		switch {
		case oneShot[name]:
			if s.Restart != "no" && s.Restart != "on-failure" {
				t.Errorf("%s: one-shot %s: restart %q", rel, name, s.Restart)
			}
		case s.Restart != "unless-stopped" && s.Restart != "always":
			t.Errorf("%s: %s: restart %q, want unless-stopped or always", rel, name, s.Restart)
		}
		if s.Logging == nil || s.Logging.Driver != "json-file" || s.Logging.Options["max-size"] == "" || s.Logging.Options["max-file"] == "" {
			t.Errorf("%s: %s: json-file logging with max-size and max-file required", rel, name)
		}
		if s.Deploy == nil || s.Deploy.Resources.Limits == nil || s.Deploy.Resources.Limits.MemoryBytes == 0 || s.Deploy.Resources.Limits.NanoCPUs == 0 {
			t.Errorf("%s: %s: deploy.resources.limits (cpus and memory) required", rel, name)
		}
		for k, v := range s.Environment {
			if secretEnvName.MatchString(k) && !strings.HasSuffix(k, "_FILE") && !strings.HasSuffix(k, "__FILE") {
				t.Errorf("%s: %s: %s is a secret in plain environment; use %s_FILE and a compose secret", rel, name, k, k)
			}
			if v != nil && credentialsURL.MatchString(*v) {
				t.Errorf("%s: %s: %s embeds credentials in a URL", rel, name, k)
			}
			if v != nil && strings.HasPrefix(*v, "/run/secrets/") {
				ref := strings.TrimPrefix(*v, "/run/secrets/")
				found := false
				for _, sec := range s.Secrets {
					if sec.Source == ref && (sec.Target == "" || sec.Target == ref || sec.Target == *v) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: %s: %s points at secret %q that the service does not mount", rel, name, k, ref)
				}
			}
		}
		for _, sec := range s.Secrets {
			if _, ok := p.Secrets[sec.Source]; !ok {
				t.Errorf("%s: %s: secret %q is not declared", rel, name, sec.Source)
			}
		}
		for _, port := range s.Ports {
			if port.Published != "" && name != "nginx" && port.HostIP != "127.0.0.1" {
				t.Errorf("%s: %s publishes %s on all interfaces; only nginx faces the network", rel, name, port.Published)
			}
		}
	}

	for _, name := range []string{"coffer", "migrate"} {
		s := p.Services[name]
		if !s.ReadOnly {
			t.Errorf("%s: %s: read_only root filesystem required", rel, name)
		}
		if len(s.CapDrop) != 1 || s.CapDrop[0] != "ALL" {
			t.Errorf("%s: %s: cap_drop [ALL] required", rel, name)
		}
		if uid := strings.SplitN(s.User, ":", 2)[0]; uid == "" || uid == "0" || uid == "root" {
			t.Errorf("%s: %s: non-root user required, got %q", rel, name, s.User)
		}
		if !contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: %s: security_opt no-new-privileges:true required", rel, name)
		}
		for _, k := range []string{"JWT_SECRET_FILE", "ENCRYPTION_KEY_FILE", "DATABASE_URL_FILE", "REDIS_URL_FILE"} {
			if _, ok := s.Environment[k]; !ok {
				t.Errorf("%s: %s: %s missing", rel, name, k)
			}
		}
	}

	c := p.Services["coffer"]
	if c.Deploy.Replicas == nil || *c.Deploy.Replicas < 2 {
		t.Errorf("%s: coffer needs at least 2 replicas", rel)
	}
	if len(c.Ports) != 0 {
		t.Errorf("%s: coffer replicas must not publish ports (nginx fronts them)", rel)
	}
	if d, ok := c.DependsOn["migrate"]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("%s: coffer must wait for migrate (service_completed_successfully)", rel)
	}
	if c.StopGracePeriod == nil || *c.StopGracePeriod <= types.Duration(20e9) {
		t.Errorf("%s: coffer stop_grace_period must exceed SHUTDOWN_TIMEOUT (20s), which includes the drain", rel)
	}
	if cmd := strings.Join(p.Services["migrate"].Command, " "); cmd != "migrate up" {
		t.Errorf("%s: migrate runs %q, want \"migrate up\"", rel, cmd)
	}
	if cmd := strings.Join(p.Services["redis"].Command, " "); !strings.Contains(cmd, "--appendonly yes") {
		t.Errorf("%s: redis must persist with AOF (--appendonly yes)", rel)
	}
	if !p.Networks["backend"].Internal {
		t.Errorf("%s: the backend network must be internal", rel)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
