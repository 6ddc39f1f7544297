package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"go.yaml.in/yaml/v3"
)

// TestSpecValid validates the document against the OpenAPI 3.1 meta-schema
// and builds the model a renderer or generator would, so that a document
// that only oapi-codegen tolerates is caught here.
func TestSpecValid(t *testing.T) {
	doc, err := libopenapi.NewDocument(Spec())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Errorf("openapi version = %q, want 3.1.0", v)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("build model: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("new validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%v", e)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  line %d: %s: %s", se.Line, se.KeywordLocation, se.Reason)
			}
		}
	}
}

// wantOperations is the route list of DESIGN.md (less the WebSocket), with
// the routes Coffer added since (invitations, deleted secrets),
// and its stable operation ids; clients are generated against these names.
var wantOperations = []string{
	"POST /api/v1/auth/signup signup",
	"POST /api/v1/auth/login login",
	"POST /api/v1/auth/refresh refreshSession",
	"POST /api/v1/auth/logout logout",
	"POST /api/v1/auth/token createToken",
	"GET /api/v1/me getMe",
	"PATCH /api/v1/me updateMe",
	"DELETE /api/v1/me deleteMe",
	"GET /api/v1/me/export exportMe",
	"GET /api/v1/me/sessions listSessions",
	"DELETE /api/v1/me/sessions/{session} revokeSession",
	"GET /api/v1/me/tokens listPersonalTokens",
	"POST /api/v1/me/tokens createPersonalToken",
	"DELETE /api/v1/me/tokens/{token} revokePersonalToken",
	"GET /api/v1/projects listProjects",
	"POST /api/v1/projects createProject",
	"GET /api/v1/projects/{project} getProject",
	"PATCH /api/v1/projects/{project} updateProject",
	"DELETE /api/v1/projects/{project} deleteProject",
	"GET /api/v1/projects/{project}/members listMembers",
	"POST /api/v1/projects/{project}/members addMember",
	"PATCH /api/v1/projects/{project}/members/{user} updateMember",
	"DELETE /api/v1/projects/{project}/members/{user} removeMember",
	"GET /api/v1/projects/{project}/invitations listInvitations",
	"DELETE /api/v1/projects/{project}/invitations/{email} revokeInvitation",
	"GET /api/v1/projects/{project}/environments listEnvironments",
	"POST /api/v1/projects/{project}/environments createEnvironment",
	"GET /api/v1/projects/{project}/environments/{env} getEnvironment",
	"PATCH /api/v1/projects/{project}/environments/{env} updateEnvironment",
	"DELETE /api/v1/projects/{project}/environments/{env} deleteEnvironment",
	"GET /api/v1/projects/{project}/environments/{env}/secrets listSecrets",
	"PUT /api/v1/projects/{project}/environments/{env}/secrets putSecrets",
	"GET /api/v1/projects/{project}/environments/{env}/secrets/{key} getSecret",
	"PUT /api/v1/projects/{project}/environments/{env}/secrets/{key} putSecret",
	"DELETE /api/v1/projects/{project}/environments/{env}/secrets/{key} deleteSecret",
	"GET /api/v1/projects/{project}/environments/{env}/secrets/{key}/versions listSecretVersions",
	"POST /api/v1/projects/{project}/environments/{env}/secrets/{key}/rollback rollbackSecret",
	"GET /api/v1/projects/{project}/environments/{env}/deleted-secrets listDeletedSecrets",
	"GET /api/v1/projects/{project}/tokens listServiceTokens",
	"POST /api/v1/projects/{project}/tokens createServiceToken",
	"DELETE /api/v1/projects/{project}/tokens/{token} revokeServiceToken",
	"GET /api/v1/projects/{project}/audit listAudit",
	"GET /api/v1/auth/status authStatus",
	"GET /api/v1/events events",
	"GET /api/v1/openapi.json getOpenAPI",
	"GET /api/docs getAPIDocs",
	"GET /health health",
	"GET /health/ready healthReady",
	"GET /health/db healthDB",
	"GET /health/redis healthRedis",
	"GET /health/disk healthDisk",
	"GET /metrics metrics",
}

func TestOperations(t *testing.T) {
	var have []string
	for _, op := range Operations() {
		have = append(have, fmt.Sprintf("%s %s %s", op.Method, op.Path, op.OperationID))
	}
	for _, w := range wantOperations {
		if !slices.Contains(have, w) {
			t.Errorf("missing operation %s", w)
		}
	}
	for _, h := range have {
		if !slices.Contains(wantOperations, h) {
			t.Errorf("unexpected operation %s", h)
		}
	}
	// Operations returns a copy: a caller cannot corrupt the next caller's view.
	Operations()[0].Path = "/changed"
	if Operations()[0].Path == "/changed" {
		t.Error("Operations shares its slice")
	}
}

// TestJSON checks the JSON form carries the same document as the YAML and
// keeps its key order.
func TestJSON(t *testing.T) {
	b, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`{"openapi":"3.1.0","info":{`)) {
		t.Errorf("JSON starts %.40s, want the YAML's key order", b)
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal(b, &fromJSON); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if err := yaml.Unmarshal(Spec(), &fromYAML); err != nil {
		t.Fatal(err)
	}
	// Round-trip the YAML through encoding/json so numbers compare as float64.
	rt, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	fromYAML = nil
	if err := json.Unmarshal(rt, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		t.Error("JSON() differs from the YAML document")
	}
}

func TestWriteJSONScalars(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"a: 1", `{"a":1}`},
		{"a: 1.5", `{"a":1.5}`},
		{"a: true", `{"a":true}`},
		{"a: ~", `{"a":null}`},
		{"a: '1'", `{"a":"1"}`},
		{"a: 2026-01-02", `{"a":"2026-01-02"}`},
		{"x: &v [1, \"é\\n\"]\ny: *v", `{"x":[1,"é\n"],"y":[1,"é\n"]}`},
		{"200: ok", `{"200":"ok"}`},
	} {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(tt.yaml), &n); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := writeJSON(&buf, &n); err != nil {
			t.Errorf("%q: %v", tt.yaml, err)
			continue
		}
		if buf.String() != tt.want {
			t.Errorf("%q: got %s, want %s", tt.yaml, buf.String(), tt.want)
		}
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("a: .inf"), &n); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(new(bytes.Buffer), &n); err == nil {
		t.Error("infinity converted; JSON has no such number")
	}
}

// document is the YAML decoded into maps for the structural checks below.
func document(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(Spec(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func resolve(doc map[string]any, node any) map[string]any {
	m, _ := node.(map[string]any)
	for m != nil {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = doc
		for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[p]
		}
		m, _ = cur.(map[string]any)
	}
	return m
}

func eachOperation(doc map[string]any, fn func(name string, op map[string]any)) {
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if slices.Contains(httpMethods, method) {
				fn(strings.ToUpper(method)+" "+path, op.(map[string]any))
			}
		}
	}
}

// TestRequestBodiesClosed: the server rejects unknown fields, so every
// object a client may send says so, and generated clients learn it.
func TestRequestBodiesClosed(t *testing.T) {
	doc := document(t)
	var check func(where string, s map[string]any)
	check = func(where string, s map[string]any) {
		s = resolve(doc, s)
		switch s["type"] {
		case "object":
			if s["additionalProperties"] != false {
				t.Errorf("%s: request object without additionalProperties: false", where)
			}
			props, _ := s["properties"].(map[string]any)
			for _, name := range slices.Sorted(maps.Keys(props)) {
				check(where+"."+name, props[name].(map[string]any))
			}
		case "array":
			check(where+"[]", s["items"].(map[string]any))
		}
	}
	eachOperation(doc, func(name string, op map[string]any) {
		body := resolve(doc, op["requestBody"])
		if body == nil {
			return
		}
		for ct, media := range body["content"].(map[string]any) {
			check(name+" "+ct, media.(map[string]any)["schema"].(map[string]any))
		}
	})
}

// TestErrorsAreProblems: every error answer of the API is a Problem, so a
// client needs one error decoder.
func TestErrorsAreProblems(t *testing.T) {
	doc := document(t)
	eachOperation(doc, func(name string, op map[string]any) {
		if !strings.Contains(name, " /api/") {
			return // health and metrics answer in their own shapes
		}
		for code, resp := range op["responses"].(map[string]any) {
			if code != "default" && code < "400" {
				continue
			}
			r := resolve(doc, resp)
			content, _ := r["content"].(map[string]any)
			media, _ := content["application/problem+json"].(map[string]any)
			if media == nil {
				t.Errorf("%s %s: not application/problem+json", name, code)
				continue
			}
			if ref, _ := media["schema"].(map[string]any)["$ref"].(string); ref != "#/components/schemas/Problem" {
				t.Errorf("%s %s: schema %q, want Problem", name, code, ref)
			}
		}
		// The document and its rendering are static: no rate limit, and
		// nothing that fails on the server's side.
		static := name == "GET /api/v1/openapi.json" || name == "GET /api/docs"
		if _, ok := op["responses"].(map[string]any)["default"]; !ok && !static {
			t.Errorf("%s: no default (5xx) response", name)
		}
		if _, ok := op["responses"].(map[string]any)["429"]; !ok && !static {
			t.Errorf("%s: no 429 response", name)
		}
	})
}

// TestOperationsDeprecated: the `deprecated` flag of an operation reaches
// Operation, so that the route table can be checked against it; a value
// that is not a boolean is an error, not a silent false.
func TestOperationsDeprecated(t *testing.T) {
	parse := func(t *testing.T, src string) ([]Operation, error) {
		t.Helper()
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatal(err)
		}
		return operations(doc.Content[0])
	}
	ops, err := parse(t, `
paths:
  /old:
    get: {operationId: old, deprecated: true}
    put: {operationId: kept, deprecated: false}
  /new:
    get: {operationId: current}
`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, op := range ops {
		got[op.OperationID] = op.Deprecated
	}
	if want := map[string]bool{"old": true, "kept": false, "current": false}; !maps.Equal(got, want) {
		t.Errorf("deprecated flags = %v, want %v", got, want)
	}
	if _, err := parse(t, "paths:\n  /x:\n    get: {operationId: x, deprecated: 'yes'}\n"); err == nil {
		t.Error("a string deprecated flag was accepted")
	}
}
