package validate

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

const chartDir = "deploy/helm/coffer"

func chartPath(t *testing.T) string { return filepath.Join(repoRoot(t), chartDir) }

// `helm lint --strict`: the same linter, failing on warnings too.
func TestHelmLintStrict(t *testing.T) {
	for _, kube := range []string{"v1.28.0", "v1.31.0"} {
		kv, err := chartutil.ParseKubeVersion(kube)
		if err != nil {
			t.Fatal(err)
		}
		l := lint.AllWithKubeVersion(chartPath(t), nil, "coffer", kv)
		for _, m := range l.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint --strict (kube %s): %s", kube, m)
			}
		}
	}
}

type rendered struct {
	file string
	obj  runtime.Object
}

// render is `helm template` through the SDK: values are checked against
// values.schema.json, every manifest is decoded strictly (unknown or
// duplicate fields fail) into its typed Kubernetes object.
func render(t *testing.T, kube string, monitoring bool, overrides map[string]any) ([]rendered, error) {
	t.Helper()
	ch, err := loader.Load(chartPath(t))
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	kv, err := chartutil.ParseKubeVersion(kube)
	if err != nil {
		t.Fatal(err)
	}
	caps.KubeVersion = *kv
	if monitoring {
		caps.APIVersions = append(caps.APIVersions, "monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PrometheusRule")
	}
	vals, err := chartutil.ToRenderValues(ch, overrides, chartutil.ReleaseOptions{
		Name: "coffer", Namespace: "coffer", Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		return nil, err
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	return decodeAll(t, ch, out), nil
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

func decodeAll(t *testing.T, ch *chart.Chart, out map[string]string) []rendered {
	t.Helper()
	monScheme := runtime.NewScheme()
	if err := monitoringv1.AddToScheme(monScheme); err != nil {
		t.Fatal(err)
	}
	files := make([]string, 0, len(out))
	for f := range out {
		files = append(files, f)
	}
	sort.Strings(files)
	var objs []rendered
	for _, f := range files {
		if strings.HasSuffix(f, "NOTES.txt") || strings.HasSuffix(f, ".tpl") {
			continue
		}
		for _, doc := range docSep.Split(out[f], -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("%s: not YAML: %v\n%s", f, err, doc)
			}
			gv, err := schema.ParseGroupVersion(meta.APIVersion)
			if err != nil {
				t.Fatalf("%s: apiVersion %q: %v", f, meta.APIVersion, err)
			}
			gvk := gv.WithKind(meta.Kind)
			obj, err := scheme.Scheme.New(gvk)
			if err != nil {
				obj, err = monScheme.New(gvk)
			}
			if err != nil {
				t.Fatalf("%s: unknown kind %s", f, gvk)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s: strict decode of %s: %v\n%s", f, gvk, err, doc)
			}
			objs = append(objs, rendered{file: f, obj: obj})
		}
	}
	return objs
}

func stripComments(doc string) string {
	var b bytes.Buffer
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func find[T runtime.Object](objs []rendered) []T {
	var r []T
	for _, o := range objs {
		if v, ok := o.obj.(T); ok {
			r = append(r, v)
		}
	}
	return r
}

func TestHelmTemplateDefaults(t *testing.T) {
	objs, err := render(t, "v1.31.0", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[fmt.Sprintf("%T", o.obj)]++
	}
	for _, want := range []string{"*v1.Deployment", "*v1.Service", "*v1.Ingress", "*v2.HorizontalPodAutoscaler",
		"*v1.PodDisruptionBudget", "*v1.NetworkPolicy", "*v1.Job", "*v1.ServiceAccount", "*v1.ServiceMonitor", "*v1.PrometheusRule", "*v1.Pod"} {
		if kinds[want] == 0 {
			t.Errorf("rendered chart lacks %s (got %v)", want, kinds)
		}
	}

	deps := find[*appsv1.Deployment](objs)
	if len(deps) != 1 {
		t.Fatalf("want 1 Deployment, got %d", len(deps))
	}
	d := deps[0]
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
		pod.SecurityContext.SeccompProfile == nil || pod.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext: runAsNonRoot and seccomp RuntimeDefault required")
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container securityContext: readOnlyRootFilesystem, no privilege escalation, drop ALL required")
	}
	probe := func(name string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path {
			t.Errorf("%s probe must GET %s", name, path)
		}
	}
	probe("readiness", c.ReadinessProbe, "/health/ready")
	probe("liveness", c.LivenessProbe, "/health")
	probe("startup", c.StartupProbe, "/health")
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds != 5 {
		t.Errorf("preStop sleep of 5s (SHUTDOWN_DRAIN) expected on Kubernetes >= 1.30")
	}
	// SHUTDOWN_TIMEOUT counts from SIGTERM and includes the drain.
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g < 5+20 || *g > 5+20+10 {
		t.Errorf("terminationGracePeriodSeconds must cover preStop + SHUTDOWN_TIMEOUT with a little margin, not more")
	}
	mounts := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = true
	}
	if !mounts["/tmp"] || !mounts["/var/lib/coffer"] || !mounts["/var/run/secrets/coffer"] {
		t.Errorf("mounts: want /tmp, /var/lib/coffer and the secret files, got %v", mounts)
	}
	for _, e := range c.Env {
		if secretEnvName.MatchString(e.Name) && !strings.HasSuffix(e.Name, "_FILE") {
			t.Errorf("env %s: secrets must come from files (_FILE)", e.Name)
		}
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("automountServiceAccountToken must be false")
	}
	if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Errorf("rolling update must keep maxUnavailable 0")
	}

	for _, j := range find[*batchv1.Job](objs) {
		hook := j.Annotations["helm.sh/hook"]
		if hook != "pre-install,pre-upgrade" {
			t.Errorf("migration Job hook %q, want pre-install,pre-upgrade", hook)
		}
		if args := strings.Join(j.Spec.Template.Spec.Containers[0].Args, " "); args != "migrate up" {
			t.Errorf("migration Job runs %q", args)
		}
	}

	ing := find[*networkingv1.Ingress](objs)[0]
	if len(ing.Spec.TLS) == 0 || ing.Annotations["cert-manager.io/cluster-issuer"] == "" {
		t.Errorf("Ingress needs TLS and a cert-manager issuer annotation")
	}
	if ing.Annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] != "3600" {
		t.Errorf("Ingress needs a long read timeout for the WebSocket feed")
	}

	np := find[*networkingv1.NetworkPolicy](objs)[0]
	ports := map[int32]bool{}
	for _, r := range np.Spec.Egress {
		for _, p := range r.Ports {
			if p.Port != nil {
				ports[p.Port.IntVal] = true
			}
		}
	}
	for _, p := range []int32{53, 5432, 6379} {
		if !ports[p] {
			t.Errorf("NetworkPolicy egress must allow port %d", p)
		}
	}
	if len(np.Spec.Ingress) == 0 || len(np.Spec.Ingress[0].From) == 0 || np.Spec.Ingress[0].From[0].NamespaceSelector == nil {
		t.Errorf("NetworkPolicy ingress must come from the ingress controller's namespace")
	}

	// The chart's PrometheusRule is deploy/prometheus/alerts.yml verbatim.
	if !bytes.Equal(readFile(t, "deploy/prometheus/alerts.yml"), readFile(t, chartDir+"/files/alerts.yml")) {
		t.Errorf("%s/files/alerts.yml differs from deploy/prometheus/alerts.yml: cp deploy/prometheus/alerts.yml %s/files/", chartDir, chartDir)
	}
	rules := find[*monitoringv1.PrometheusRule](objs)
	if len(rules) != 1 || len(rules[0].Spec.Groups) == 0 {
		t.Errorf("PrometheusRule must carry the alert groups")
	}
}

// Without the Prometheus Operator CRDs (and on Kubernetes < 1.30) the chart
// still renders: no ServiceMonitor/PrometheusRule, no preStop sleep.
func TestHelmTemplateOldClusterNoOperator(t *testing.T) {
	objs, err := render(t, "v1.28.0", false, map[string]any{"autoscaling": map[string]any{"enabled": false}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(find[*monitoringv1.ServiceMonitor](objs)) + len(find[*monitoringv1.PrometheusRule](objs)); n != 0 {
		t.Errorf("monitoring objects rendered without the CRDs")
	}
	d := find[*appsv1.Deployment](objs)[0]
	if d.Spec.Template.Spec.Containers[0].Lifecycle != nil {
		t.Errorf("preStop sleep rendered for Kubernetes 1.28")
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("without autoscaling, replicas must be >= 2")
	}
}

// values.schema.json must reject typos and secrets in plain config.
func TestHelmValuesSchemaRejects(t *testing.T) {
	for name, v := range map[string]map[string]any{
		"unknown top-level key": {"replicaCont": 2},
		"secret in config":      {"config": map[string]any{"JWT_SECRET": "x"}},
		"bad APP_ENV":           {"config": map[string]any{"APP_ENV": "prod"}},
		"single replica HPA":    {"autoscaling": map[string]any{"minReplicas": 1}},
		"unknown secret key":    {"existingSecret": map[string]any{"keys": map[string]any{"JWT_SECRT": "x"}}},
	} {
		if _, err := render(t, "v1.31.0", false, v); err == nil {
			t.Errorf("values %q (%v) accepted, want a schema error", name, v)
		}
	}
}

// The per-environment values used by the release workflow render cleanly.
func TestHelmEnvironmentValues(t *testing.T) {
	for _, env := range []string{"staging", "production"} {
		var v map[string]any
		if err := yaml.UnmarshalStrict(readFile(t, "deploy/helm/environments/"+env+".yaml"), &v); err != nil {
			t.Fatalf("%s.yaml: %v", env, err)
		}
		objs, err := render(t, "v1.31.0", true, v)
		if err != nil {
			t.Fatalf("%s.yaml: %v", env, err)
		}
		if len(find[*appsv1.Deployment](objs)) != 1 {
			t.Errorf("%s.yaml: no Deployment rendered", env)
		}
	}
}
