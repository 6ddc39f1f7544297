// Package api is Coffer's HTTP API contract: the OpenAPI 3.1 document
// (openapi.yaml) and the Go types generated from it (types.gen.go). The
// server, the Go client and the web client all take their wire shapes from
// here, so the document is the one place a shape changes.
package api

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi.yaml
//go:generate go run ./collections -dir collections

//go:embed openapi.yaml
var spec []byte

// Spec returns the OpenAPI document as written (YAML). The caller must not
// modify the returned slice.
func Spec() []byte { return spec }

// JSON returns the OpenAPI document converted to JSON, as served at
// /api/v1/openapi.json. Keys keep the order of the YAML so that rendered
// documentation follows the document. The conversion runs once.
func JSON() ([]byte, error) {
	b, err := specJSON()
	if err != nil {
		return nil, err
	}
	return slices.Clone(b), nil
}

// Operation is one method on one path of the document.
type Operation struct {
	Method      string // upper case, e.g. "GET"
	Path        string // as written in the document, e.g. "/api/v1/projects/{project}"
	OperationID string
	// Deprecated is the operation's `deprecated: true`; the server's route
	// table marks the same routes (see docs/api-versioning.md).
	Deprecated bool
}

// Operations lists every operation of the document in document order, so
// that the server's route table can be checked against the contract in both
// directions.
func Operations() []Operation {
	ops, err := specOperations()
	if err != nil {
		// The document is embedded and its tests parse it; failing here
		// means the binary was built from a broken document.
		panic(fmt.Sprintf("api: parse embedded openapi.yaml: %v", err))
	}
	return slices.Clone(ops)
}

var (
	specRoot = sync.OnceValues(func() (*yaml.Node, error) {
		var doc yaml.Node
		if err := yaml.Unmarshal(spec, &doc); err != nil {
			return nil, fmt.Errorf("parse openapi.yaml: %w", err)
		}
		if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
			return nil, fmt.Errorf("openapi.yaml: want one YAML document")
		}
		return doc.Content[0], nil
	})
	specJSON = sync.OnceValues(func() ([]byte, error) {
		root, err := specRoot()
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := writeJSON(&buf, root); err != nil {
			return nil, fmt.Errorf("convert openapi.yaml to JSON: %w", err)
		}
		return buf.Bytes(), nil
	})
	specOperations = sync.OnceValues(func() ([]Operation, error) {
		root, err := specRoot()
		if err != nil {
			return nil, err
		}
		return operations(root)
	})
)

// httpMethods are the keys of a path item that name operations; the others
// (parameters, summary, …) are skipped.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func operations(root *yaml.Node) ([]Operation, error) {
	paths := mappingValue(root, "paths")
	if paths == nil || paths.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("openapi.yaml: no paths")
	}
	var ops []Operation
	for i := 0; i+1 < len(paths.Content); i += 2 {
		path, item := paths.Content[i].Value, paths.Content[i+1]
		for j := 0; j+1 < len(item.Content); j += 2 {
			method := item.Content[j].Value
			if !slices.Contains(httpMethods, method) {
				continue
			}
			id := mappingValue(item.Content[j+1], "operationId")
			if id == nil || id.Value == "" {
				return nil, fmt.Errorf("openapi.yaml: %s %s has no operationId", method, path)
			}
			deprecated, err := boolValue(item.Content[j+1], "deprecated")
			if err != nil {
				return nil, fmt.Errorf("openapi.yaml: %s %s: %w", method, path, err)
			}
			ops = append(ops, Operation{Method: strings.ToUpper(method), Path: path, OperationID: id.Value, Deprecated: deprecated})
		}
	}
	return ops, nil
}

// boolValue returns the boolean value of key in mapping node m, false when
// the key is absent.
func boolValue(m *yaml.Node, key string) (bool, error) {
	n := mappingValue(m, key)
	if n == nil {
		return false, nil
	}
	var b bool
	if n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		return false, fmt.Errorf("line %d: %s is not a boolean", n.Line, key)
	}
	return b, nil
}

// mappingValue returns the value of key in mapping node m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// writeJSON writes n as JSON. It walks the node tree rather than decoding
// into maps so that key order survives (encoding/json sorts map keys).
func writeJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: want one document", n.Line)
		}
		return writeJSON(buf, n.Content[0])
	case yaml.AliasNode:
		return writeJSON(buf, n.Alias)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				return fmt.Errorf("line %d: unsupported mapping key", k.Line)
			}
			if err := writeString(buf, k.Value); err != nil {
				return err
			}
			buf.WriteByte(':')
			if err := writeJSON(buf, n.Content[i+1]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		if err := writeScalarNode(buf, n); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		return nil
	}
	return fmt.Errorf("line %d: unsupported YAML node kind %d", n.Line, n.Kind)
}

func writeScalarNode(buf *bytes.Buffer, n *yaml.Node) error {
	switch tag := n.ShortTag(); tag {
	case "!!null":
		buf.WriteString("null")
		return nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		b, err := json.Marshal(v) // fails on .inf and .nan, which JSON lacks
		if err != nil {
			return err
		}
		buf.Write(b)
		return nil
	default:
		// Strings, and timestamps, which JSON can only carry as text.
		return writeString(buf, n.Value)
	}
}

func writeString(buf *bytes.Buffer, s string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}
