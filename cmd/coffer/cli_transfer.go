package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/joho/godotenv"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

func newSecretsImportCmd(t *target) *cobra.Command {
	var opts client.ImportOptions
	var format string
	cmd := &cobra.Command{
		Use:   "import FILE|-",
		Short: "Import a dotenv or JSON file into an environment, all or nothing",
		Long: `Import secrets from a dotenv file or a JSON object ({"KEY": "value", …})
in one change: either every key is written or none is. The format is taken
from the extension or the first character unless --format says it. --prune
also deletes the keys the file does not name; --dry-run shows what would
change and changes nothing.`,
		Example: "  coffer secrets import .env -p shop -e dev --dry-run\n" +
			"  kubectl get secret app -o json | jq .data | … | coffer secrets import - -p shop -e prod --format json",
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "report what would change, change nothing")
	cmd.Flags().BoolVar(&opts.Prune, "prune", false, "also delete the keys the file does not name")
	cmd.Flags().StringVar(&format, "format", "auto", "input format: auto, dotenv or json")
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		if err := t.check(); err != nil {
			return err
		}
		raw, err := readInput(cmd, args[0])
		if err != nil {
			return err
		}
		values, err := parseImport(raw, args[0], format)
		if err != nil {
			return err
		}
		inputs := make([]api.SecretInput, 0, len(values))
		for _, k := range sortedKeys(values) {
			inputs = append(inputs, api.SecretInput{Key: k, Value: values[k]})
		}
		_, c, err := connect()
		if err != nil {
			return err
		}
		done := showProgress(cmd, fmt.Sprintf("Importing %d secrets into %s", len(inputs), t))
		res, err := c.PutSecrets(cmd.Context(), t.project, t.env, inputs, opts)
		done()
		if err != nil {
			return err
		}
		printImportSummary(cmd.OutOrStdout(), t, res)
		return nil
	})
	return cmd
}

// readInput reads a file, or standard input for "-".
func readInput(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

// parseImport reads dotenv or JSON. Dotenv goes through the same parser
// as the server's dotenv import and export, so a file round-trips.
func parseImport(raw []byte, name, format string) (map[string]string, error) {
	if format == "auto" {
		format = "dotenv"
		if strings.EqualFold(filepath.Ext(name), ".json") || bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			format = "json"
		}
	}
	switch format {
	case "dotenv":
		m, err := godotenv.UnmarshalBytes(raw)
		if err != nil {
			return nil, fmt.Errorf("parse %s as dotenv: %w", name, err)
		}
		return m, nil
	case "json":
		return parseJSONImport(raw, name)
	}
	return nil, usagef("--format must be auto, dotenv or json, not %q", format)
}

// parseJSONImport accepts one flat object; numbers and booleans become
// their JSON text, as {"PORT": 8080} is what people write.
func parseJSONImport(raw []byte, name string) (map[string]string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("parse %s as JSON: want one object of KEY: value: %w", name, err)
	}
	m := make(map[string]string, len(obj))
	for k, v := range obj {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			m[k] = s
			continue
		}
		switch t := strings.TrimSpace(string(v)); {
		case t == "true" || t == "false" || (t != "" && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))):
			m[k] = t
		default:
			return nil, fmt.Errorf("parse %s: %s: want a string, number or boolean", name, k)
		}
	}
	return m, nil
}

// showProgress tells the user a long import is under way. The import is
// one all-or-nothing request, so there is no per-key progress to show:
// on a terminal a line counts the seconds; elsewhere one line says it
// started. The returned function ends it.
func showProgress(cmd *cobra.Command, what string) func() {
	w := cmd.ErrOrStderr()
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(w, "%s…\n", what)
		return func() {}
	}
	start := time.Now()
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		fmt.Fprintf(w, "\r%s…", what)
		for {
			select {
			case <-stop:
				fmt.Fprintf(w, "\r%s… done in %s\n", what, time.Since(start).Round(time.Millisecond))
				return
			case <-tick.C:
				fmt.Fprintf(w, "\r%s… %ds", what, int(time.Since(start).Seconds()))
			}
		}
	}()
	return func() { close(stop); <-stopped }
}

func newSecretsExportCmd(t *target) *cobra.Command {
	var format, name string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Print the secrets of an environment as dotenv, JSON, YAML or a Kubernetes Secret",
		Example: "  coffer secrets export -p shop -e dev > .env\n" +
			"  coffer secrets export -p shop -e prod --format k8s --name shop | kubectl apply -f -",
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVarP(&format, "format", "f", "dotenv", "dotenv, json, yaml or k8s")
	cmd.Flags().StringVar(&name, "name", "", "metadata.name of the k8s Secret (default: PROJECT-ENV)")
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		if !validExportFormat(format) {
			return usagef("--format must be dotenv, json, yaml or k8s, not %q", format)
		}
		bundle, err := fetchBundle(cmd, t)
		if err != nil {
			return err
		}
		values := make(map[string]string, len(bundle.Secrets))
		for _, s := range bundle.Secrets {
			values[s.Key] = deref(s.Value)
		}
		if name == "" {
			name = t.project + "-" + t.env
		}
		out, err := exportSecrets(values, format, name)
		if err != nil {
			return err
		}
		_, err = cmd.OutOrStdout().Write(out)
		return err
	})
	return cmd
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
