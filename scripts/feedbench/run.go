package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

func runRun(ctx context.Context, b *bench, args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	runs := fs.Int("runs", 100, "timed runs of each command")
	nSecrets := fs.Int("secrets", 20, "secrets in the environment")
	hyperfine := fs.Bool("hyperfine", true, "also measure with hyperfine when it is installed")
	pg := fs.String("pg", "", "PostgreSQL admin URL; a fresh database is created (default: SQLite in the work directory)")
	cli := fs.String("cli", "", "also time this client-only binary (go build -tags coffer_cli ./cmd/coffer)")
	_ = fs.Parse(args)

	in, owner, err := b.startSeeded(ctx, *pg)
	if err != nil {
		return err
	}
	var secrets []api.SecretInput
	for i := range *nSecrets {
		secrets = append(secrets, api.SecretInput{Key: fmt.Sprintf("SECRET_%02d", i), Value: fmt.Sprintf("value-%02d-0123456789abcdef0123456789abcdef", i)})
	}
	if _, err := owner.PutSecrets(ctx, benchProject, benchEnv, secrets, client.ImportOptions{}); err != nil {
		return fmt.Errorf("seed secrets: %w", err)
	}
	tokens, err := serviceTokens(ctx, owner, 1)
	if err != nil {
		return err
	}
	truePath, err := exec.LookPath("true")
	if err != nil {
		return err
	}
	home := filepath.Join(b.dir, "home")
	cliEnv := append(os.Environ(), "COFFER_ADDR="+in.URL, "COFFER_TOKEN="+tokens[0],
		"HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
	cofferArgs := []string{"run", "--project", benchProject, "--env", benchEnv, "--", truePath}

	run := func(name string, arg ...string) (time.Duration, error) {
		cmd := exec.CommandContext(ctx, name, arg...)
		cmd.Env = cliEnv
		start := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(start)
		if err != nil {
			return 0, fmt.Errorf("%s: %w\n%s", name, err, out)
		}
		return d, nil
	}
	for range 5 { // warm: the server's caches, the page cache, the CLI's bundle cache file
		if _, err := run(b.coffer, cofferArgs...); err != nil {
			return err
		}
	}
	// Interleaved, so that a change in the machine's load hits all alike.
	// `coffer --help` is the binary starting and exiting, no network: the
	// floor under any CLI command.
	var withCoffer, startOnly, withCLI, cliStartOnly, bare []time.Duration
	type timed struct {
		out  *[]time.Duration
		name string
		args []string
	}
	plan := []timed{{&withCoffer, b.coffer, cofferArgs}, {&startOnly, b.coffer, []string{"--help"}}}
	if *cli != "" {
		plan = append(plan, timed{&withCLI, *cli, cofferArgs}, timed{&cliStartOnly, *cli, []string{"--help"}})
	}
	plan = append(plan, timed{&bare, truePath, nil})
	for range *runs {
		for _, m := range plan {
			d, err := run(m.name, m.args...)
			if err != nil {
				return err
			}
			*m.out = append(*m.out, d)
		}
	}
	fmt.Printf("\n`coffer run` with a warm server, %d secrets, %d runs each (load average %s)\n", *nSecrets, *runs, loadAverage())
	printQuantiles("coffer run -- true", withCoffer)
	printQuantiles("coffer --help (start-up only)", startOnly)
	if *cli != "" {
		printQuantiles("coffer_cli run -- true", withCLI)
		printQuantiles("coffer_cli --help (start-up only)", cliStartOnly)
	}
	printQuantiles("true", bare)
	fmt.Printf("  overhead of coffer run (median − median of true)  %.2f ms\n", float64(median(withCoffer)-median(bare))/1e6)
	fmt.Printf("  of which the binary's start-up (coffer --help)     %.2f ms\n", float64(median(startOnly)-median(bare))/1e6)
	if *cli != "" {
		fmt.Printf("  overhead of the coffer_cli build's run             %.2f ms\n", float64(median(withCLI)-median(bare))/1e6)
		fmt.Printf("  of which its start-up                              %.2f ms\n", float64(median(cliStartOnly)-median(bare))/1e6)
	}

	if hf, err := exec.LookPath("hyperfine"); err == nil && *hyperfine {
		out := filepath.Join(b.dir, "hyperfine.json")
		hfArgs := []string{"-N", "--warmup", "5", "--runs", fmt.Sprint(*runs), "--export-json", out,
			shellQuote(append([]string{b.coffer}, cofferArgs...))}
		if *cli != "" {
			hfArgs = append(hfArgs, shellQuote(append([]string{*cli}, cofferArgs...)))
		}
		cmd := exec.CommandContext(ctx, hf, append(hfArgs, truePath)...) // true last: printHyperfine's baseline
		cmd.Env, cmd.Stdout, cmd.Stderr = cliEnv, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("hyperfine: %w", err)
		}
		return printHyperfine(out)
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// shellQuote joins args into one hyperfine command line (hyperfine -N
// splits it on spaces; none of ours hold one).
func shellQuote(args []string) string { return strings.Join(args, " ") }

func printHyperfine(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var res struct {
		Results []struct {
			Command string  `json:"command"`
			Median  float64 `json:"median"`
			Mean    float64 `json:"mean"`
			Stddev  float64 `json:"stddev"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return err
	}
	if len(res.Results) < 2 {
		return fmt.Errorf("hyperfine: %d results, want at least 2", len(res.Results))
	}
	t := res.Results[len(res.Results)-1]
	fmt.Printf("  hyperfine: true median %.2f ms, mean %.2f ± %.2f ms\n", t.Median*1e3, t.Mean*1e3, t.Stddev*1e3)
	for _, c := range res.Results[:len(res.Results)-1] {
		fmt.Printf("  hyperfine: %s\n    median %.2f ms, mean %.2f ± %.2f ms, overhead (median) %.2f ms\n",
			c.Command, c.Median*1e3, c.Mean*1e3, c.Stddev*1e3, (c.Median-t.Median)*1e3)
	}
	return nil
}
