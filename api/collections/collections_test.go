package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/api/apitest"
)

// TestCommittedCollectionsFresh fails when the committed files are not
// what generation makes from the committed openapi.yaml.
func TestCommittedCollectionsFresh(t *testing.T) {
	files, err := generate(api.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if stale := staleFiles(".", files); len(stale) > 0 {
		t.Fatalf("stale: %v; run `go generate ./api`", stale)
	}
}

// TestCheckFlag drives the command as lint.sh does: -check passes on a
// fresh generation and fails, naming the file, on an edited or missing one.
func TestCheckFlag(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run([]string{"-dir", dir}, &out, &errOut); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errOut.String())
	}
	if code := run([]string{"-dir", dir, "-check"}, &out, &errOut); code != 0 {
		t.Fatalf("check after generate: exit %d: %s", code, errOut.String())
	}
	edited := filepath.Join(dir, postmanFile)
	b, err := os.ReadFile(edited)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(edited, bytes.Replace(b, []byte("Coffer API"), []byte("Coffer API (edited)"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, insomniaFile)); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run([]string{"-dir", dir, "-check"}, &out, &errOut); code != 1 {
		t.Fatalf("check after an edit: exit %d, want 1", code)
	}
	for _, name := range []string{postmanFile, insomniaFile} {
		if !strings.Contains(errOut.String(), filepath.Join(dir, name)+" is stale") {
			t.Errorf("check output %q does not name %s", errOut.String(), name)
		}
	}
	if code := run([]string{"-no-such-flag"}, &out, &errOut); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}

// request is one request of either collection, reduced to what the
// coverage and validity tests compare.
type request struct {
	id, folder, method, path string // path as in the document: /api/v1/projects/{project}
	anonymous                bool
	headers                  map[string]string // enabled headers
	disabledHeaders          []string
	csrfScript               bool        // a collection script adds the CSRF header
	query                    [][2]string // every query parameter, enabled or not
	body                     string
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type kv struct {
	Key, Name, Value string
	Disabled         bool
}

// postmanRequests reads the committed Postman collection.
func postmanRequests(t *testing.T) ([]request, map[string]string) {
	var c struct {
		Info struct{ Schema string }
		Auth struct {
			Type   string
			Bearer []kv
		}
		Variable []kv
		Event    []struct {
			Listen string
			Script struct{ Exec []string }
		}
		Item []struct {
			Name string
			Item []struct {
				ID      string
				Request struct {
					Method string
					Header []kv
					URL    struct {
						Host, Path []string
						Query      []kv
						Variable   []kv
					}
					Body *struct{ Mode, Raw string }
					Auth *struct{ Type string }
				}
			}
		}
	}
	readJSON(t, postmanFile, &c)
	if c.Info.Schema != postmanSchema {
		t.Errorf("schema %q", c.Info.Schema)
	}
	if c.Auth.Type != "bearer" || len(c.Auth.Bearer) != 1 || c.Auth.Bearer[0].Value != "{{bearerToken}}" {
		t.Errorf("collection auth = %+v, want bearer {{bearerToken}}", c.Auth)
	}
	vars := map[string]string{}
	for _, v := range c.Variable {
		vars[v.Key] = v.Value
	}
	csrfScript := slices.ContainsFunc(c.Event, func(e struct {
		Listen string
		Script struct{ Exec []string }
	},
	) bool {
		return e.Listen == "prerequest" && strings.Contains(strings.Join(e.Script.Exec, "\n"), csrfHeader)
	})
	var reqs []request
	for _, f := range c.Item {
		for _, it := range f.Item {
			r := request{id: it.ID, folder: f.Name, method: it.Request.Method, headers: map[string]string{}, csrfScript: csrfScript}
			if !slices.Equal(it.Request.URL.Host, []string{"{{baseUrl}}"}) {
				t.Errorf("%s: host %v, want {{baseUrl}}", it.ID, it.Request.URL.Host)
			}
			segs := slices.Clone(it.Request.URL.Path)
			for i, s := range segs {
				if name, ok := strings.CutPrefix(s, ":"); ok {
					segs[i] = "{" + name + "}"
				}
			}
			r.path = "/" + strings.Join(segs, "/")
			r.anonymous = it.Request.Auth != nil && it.Request.Auth.Type == "noauth"
			for _, h := range it.Request.Header {
				if h.Disabled {
					r.disabledHeaders = append(r.disabledHeaders, h.Key)
				} else {
					r.headers[h.Key] = h.Value
				}
			}
			for _, q := range it.Request.URL.Query {
				r.query = append(r.query, [2]string{q.Key, q.Value})
			}
			for _, v := range it.Request.URL.Variable {
				if v.Value != "{{"+v.Key+"}}" {
					t.Errorf("%s: path variable %s = %q, want {{%s}}", it.ID, v.Key, v.Value, v.Key)
				}
			}
			if it.Request.Body != nil {
				r.body = it.Request.Body.Raw
			}
			reqs = append(reqs, r)
		}
	}
	return reqs, vars
}

// insomniaRequests reads the committed Insomnia export.
func insomniaRequests(t *testing.T) ([]request, map[string]string) {
	var e struct {
		Type      string `json:"_type"`
		Format    int    `json:"__export_format"`
		Resources []struct {
			ID             string `json:"_id"`
			Type           string `json:"_type"`
			ParentID       string `json:"parentId"`
			Name, Method   string
			URL            string
			Data           map[string]string
			Headers        []kv
			Parameters     []kv
			Body           struct{ MimeType, Text string }
			Authentication struct{ Type, Token string }
		}
	}
	readJSON(t, insomniaFile, &e)
	if e.Type != "export" || e.Format != 4 {
		t.Fatalf("not an Insomnia v4 export: _type %q, format %d", e.Type, e.Format)
	}
	folders := map[string]string{}
	vars := map[string]string{}
	var reqs []request
	varRef := regexp.MustCompile(`\{\{ _\.(\w+) \}\}`)
	for _, res := range e.Resources {
		switch res.Type {
		case "request_group":
			if res.ParentID != insomniaWorkspaceID {
				t.Errorf("folder %s: parent %q", res.ID, res.ParentID)
			}
			folders[res.ID] = res.Name
		case "environment":
			vars = res.Data
		case "request":
			folder, ok := folders[res.ParentID]
			if !ok {
				t.Errorf("%s: parent %q is not a folder listed before it", res.ID, res.ParentID)
			}
			rest, ok := strings.CutPrefix(res.URL, "{{ _.baseUrl }}")
			if !ok {
				t.Errorf("%s: url %q does not start with the baseUrl variable", res.ID, res.URL)
			}
			r := request{
				id: strings.TrimPrefix(res.ID, "req_"), folder: folder, method: res.Method,
				path:      varRef.ReplaceAllString(rest, "{$1}"),
				anonymous: res.Authentication.Type == "",
				headers:   map[string]string{}, body: res.Body.Text,
			}
			if !r.anonymous && (res.Authentication.Type != "bearer" || res.Authentication.Token != "{{ _.bearerToken }}") {
				t.Errorf("%s: authentication %+v, want bearer {{ _.bearerToken }}", res.ID, res.Authentication)
			}
			for _, h := range res.Headers {
				if h.Disabled {
					r.disabledHeaders = append(r.disabledHeaders, h.Name)
				} else {
					r.headers[h.Name] = h.Value
				}
			}
			for _, q := range res.Parameters {
				r.query = append(r.query, [2]string{q.Name, q.Value})
			}
			reqs = append(reqs, r)
		}
	}
	return reqs, vars
}

// documented is what the document says of each operation, read with a
// plain YAML decode rather than the generator's own parser.
type documented struct {
	method, path, tag string
	anonymous         bool
}

func documentedOperations(t *testing.T) map[string]documented {
	var doc struct {
		Paths map[string]map[string]yaml.Node // methods, and the path's parameters
	}
	if err := yaml.Unmarshal(api.Spec(), &doc); err != nil {
		t.Fatal(err)
	}
	ops := map[string]documented{}
	for _, op := range api.Operations() {
		var d struct {
			Tags     []string `yaml:"tags"`
			Security *[]any   `yaml:"security"`
		}
		n := doc.Paths[op.Path][strings.ToLower(op.Method)]
		if err := n.Decode(&d); err != nil {
			t.Fatalf("%s %s: %v", op.Method, op.Path, err)
		}
		ops[op.OperationID] = documented{
			method: op.Method, path: op.Path, tag: d.Tags[0],
			anonymous: d.Security != nil && len(*d.Security) == 0,
		}
	}
	return ops
}

// TestCollectionsCoverEveryOperation compares each committed collection
// with the document both ways: every operation once, with its method,
// path, tag folder and authentication, and nothing else.
func TestCollectionsCoverEveryOperation(t *testing.T) {
	want := documentedOperations(t)
	for name, read := range map[string]func(*testing.T) ([]request, map[string]string){
		postmanFile: postmanRequests, insomniaFile: insomniaRequests,
	} {
		t.Run(name, func(t *testing.T) {
			reqs, vars := read(t)
			if vars["baseUrl"] == "" {
				t.Error("no baseUrl variable")
			}
			seen := map[string]bool{}
			for _, r := range reqs {
				d, ok := want[r.id]
				switch {
				case !ok:
					t.Errorf("%s: not an operation of openapi.yaml", r.id)
					continue
				case seen[r.id]:
					t.Errorf("%s: twice", r.id)
				}
				seen[r.id] = true
				if r.method != d.method || r.path != d.path {
					t.Errorf("%s: %s %s, want %s %s", r.id, r.method, r.path, d.method, d.path)
				}
				if r.folder != d.tag {
					t.Errorf("%s: in folder %q, want its tag %q", r.id, r.folder, d.tag)
				}
				if r.anonymous != d.anonymous {
					t.Errorf("%s: anonymous %v, document says %v", r.id, r.anonymous, d.anonymous)
				}
				for _, seg := range strings.Split(r.path, "/") {
					if p, ok := pathParam(seg); ok && vars[p] == "" {
						t.Errorf("%s: path parameter %s has no variable", r.id, p)
					}
				}
				changes := d.method != "GET"
				hasCSRF := r.csrfScript || slices.Contains(r.disabledHeaders, csrfHeader) || r.headers[csrfHeader] != ""
				if changes && !d.anonymous && !hasCSRF {
					t.Errorf("%s: a state-changing call without the cookie sessions' %s header", r.id, csrfHeader)
				}
			}
			for id, d := range want {
				if !seen[id] {
					t.Errorf("%s (%s %s) is in openapi.yaml but not in the collection", id, d.method, d.path)
				}
			}
		})
	}
}

// TestExampleRequestsMatchContract sends nothing: it builds each request
// of the Postman collection with its variables filled in, every query
// parameter enabled, and validates it against the contract, so that an
// example body, query value or path value the server would refuse fails.
func TestExampleRequestsMatchContract(t *testing.T) {
	v, err := apitest.Validator()
	if err != nil {
		t.Fatal(err)
	}
	reqs, vars := postmanRequests(t)
	fill := func(s string) string {
		for k, val := range vars {
			s = strings.ReplaceAll(s, "{{"+k+"}}", val)
		}
		return s
	}
	for _, r := range reqs {
		if r.id == "events" {
			continue // a WebSocket upgrade, not a plain request
		}
		path := r.path
		for k, val := range vars {
			path = strings.ReplaceAll(path, "{"+k+"}", val)
		}
		var query []string
		for _, q := range r.query {
			query = append(query, q[0]+"="+q[1])
		}
		url := vars["baseUrl"] + path
		if len(query) > 0 {
			url += "?" + strings.Join(query, "&")
		}
		req, err := http.NewRequest(r.method, url, strings.NewReader(r.body))
		if err != nil {
			t.Errorf("%s: %v", r.id, err)
			continue
		}
		for k, val := range r.headers {
			req.Header.Set(k, fill(val))
		}
		if !r.anonymous {
			req.Header.Set("Authorization", "Bearer cof_pat_example")
		}
		if ok, errs := v.ValidateHttpRequest(req); !ok {
			for _, e := range errs {
				t.Errorf("%s %s %s: %s %s", r.id, r.method, url, e.Message, e.Reason)
				for _, se := range e.SchemaValidationErrors {
					t.Errorf("  %s: %s", se.KeywordLocation, se.Reason)
				}
			}
		}
	}
}

func TestExampleFromSchema(t *testing.T) {
	const doc = `
components:
  schemas:
    Slug: {type: string, pattern: '^[a-z0-9][a-z0-9-]{0,62}$'}
    Tree:
      type: object
      properties:
        name: {type: string}
        children: {type: array, items: {$ref: '#/components/schemas/Tree'}}
`
	for _, tt := range []struct {
		name, schema, want string
	}{
		{"Example", `{type: string, example: hello}`, `"hello"`},
		{"Examples", `{type: integer, examples: [7, 8]}`, `7`},
		{"Enum", `{type: string, enum: [read, read_write]}`, `"read"`},
		{"Const", `{const: 3}`, `3`},
		{"Default", `{type: boolean, default: true}`, `true`},
		{"Format", `{type: string, format: uuid}`, `"00000000-0000-4000-8000-000000000000"`},
		{"NamedString", `{type: string}`, `"example-field-name"`},
		{"MinLength", `{type: string, minLength: 20}`, `"example-field-namexx"`},
		{"MaxLength", `{type: string, maxLength: 7}`, `"example"`},
		{"PatternFallback", `{type: string, pattern: '^[A-Z]+$'}`, `"EXAMPLE"`},
		{"Ref", `{$ref: '#/components/schemas/Slug'}`, `"example-field-name"`},
		{"Minimum", `{type: integer, minimum: 5}`, `5`},
		{"Number", `{type: number}`, `1`},
		{"NullableList", `{type: ['null', boolean]}`, `false`},
		{"OneOf", `{oneOf: [{type: integer}, {type: string}]}`, `1`},
		{"AllOf", `{allOf: [{properties: {a: {type: integer}}}, {properties: {b: {type: boolean}}}]}`, `{"a":1,"b":false}`},
		{"ReadOnlySkipped", `{type: object, properties: {id: {type: string, readOnly: true}, n: {type: integer}}}`, `{"n":1}`},
		{"ArrayItemsSingular", `{type: array, items: {type: string}}`, `["example-field-name"]`},
		{"Recursive", `{$ref: '#/components/schemas/Tree'}`, ``},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var root, schema yaml.Node
			if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal([]byte(tt.schema), &schema); err != nil {
				t.Fatal(err)
			}
			s := &spec{root: root.Content[0]}
			v, err := s.example(schema.Content[0], "field_name", 0)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("example of a recursive schema = %v, want an error", v)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := compact(v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("example = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestOverridesMustExist: renaming an operation in the document must not
// silently drop its script or body example.
func TestOverridesMustExist(t *testing.T) {
	s, err := parseSpec(api.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkOverrides(s); err != nil {
		t.Fatalf("the committed document: %v", err)
	}
	for _, gone := range []string{"createToken", "login"} {
		t.Run(gone, func(t *testing.T) {
			renamed := *s
			renamed.ops = slices.DeleteFunc(slices.Clone(s.ops), func(op operation) bool { return op.id == gone })
			if err := checkOverrides(&renamed); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", gone)) {
				t.Errorf("without %s: checkOverrides = %v, want an error naming it", gone, err)
			}
		})
	}
}

func TestParseSpecErrors(t *testing.T) {
	for _, tt := range []struct{ name, doc, want string }{
		{"NoPaths", "openapi: 3.1.0\n", "no paths"},
		{"NoOperationID", "paths:\n  /x:\n    get: {summary: x}\n", "no operationId"},
		{"RemoteRef", "paths:\n  /x:\n    post:\n      operationId: x\n      requestBody: {$ref: 'other.yaml#/b'}\n", "only local references"},
		{"MissingRef", "paths:\n  /x:\n    post:\n      operationId: x\n      requestBody: {$ref: '#/components/requestBodies/b'}\n", "not found"},
		{"NotYAML", "paths: [\n", "parse openapi.yaml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := generate([]byte(tt.doc)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("generate = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

// TestAuthExamplesAgree: signup, login and createToken carry the same
// credentials, so that the auth folder runs in order against a new
// instance (Postman's runner, newman).
func TestAuthExamplesAgree(t *testing.T) {
	reqs, _ := postmanRequests(t)
	creds := map[string]string{}
	for _, r := range reqs {
		if r.id != "signup" && r.id != "login" && r.id != "createToken" {
			continue
		}
		var b struct{ Email, Password string }
		if err := json.Unmarshal([]byte(r.body), &b); err != nil {
			t.Fatalf("%s: %v", r.id, err)
		}
		creds[r.id] = b.Email + " " + b.Password
	}
	if len(creds) != 3 || creds["signup"] != creds["login"] || creds["login"] != creds["createToken"] {
		t.Errorf("credentials differ: %q", creds)
	}
}
