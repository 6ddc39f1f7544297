package config

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// envExample parses the repository's .env.example into name → value.
func envExample(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("malformed line %q", line)
		}
		if _, dup := vars[name]; dup {
			t.Fatalf("%s listed twice", name)
		}
		vars[name] = value
	}
	return vars
}

// TestEnvExample_DocumentsEveryVariable records every name Load asks for
// and checks .env.example lists each, and nothing Load does not read.
func TestEnvExample_DocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	var read []string
	Load(func(k string) (string, bool) {
		read = append(read, k)
		return "", false
	}, os.ReadFile)
	example := envExample(t)
	for _, name := range read {
		_, ok := example[name]
		if base, isFile := strings.CutSuffix(name, "_FILE"); isFile && !ok {
			_, ok = example[base] // NAME_FILE is documented once, in the header
		}
		if !ok {
			t.Errorf(".env.example does not document %s", name)
		}
	}
	for name := range example {
		if !slices.Contains(read, name) {
			t.Errorf(".env.example lists %s, which Load does not read", name)
		}
	}
}

func TestEnvExample_LoadsInDevelopment(t *testing.T) {
	t.Parallel()
	mustLoad(t, envExample(t), nil)
}

func TestEnvExample_PlaceholdersRefusedInProduction(t *testing.T) {
	t.Parallel()
	env := envExample(t)
	env["APP_ENV"] = EnvProduction
	_, problems := load(env, nil)
	for _, v := range []string{"ENCRYPTION_KEY", "JWT_SECRET"} {
		if !hasProblem(problems, v) {
			t.Errorf("the %s placeholder is accepted in production", v)
		}
	}
	if env["ENCRYPTION_KEY"] != exampleEncryptionKey {
		t.Errorf(".env.example ENCRYPTION_KEY is not the known placeholder exampleEncryptionKey")
	}
}
