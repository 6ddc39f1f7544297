package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// spec is the part of the OpenAPI document the collections are made of,
// in document order.
type spec struct {
	root        *yaml.Node
	title       string
	version     string
	description string
	tags        []tag
	ops         []operation
}

// tag is one folder of the collections.
type tag struct{ name, description string }

// operation is one request of the collections.
type operation struct {
	id, method, path     string
	tag                  string
	summary, description string
	deprecated           bool
	anonymous            bool // security: [] (no credentials)
	params               []param
	body                 *body
}

// param is a path, query or header parameter with an example value.
type param struct {
	name, in, description string
	required              bool
	example               any
}

// body is the request body in its first content type, with an example.
type body struct {
	contentType string
	example     any // an ordered JSON value, or a string for text bodies
	others      []string
}

// stateChanging reports whether a cookie-authenticated call of op needs
// the CSRF token.
func (op operation) stateChanging() bool {
	return op.method != "GET" && op.method != "HEAD" && op.method != "OPTIONS"
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// parseSpec reads the document.
func parseSpec(src []byte) (*spec, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("openapi.yaml: want one YAML document")
	}
	s := &spec{root: doc.Content[0]}
	info := get(s.root, "info")
	s.title, s.version, s.description = str(get(info, "title")), str(get(info, "version")), str(get(info, "description"))
	for _, t := range seq(get(s.root, "tags")) {
		s.tags = append(s.tags, tag{name: str(get(t, "name")), description: str(get(t, "description"))})
	}
	paths := get(s.root, "paths")
	if paths == nil {
		return nil, errors.New("openapi.yaml: no paths")
	}
	for i := 0; i+1 < len(paths.Content); i += 2 {
		path, item := paths.Content[i].Value, paths.Content[i+1]
		for j := 0; j+1 < len(item.Content); j += 2 {
			method := item.Content[j].Value
			if !slices.Contains(httpMethods, method) {
				continue
			}
			op, err := s.operation(strings.ToUpper(method), path, item, item.Content[j+1])
			if err != nil {
				return nil, fmt.Errorf("openapi.yaml: %s %s: %w", method, path, err)
			}
			s.ops = append(s.ops, op)
		}
	}
	return s, nil
}

func (s *spec) operation(method, path string, item, n *yaml.Node) (operation, error) {
	op := operation{
		id: str(get(n, "operationId")), method: method, path: path,
		summary: str(get(n, "summary")), description: strings.TrimSpace(str(get(n, "description"))),
		deprecated: str(get(n, "deprecated")) == "true",
	}
	if op.id == "" {
		return op, errors.New("no operationId")
	}
	if tags := seq(get(n, "tags")); len(tags) > 0 {
		op.tag = tags[0].Value
	}
	if sec := get(n, "security"); sec != nil && len(sec.Content) == 0 {
		op.anonymous = true
	}
	// Path-level parameters first; an operation's own override by name and place.
	var all []*yaml.Node
	all = append(all, seq(get(item, "parameters"))...)
	all = append(all, seq(get(n, "parameters"))...)
	seen := map[string]int{}
	for _, pn := range all {
		pn, err := s.resolve(pn)
		if err != nil {
			return op, err
		}
		p := param{
			name: str(get(pn, "name")), in: str(get(pn, "in")),
			description: strings.TrimSpace(str(get(pn, "description"))),
			required:    str(get(pn, "required")) == "true",
		}
		if ex := get(pn, "example"); ex != nil {
			p.example = value(ex)
		} else if ex, ok := pathExamples[p.name]; ok && p.in == "path" {
			p.example = ex
		} else if p.example, err = s.example(get(pn, "schema"), p.name, 0); err != nil {
			return op, fmt.Errorf("parameter %s: %w", p.name, err)
		}
		key := p.in + " " + p.name
		if i, ok := seen[key]; ok {
			op.params[i] = p
			continue
		}
		seen[key] = len(op.params)
		op.params = append(op.params, p)
	}
	rb, err := s.resolve(get(n, "requestBody"))
	if err != nil {
		return op, err
	}
	if content := get(rb, "content"); content != nil && len(content.Content) >= 2 {
		b := &body{contentType: content.Content[0].Value}
		for i := 2; i+1 < len(content.Content); i += 2 {
			b.others = append(b.others, content.Content[i].Value)
		}
		media := content.Content[1]
		switch {
		case get(media, "example") != nil:
			b.example = value(get(media, "example"))
		case firstExample(get(media, "examples")) != nil:
			b.example = value(firstExample(get(media, "examples")))
		case bodyExamples[op.id] != nil:
			b.example = bodyExamples[op.id]
		default:
			if b.example, err = s.example(get(media, "schema"), "body", 0); err != nil {
				return op, fmt.Errorf("request body: %w", err)
			}
		}
		op.body = b
	}
	return op, nil
}

// Examples the document does not carry. The document's own `example`s
// win; these belong in openapi.yaml once the web client's generated types
// (web/src/lib/api.gen.ts) are regenerated along with it.
var (
	// bodyExamples are request bodies, by operationId, where one built from
	// the schema would mislead: createToken's grants exclude each other.
	// The email and password are the ones built for signup and login, so
	// that the auth folder runs top to bottom against a new instance.
	// createProject makes the project the path variable names.
	bodyExamples = map[string]object{
		"createToken":   {{"grant_type", "password"}, {"email", formatExamples["email"]}, {"password", "example-password"}},
		"createProject": {{"slug", pathExamples["project"]}, {"name", "Shop"}},
	}
	// pathExamples are path parameter values that name what an instance
	// has: a new project gets dev, staging and prod.
	pathExamples = map[string]string{"project": "shop", "env": "dev", "key": "DATABASE_URL"}
)

// firstExample is the value of the first entry of a media type's examples
// map (each an Example object with a value).
func firstExample(examples *yaml.Node) *yaml.Node {
	if examples == nil || examples.Kind != yaml.MappingNode || len(examples.Content) < 2 {
		return nil
	}
	return get(examples.Content[1], "value")
}

// resolve follows local $refs ("#/components/…").
func (s *spec) resolve(n *yaml.Node) (*yaml.Node, error) {
	for range 32 {
		ref := get(n, "$ref")
		if ref == nil {
			return n, nil
		}
		target, ok := strings.CutPrefix(ref.Value, "#/")
		if !ok {
			return nil, fmt.Errorf("$ref %q: only local references are supported", ref.Value)
		}
		n = s.root
		for _, part := range strings.Split(target, "/") {
			part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
			if n = get(n, part); n == nil {
				return nil, fmt.Errorf("$ref %q: not found", ref.Value)
			}
		}
	}
	return nil, errors.New("$ref chain too long")
}

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			if v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

// seq returns the items of sequence n (nil for anything else).
func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// str returns the text of scalar n ("" for anything else).
func str(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
