package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

func newLoginCmd() *cobra.Command {
	var addr, email string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in and keep the credentials in the user's config directory",
		Long: `Sign in to a Coffer server with email and password.

The password is read from the terminal without echo, or from standard input
when it is not a terminal (scripts: printf '%s\n' "$PW" | coffer login …).
The tokens are stored in <config dir>/coffer/credentials.json, mode 0600.`,
		Example: `  coffer login --addr https://coffer.example.com --email ada@example.com`,
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			return signIn(cmd, addr, email)
		}),
	}
	cmd.Flags().StringVar(&addr, "addr", "", "server address, e.g. https://coffer.example.com (default: $COFFER_ADDR, then the last one used)")
	cmd.Flags().StringVar(&email, "email", "", "account email (default: asked, or the last one used)")
	return cliCommand(cmd)
}

func signIn(cmd *cobra.Command, addr, email string) error {
	store, err := newCredStore()
	if err != nil {
		return err
	}
	prev, _ := store.load()
	addr = normalizeAddr(firstNonEmpty(addr, os.Getenv(envAddr), prevField(prev, func(c *credentials) string { return c.Addr })))
	if addr == "" {
		return usagef("--addr is required the first time")
	}
	if email == "" && prev != nil && prev.Addr == addr {
		email = prev.Email
	}
	in := bufio.NewReader(cmd.InOrStdin())
	tty := stdinTerminal(cmd)
	if email == "" {
		if !tty {
			return usagef("--email is required when standard input is not a terminal")
		}
		fmt.Fprint(cmd.ErrOrStderr(), "Email: ")
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read email: %w", err)
		}
		email = strings.TrimSpace(line)
	}
	password, err := readPassword(cmd, in, tty)
	if err != nil {
		return err
	}
	c, err := client.New(addr, client.WithUserAgent(userAgent()))
	if err != nil {
		return usageError{err}
	}
	res, err := c.Token(cmd.Context(), api.TokenRequest{GrantType: api.GrantTypePassword, Email: email, Password: password})
	if err != nil {
		return err
	}
	creds := &credentials{Addr: addr, Email: res.User.Email, AccessToken: res.AccessToken, RefreshToken: res.RefreshToken}
	if err := store.save(creds); err != nil {
		return err
	}
	if prev != nil && prev.Addr == addr {
		// The replaced session would otherwise live on, unused, until it
		// expires. Best effort: an expired access token cannot revoke it.
		if old, err := client.New(addr, client.WithUserAgent(userAgent()), client.WithToken(prev.AccessToken)); err == nil {
			_ = old.Logout(cmd.Context())
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Signed in to %s as %s.\n", addr, res.User.Email)
	return nil
}

// stdinTerminal reports whether the command reads from a terminal; tests
// and pipes give it something else.
func stdinTerminal(cmd *cobra.Command) bool {
	f, ok := cmd.InOrStdin().(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// readPassword asks without echo on a terminal, else reads one line.
func readPassword(cmd *cobra.Command, in *bufio.Reader, tty bool) (string, error) {
	if tty {
		fmt.Fprint(cmd.ErrOrStderr(), "Password: ")
		b, err := term.ReadPassword(int(cmd.InOrStdin().(*os.File).Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usagef("no password on standard input")
	}
	return pw, nil
}

func newLogoutCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Revoke the stored session and delete the credentials",
		Long: `Revoke the stored session on the server, delete the credentials file and
the offline copies sealed with it. The file is deleted even when the server
cannot be reached; the session then expires on its own.`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			store, err := newCredStore()
			if err != nil {
				return err
			}
			creds, err := store.load()
			if err != nil {
				return err
			}
			s := &session{addr: creds.Addr, store: store, base: defaultTransport(), creds: creds, token: creds.AccessToken}
			c, err := s.client()
			if err != nil {
				return err
			}
			if err := c.Logout(cmd.Context()); err != nil && !client.IsUnauthorized(err) {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: could not revoke the session on the server: %v\n", describe(err))
			}
			if cache, err := newBundleCache(); err == nil {
				cache.removeAll(s.cacheSecret())
			}
			if err := store.remove(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Signed out of %s.\n", creds.Addr)
			return nil
		}),
	}
	return cliCommand(cmd)
}

func newWhoamiCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the signed-in user and server",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		s, c, err := connect()
		if err != nil {
			return err
		}
		me, err := c.Me(cmd.Context())
		if err != nil {
			return err
		}
		if format == outputJSON {
			return printJSON(cmd.OutOrStdout(), struct {
				Server string   `json:"server"`
				User   api.User `json:"user"`
			}{s.addr, *me})
		}
		role := "user"
		if me.IsAdmin {
			role = "instance admin"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s (%s, %s) on %s\n", me.Email, me.Name, role, s.addr)
		return nil
	})
	return cliCommand(cmd)
}

// connect opens the session and its API client.
func connect() (*session, *client.Client, error) {
	s, err := openSession()
	if err != nil {
		return nil, nil, err
	}
	c, err := s.client()
	if err != nil {
		return nil, nil, err
	}
	return s, c, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func prevField(c *credentials, f func(*credentials) string) string {
	if c == nil {
		return ""
	}
	return f(c)
}
