package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// object is a JSON object that keeps its members in document order
// (encoding/json sorts map keys, which would scramble request bodies).
type object []member

type member struct {
	key   string
	value any
}

// MarshalJSON implements json.Marshaler.
func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := compact(m.key)
		if err != nil {
			return nil, err
		}
		v, err := compact(m.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.key, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// compact is json.Marshal without HTML escaping.
func compact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// value converts a YAML example into an ordered JSON value.
func value(n *yaml.Node) any {
	switch n.Kind {
	case yaml.AliasNode:
		return value(n.Alias)
	case yaml.MappingNode:
		o := object{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			o = append(o, member{n.Content[i].Value, value(n.Content[i+1])})
		}
		return o
	case yaml.SequenceNode:
		a := []any{}
		for _, c := range n.Content {
			a = append(a, value(c))
		}
		return a
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err == nil {
			return v
		}
	}
	return n.Value
}

// maxDepth bounds the example of a recursive schema.
const maxDepth = 8

// Examples of well-known string formats; every one is valid for its format.
var formatExamples = map[string]string{
	"email":     "ada@example.com",
	"uuid":      "00000000-0000-4000-8000-000000000000",
	"date-time": "2030-01-01T00:00:00Z",
	"date":      "2030-01-01",
	"uri":       "https://example.com/",
	"hostname":  "example.com",
	"ipv4":      "192.0.2.1",
}

// example makes a value that the schema accepts: the schema's own example,
// const, default or first enum value when it has one, otherwise one built
// from its type. name is the property or parameter the schema describes; it
// makes generated strings readable ("example-project").
func (s *spec) example(n *yaml.Node, name string, depth int) (any, error) {
	if n == nil {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, errors.New("schema nests too deep for an example")
	}
	n, err := s.resolve(n)
	if err != nil {
		return nil, err
	}
	if ex := get(n, "example"); ex != nil {
		return value(ex), nil
	}
	for _, key := range []string{"examples", "enum"} {
		if items := seq(get(n, key)); len(items) > 0 {
			return value(items[0]), nil
		}
	}
	for _, key := range []string{"const", "default"} {
		if v := get(n, key); v != nil {
			return value(v), nil
		}
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		if alts := seq(get(n, key)); len(alts) > 0 {
			return s.example(alts[0], name, depth+1)
		}
	}
	if parts := seq(get(n, "allOf")); len(parts) > 0 {
		return s.allOf(parts, name, depth)
	}
	switch schemaType(n) {
	case "object":
		return s.objectExample(n, depth)
	case "array":
		item, err := s.example(get(n, "items"), singular(name), depth+1)
		if err != nil {
			return nil, err
		}
		return []any{item}, nil
	case "integer", "number":
		if min := get(n, "minimum"); min != nil {
			return value(min), nil
		}
		return 1, nil
	case "boolean":
		return false, nil
	case "null":
		return nil, nil
	}
	return stringExample(n, name), nil
}

func (s *spec) objectExample(n *yaml.Node, depth int) (any, error) {
	o := object{}
	props := get(n, "properties")
	if props == nil {
		return o, nil
	}
	for i := 0; i+1 < len(props.Content); i += 2 {
		key, schema := props.Content[i].Value, props.Content[i+1]
		if r, err := s.resolve(schema); err == nil && str(get(r, "readOnly")) == "true" {
			continue // the server sets it; a request must not
		}
		v, err := s.example(schema, key, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		o = append(o, member{key, v})
	}
	return o, nil
}

// allOf merges the examples of object parts; the first other part wins.
func (s *spec) allOf(parts []*yaml.Node, name string, depth int) (any, error) {
	merged := object{}
	for _, p := range parts {
		v, err := s.example(p, name, depth+1)
		if err != nil {
			return nil, err
		}
		o, ok := v.(object)
		if !ok {
			return v, nil
		}
		merged = append(merged, o...)
	}
	return merged, nil
}

// schemaType is the schema's type; of a 3.1 type list, the first that is
// not "null". A schema with properties and no type is an object.
func schemaType(n *yaml.Node) string {
	t := get(n, "type")
	if t != nil && t.Kind == yaml.SequenceNode {
		for _, c := range t.Content {
			if c.Value != "null" {
				return c.Value
			}
		}
		return "null"
	}
	if t == nil && get(n, "properties") != nil {
		return "object"
	}
	return str(t)
}

// stringExample builds a string for a schema without an example: the
// format's example, or "example-<name>" fitted to the length limits, or
// "example" when the pattern refuses the longer form.
func stringExample(n *yaml.Node, name string) string {
	if ex, ok := formatExamples[str(get(n, "format"))]; ok {
		return ex
	}
	candidates := []string{"example-" + strings.ReplaceAll(name, "_", "-"), "example", "EXAMPLE"}
	var pattern *regexp.Regexp
	if p := str(get(n, "pattern")); p != "" {
		pattern, _ = regexp.Compile(p)
	}
	minLen, _ := strconv.Atoi(str(get(n, "minLength")))
	maxLen, _ := strconv.Atoi(str(get(n, "maxLength")))
	for _, c := range candidates {
		if len(c) < minLen {
			c += strings.Repeat("x", minLen-len(c))
		}
		if maxLen > 0 && len(c) > maxLen {
			c = c[:maxLen]
		}
		if pattern == nil || pattern.MatchString(c) {
			return c
		}
	}
	return candidates[0]
}

// singular names the items of an array property ("environments" →
// "environment"), so that their examples read naturally.
func singular(name string) string {
	if s, ok := strings.CutSuffix(name, "s"); ok && s != "" {
		return s
	}
	return name
}
