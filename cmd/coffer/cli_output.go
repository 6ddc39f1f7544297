package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// Values of --output.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// outputFlag adds --output to a list or get command and returns a function
// that checks its value when the command runs.
func outputFlag(cmd *cobra.Command) func() (string, error) {
	v := cmd.Flags().StringP("output", "o", outputTable, "output format: table or json (for scripts)")
	return func() (string, error) {
		switch *v {
		case outputTable, outputJSON:
			return *v, nil
		}
		return "", usagef("--output must be table or json, not %q", *v)
	}
}

// printJSON writes v indented, one document per command, for scripts.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printTable writes rows under header, columns aligned with spaces so that
// the output reads the same in every terminal and in golden files.
func printTable(w io.Writer, header []string, rows [][]string) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// tabwriter pads an empty last cell; trailing blanks only upset diffs.
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// requireFlag fails with a usage error when a required value is missing;
// cobra's own check would not carry exit code 2.
func requireFlag(name, value string) error {
	if value == "" {
		return usagef("--%s is required", name)
	}
	return nil
}
