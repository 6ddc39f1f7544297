package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/joho/godotenv"
	"go.yaml.in/yaml/v3"
)

// validExportFormat reports whether `secrets export` knows format.
func validExportFormat(format string) bool {
	switch format {
	case "dotenv", "json", "yaml", "k8s":
		return true
	}
	return false
}

// exportSecrets renders values in format; keys come out sorted in every
// format, so that exports diff cleanly.
func exportSecrets(values map[string]string, format, name string) ([]byte, error) {
	switch format {
	case "dotenv":
		// The server's dotenv export uses the same function: one quoting.
		s, err := godotenv.Marshal(values)
		if err != nil {
			return nil, fmt.Errorf("export dotenv: %w", err)
		}
		if s != "" {
			s += "\n"
		}
		return []byte(s), nil
	case "json":
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(values); err != nil {
			return nil, fmt.Errorf("export json: %w", err)
		}
		return buf.Bytes(), nil
	case "yaml":
		return marshalYAML(values)
	case "k8s":
		return marshalYAML(k8sSecret(values, name))
	}
	return nil, usagef("unknown export format %q", format)
}

func marshalYAML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("export yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("export yaml: %w", err)
	}
	return buf.Bytes(), nil
}

// secretManifest is a Kubernetes core/v1 Secret. Values go in data,
// base64-encoded, because data carries any bytes where stringData would
// be rewritten by kubectl apply on every run.
type secretManifest struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   manifestMetadata  `yaml:"metadata"`
	Type       string            `yaml:"type"`
	Data       map[string]string `yaml:"data"`
}

type manifestMetadata struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

func k8sSecret(values map[string]string, name string) secretManifest {
	data := make(map[string]string, len(values))
	for k, v := range values {
		data[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	return secretManifest{
		APIVersion: "v1",
		Kind:       "Secret",
		Metadata: manifestMetadata{
			Name:   dnsName(name),
			Labels: map[string]string{"app.kubernetes.io/managed-by": "coffer"},
		},
		Type: "Opaque",
		Data: data,
	}
}

// dnsName makes name a valid object name (RFC 1123 subdomain): lower
// case, [a-z0-9.-], starting and ending alphanumeric, at most 253 bytes.
func dnsName(name string) string {
	b := []byte(strings.ToLower(name))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' {
			b[i] = '-'
		}
	}
	if len(b) > 253 {
		b = b[:253]
	}
	s := strings.Trim(string(b), ".-")
	if s == "" {
		return "coffer-secrets"
	}
	return s
}
