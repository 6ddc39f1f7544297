// Command collections writes the Postman (Collection v2.1) and Insomnia
// (export format 4) collections of the Coffer API from api/openapi.yaml:
// one folder per tag, bearer authentication through a variable, example
// bodies built from the schemas, and baseUrl and path parameters as
// variables. `go generate ./api` runs it; with -check it writes nothing and
// fails when the committed files differ from a fresh generation (CI runs
// that from scripts/lint.sh).
//
//	go run ./api/collections -dir api/collections          # regenerate
//	go run ./api/collections -dir api/collections -check   # fail when stale
//
// It lives in the api module's tree and uses only what the api package
// already needs (the embedded document and a YAML parser), so the server's
// go.mod gains nothing.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/cofferhq/coffer/api"
)

// The files the command writes into -dir.
const (
	postmanFile  = "coffer.postman_collection.json"
	insomniaFile = "coffer.insomnia.json"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("collections", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "directory of the collection files")
	check := fs.Bool("check", false, "write nothing; exit 1 when the files in -dir are not what generation makes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files, err := generate(api.Spec())
	if err != nil {
		fmt.Fprintf(stderr, "collections: %v\n", err)
		return 1
	}
	if *check {
		stale := staleFiles(*dir, files)
		for _, name := range stale {
			fmt.Fprintf(stderr, "%s is stale: run `go generate ./api` and commit the result\n", filepath.Join(*dir, name))
		}
		if len(stale) > 0 {
			return 1
		}
		fmt.Fprintf(stdout, "collections in %s are up to date\n", *dir)
		return 0
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(*dir, name), files[name], 0o644); err != nil {
			fmt.Fprintf(stderr, "collections: %v\n", err)
			return 1
		}
	}
	return 0
}

// generate makes the collection files from the OpenAPI document src.
func generate(src []byte) (map[string][]byte, error) {
	s, err := parseSpec(src)
	if err != nil {
		return nil, err
	}
	if err := checkOverrides(s); err != nil {
		return nil, err
	}
	vars := variables(s)
	pm, err := postman(s, vars)
	if err != nil {
		return nil, fmt.Errorf("postman: %w", err)
	}
	in, err := insomnia(s, vars)
	if err != nil {
		return nil, fmt.Errorf("insomnia: %w", err)
	}
	return map[string][]byte{postmanFile: pm, insomniaFile: in}, nil
}

// checkOverrides fails when a script or body example names an operation
// the document no longer has, or one without a body: a rename in the
// document must not silently drop them.
func checkOverrides(s *spec) error {
	ops := map[string]operation{}
	for _, op := range s.ops {
		ops[op.id] = op
	}
	for _, id := range slices.Sorted(maps.Keys(postmanScripts)) {
		if _, ok := ops[id]; !ok {
			return fmt.Errorf("postmanScripts names operation %q, which the document does not have", id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(bodyExamples)) {
		if op, ok := ops[id]; !ok || op.body == nil {
			return fmt.Errorf("bodyExamples names operation %q, which the document does not have or which takes no body", id)
		}
	}
	return nil
}

// staleFiles lists the files in dir that differ from files or are missing.
func staleFiles(dir string, files map[string][]byte) []string {
	var stale []string
	for _, name := range slices.Sorted(maps.Keys(files)) {
		have, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			stale = append(stale, name)
			continue
		}
		if !bytes.Equal(have, files[name]) {
			stale = append(stale, name)
		}
	}
	return stale
}
