//go:build !coffer_cli

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/config"
	"github.com/cofferhq/coffer/internal/heapfloor"
)

// addServerCommands registers the server and its operations commands on
// root. A coffer_cli build has none (cli_only.go).
func addServerCommands(root *cobra.Command) {
	root.AddCommand(
		newServerCmd(),
		newMigrateCmd(),
		newConfigCmd(),
		newAuditCmd(),
		newKeysCmd(),
		newBackupCmd(), // backup.go
		newHealthCmd(),
	)
}

// loadConfig reads the environment and reports every problem at once.
func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	cfg, problems := config.Load(os.LookupEnv, os.ReadFile)
	if len(problems) == 0 {
		return cfg, nil
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "The configuration has %d problem(s):\n", len(problems))
	for _, p := range problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	return nil, errors.New("invalid configuration")
}

func newServerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "server",
		Short: "Run the Coffer server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			logger := newLogger(cfg, cmd.ErrOrStderr())
			generated, err := config.EnsureDevKeys(cfg)
			if err != nil {
				return err
			}
			for _, name := range generated {
				logger.Warn("DEVELOPMENT ONLY: generated a key and stored it in the data directory; set it explicitly in production",
					"key", name, "data_dir", cfg.DataDir)
			}
			// The heap floor is the process's, not one Main's: tests run
			// several Mains in one process and leave the collector alone.
			if floor := heapfloor.Start(uint64(cfg.GCMinHeapMB) << 20); floor != nil {
				defer floor.Stop()
				logger.Info("garbage collector heap floor", "min_heap_mb", floor.Bytes()>>20, "gogc", floor.Base())
			}
			m := NewMain(cfg, logger)
			if err := m.Run(cmd.Context()); err != nil {
				logger.Error("start failed", "error", err)
				return err
			}
			return waitAndClose(cmd.Context(), m)
		},
	}
}

// waitAndClose blocks until SIGINT/SIGTERM, then shuts down gracefully; a
// second signal exits at once.
func waitAndClose(ctx context.Context, m *Main) error {
	<-ctx.Done()
	m.Logger.Info("shutting down", "drain", m.Config.ShutdownDrain, "timeout", m.Config.ShutdownTimeout)
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-again
		m.Logger.Error("second signal: exiting at once")
		os.Exit(1)
	}()
	sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	if err := m.Close(sctx, m.Config.ShutdownDrain); err != nil {
		m.Logger.Error("shutdown incomplete", "error", err)
		return err
	}
	m.Logger.Info("stopped")
	return nil
}

func newMigrateCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Apply, revert or list database migrations"}
	var steps int
	down := &cobra.Command{
		Use:   "down",
		Short: "Revert migrations (one by default; --steps 0 reverts all)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, mustExist, func(ctx context.Context, m *Main) error {
				return m.Store.MigrateDown(ctx, steps)
			})
		},
	}
	down.Flags().IntVar(&steps, "steps", 1, "how many migrations to revert; 0 reverts all")
	cmd.AddCommand(
		&cobra.Command{
			Use: "up", Short: "Apply every pending migration", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withStore(cmd, mayCreate, func(ctx context.Context, m *Main) error { return m.Store.MigrateUp(ctx) })
			},
		},
		down,
		&cobra.Command{
			Use: "status", Short: "List migrations and whether each is applied", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return withStore(cmd, mustExist, func(ctx context.Context, m *Main) error {
					st, err := m.Store.MigrationStatus(ctx)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "VERSION\tNAME\tAPPLIED")
					for _, s := range st {
						applied := "pending"
						if s.AppliedAt != nil {
							applied = s.AppliedAt.UTC().Format(time.RFC3339)
						}
						fmt.Fprintf(w, "%d\t%s\t%s\n", s.Version, s.Name, applied)
					}
					return w.Flush()
				})
			},
		},
	)
	return cmd
}

// What a command may find in place of its SQLite database.
const (
	mustExist = false // inspect or change an existing database
	mayCreate = true  // make a new one (migrate up, backup restore)
)

// withStore runs fn with the configured store open. A command that must
// find an existing SQLite database refuses a missing file rather than
// inspect a new, empty one in the wrong place.
func withStore(cmd *cobra.Command, create bool, fn func(context.Context, *Main) error) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	if cfg.SQLitePath != "" && !create {
		if _, err := os.Stat(cfg.SQLitePath); err != nil {
			return fmt.Errorf("no database at %s (DATA_DIR=%s): %w", cfg.SQLitePath, cfg.DataDir, err)
		}
	}
	m := NewMain(cfg, newLogger(cfg, cmd.ErrOrStderr()))
	if m.Store, err = openStore(cmd.Context(), cfg, m.Logger, nil, nil); err != nil {
		return err
	}
	defer m.closeStores()
	return fn(cmd.Context(), m)
}

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect the configuration"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the environment and print every problem",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "The configuration is valid (APP_ENV=%s, store: %s).\n", cfg.AppEnv, storeName(cfg))
			return nil
		},
	})
	return cmd
}

func storeName(cfg *config.Config) string {
	if cfg.DatabaseURL != "" {
		return "PostgreSQL"
	}
	return "SQLite at " + cfg.SQLitePath
}

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Work with the audit log"}
	cmd.AddCommand(&cobra.Command{
		Use:   "verify",
		Short: "Check the hash chain of the whole audit log",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, mustExist, func(ctx context.Context, m *Main) error {
				c, err := audit.Verify(ctx, m.Store)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "The audit log does NOT verify after %d good events: %v\n", c.Events, err)
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "The audit log verifies: %d events, chain intact.\n", c.Events)
				if c.Legacy > 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "%d of them were written before the chain covered every field: their sequence numbers, times and key counts are not tamper-evident (docs/audit.md).\n", c.Legacy)
				}
				return nil
			})
		},
	})
	return cmd
}

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage Coffer's keys"}
	cmd.AddCommand(&cobra.Command{
		Use:   "generate",
		Short: "Print freshly generated values for JWT_SECRET and ENCRYPTION_KEY",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "JWT_SECRET=%s\nENCRYPTION_KEY=%s\n", config.GenerateJWTSecret(), config.GenerateEncryptionKey())
		},
	})
	cmd.AddCommand(newKeysRotateCmd(), newKeysStatusCmd()) // keys.go
	return cmd
}

// newHealthCmd probes a running server; the container image, which has no
// shell or curl, uses it as its HEALTHCHECK.
func newHealthCmd() *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Exit 0 when the server at --url answers its health check",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return errors.New("unhealthy: status " + strconv.Itoa(resp.StatusCode))
			}
			fmt.Fprintln(cmd.OutOrStdout(), "healthy")
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080/health", "health endpoint to probe")
	return cmd
}
