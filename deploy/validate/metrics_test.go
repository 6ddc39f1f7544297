package validate

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The metrics the Coffer server exports (the contract with the server code).
// Histograms also expose _bucket, _sum and _count.
var cofferMetrics = map[string]bool{
	"coffer_http_requests_total":           true,
	"coffer_http_requests_in_flight":       true,
	"coffer_auth_failures_total":           true,
	"coffer_rate_limit_rejections_total":   true,
	"coffer_audit_writes_total":            true,
	"coffer_build_info":                    true,
	"coffer_redis_up":                      true,
	"coffer_ws_connections":                true,
	"coffer_ws_events_sent_total":          true,
	"coffer_ws_slow_consumer_closes_total": true,
	"coffer_max_open_connections":          true,
	"coffer_open_connections":              true,
	"coffer_in_use_connections":            true,
	"coffer_idle_connections":              true,
	"coffer_wait_count_total":              true,
	"coffer_wait_duration_seconds_total":   true,
	"coffer_max_idle_closed_total":         true,
	"coffer_max_idle_time_closed_total":    true,
	"coffer_max_lifetime_closed_total":     true,
	"process_start_time_seconds":           true,
	"process_resident_memory_bytes":        true,
	"process_cpu_seconds_total":            true,
	"process_open_fds":                     true,
	"process_max_fds":                      true,
	"go_goroutines":                        true,
	"up":                                   true,
	"node_filesystem_avail_bytes":          true,
	"node_filesystem_size_bytes":           true,
	"probe_ssl_earliest_cert_expiry":       true,
	"probe_success":                        true,
}

var cofferHistograms = []string{"coffer_http_request_duration_seconds", "coffer_audit_write_duration_seconds"}

func init() {
	for _, h := range cofferHistograms {
		for _, s := range []string{"_bucket", "_sum", "_count"} {
			cofferMetrics[h+s] = true
		}
	}
}

var (
	promStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promMatchers = regexp.MustCompile(`\{[^{}]*\}`)
	promRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
		"group_right": true, "and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true,
		"e": true}
)

// metricNames returns the metric names a PromQL expression selects: what is
// left after removing strings, label matchers, ranges, grouping clauses,
// function calls, $variables and numbers.
func metricNames(expr string) []string {
	e := promStrings.ReplaceAllString(expr, `""`)
	e = promMatchers.ReplaceAllString(e, " ")
	e = promRanges.ReplaceAllString(e, " ")
	e = promGrouping.ReplaceAllString(e, " ")
	e = regexp.MustCompile(`\$[a-zA-Z_]+`).ReplaceAllString(e, " ")
	var names []string
	for _, loc := range promIdent.FindAllStringIndex(e, -1) {
		word := e[loc[0]:loc[1]]
		rest := strings.TrimLeft(e[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") || promKeywords[strings.ToLower(word)] {
			continue // function or aggregation
		}
		if loc[0] > 0 && (e[loc[0]-1] >= '0' && e[loc[0]-1] <= '9' || e[loc[0]-1] == '.') {
			continue // exponent or unit in a number
		}
		names = append(names, word)
	}
	return names
}

func TestMetricNameExtraction(t *testing.T) {
	got := metricNames(`histogram_quantile(0.99, sum by (le) (rate(coffer_http_request_duration_seconds_bucket{route!="/api/v1/events"}[5m]))) > 1e3 and on(instance) up{job=~"$job"} == 1`)
	want := []string{"coffer_http_request_duration_seconds_bucket", "up"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want %v", got, want)
	}
}

type dashPanel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	GridPos    *struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string `json:"refId"`
		Expr       string `json:"expr"`
		Datasource *struct {
			Type string `json:"type"`
		} `json:"datasource"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

func TestGrafanaDashboard(t *testing.T) {
	const rel = "deploy/grafana/coffer-dashboard.json"
	var d struct {
		UID        string      `json:"uid"`
		Title      string      `json:"title"`
		Panels     []dashPanel `json:"panels"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
			} `json:"list"`
		} `json:"templating"`
	}
	dec := json.NewDecoder(strings.NewReader(string(readFile(t, rel))))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("%s: uid, title and panels required", rel)
	}
	ids := map[int]bool{}
	seen := map[string]bool{}
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("%s: duplicate panel id %d", rel, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("%s: panel %q: bad gridPos", rel, p.Title)
			}
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", rel, p.Title)
			}
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: panel %q target %s: empty expr", rel, p.Title, tg.RefID)
				}
				if tg.Datasource != nil && tg.Datasource.Type == "loki" {
					continue // LogQL, not PromQL
				}
				for _, m := range metricNames(tg.Expr) {
					seen[m] = true
					if !cofferMetrics[m] {
						t.Errorf("%s: panel %q queries unknown metric %q", rel, p.Title, m)
					}
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	// Every Coffer metric should be on the dashboard somewhere.
	var missing []string
	for _, m := range []string{"coffer_http_requests_total", "coffer_http_request_duration_seconds_bucket", "coffer_http_requests_in_flight",
		"coffer_auth_failures_total", "coffer_rate_limit_rejections_total", "coffer_audit_writes_total", "coffer_audit_write_duration_seconds_bucket",
		"coffer_build_info", "coffer_redis_up", "coffer_in_use_connections", "coffer_max_open_connections", "coffer_wait_duration_seconds_total"} {
		if !seen[m] {
			missing = append(missing, m)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s: metrics without a panel: %v", rel, missing)
	}
}

// Every alert expression selects metrics that exist.
func TestAlertRulesUseKnownMetrics(t *testing.T) {
	const rel = "deploy/prometheus/alerts.yml"
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(readFile(t, rel), &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			n++
			for _, m := range metricNames(r.Expr) {
				if !cofferMetrics[m] {
					t.Errorf("%s: %s uses unknown metric %q", rel, r.Alert, m)
				}
			}
		}
	}
	if n == 0 {
		t.Fatalf("%s: no rules", rel)
	}
}

// Loki and Promtail have no validator packaged here: check the structure
// and the wiring between the two and with Grafana.
func TestLokiPromtailConfig(t *testing.T) {
	var loki map[string]any
	if err := yaml.UnmarshalStrict(readFile(t, "deploy/loki/loki.yml"), &loki); err != nil {
		t.Fatalf("loki.yml: %v", err)
	}
	for _, k := range []string{"server", "common", "schema_config", "limits_config", "compactor"} {
		if loki[k] == nil {
			t.Errorf("loki.yml: %s missing", k)
		}
	}
	var pt struct {
		Server    map[string]any `json:"server"`
		Positions map[string]any `json:"positions"`
		Clients   []struct {
			URL string `json:"url"`
		} `json:"clients"`
		ScrapeConfigs []map[string]any `json:"scrape_configs"`
	}
	if err := yaml.UnmarshalStrict(readFile(t, "deploy/loki/promtail.yml"), &pt); err != nil {
		t.Fatalf("promtail.yml: %v", err)
	}
	if len(pt.Clients) != 1 || pt.Clients[0].URL != "http://loki:3100/loki/api/v1/push" {
		t.Errorf("promtail.yml: must push to the compose loki service")
	}
	if len(pt.ScrapeConfigs) == 0 {
		t.Errorf("promtail.yml: no scrape_configs")
	}
	ds := string(readFile(t, "deploy/grafana/provisioning/datasources/datasources.yml"))
	if !strings.Contains(ds, "http://loki:3100") || !strings.Contains(ds, "http://prometheus:9090") {
		t.Errorf("grafana datasources must point at the compose prometheus and loki services")
	}
}

// Every alert's runbook_url points at an existing section of docs/runbooks.md.
func TestAlertRunbooksExist(t *testing.T) {
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `json:"alert"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(readFile(t, "deploy/prometheus/alerts.yml"), &f); err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, l := range strings.Split(string(readFile(t, "docs/runbooks.md")), "\n") {
		if strings.HasPrefix(l, "## ") {
			anchors[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(l, "## ")))] = true
		}
	}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			u := r.Annotations["runbook_url"]
			_, anchor, ok := strings.Cut(u, "docs/runbooks.md#")
			if !ok || !anchors[anchor] {
				t.Errorf("%s: runbook_url %q has no section in docs/runbooks.md", r.Alert, u)
			}
			for _, k := range []string{"summary", "description"} {
				if r.Annotations[k] == "" {
					t.Errorf("%s: annotation %s missing", r.Alert, k)
				}
			}
		}
	}
}
