package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes of `coffer run` when the command itself cannot start, as
// env(1) and shells report them.
const (
	exitCannotExecute = 126
	exitCommandAbsent = 127
)

// supervisor runs the child of `coffer run`: it passes signals on,
// restarts the child with new secrets, and returns its exit code.
type supervisor struct {
	cmd   *cobra.Command
	args  []string
	grace time.Duration
}

// child is one run of the command.
type child struct {
	proc *exec.Cmd
	done chan struct{} // closed when it has exited
	err  error         // Wait's answer, set before done closes
}

// run starts the child with b and supervises it until it exits. changes
// (nil without --watch) delivers new bundles to restart with.
func (s *supervisor) run(ctx context.Context, b *cachedBundle, changes <-chan *cachedBundle) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	ch, err := s.start(b)
	if err != nil {
		return err
	}
	stopping := false // a stop was asked for: no more restarts
	forwarded := make(chan struct{}, 1)
	ctxDone := ctx.Done()
	for {
		select {
		case sig := <-sigs:
			_ = ch.proc.Process.Signal(sig)
			if sig != syscall.SIGHUP {
				stopping = true
				select {
				case forwarded <- struct{}{}:
				default:
				}
			}
		case <-ctxDone:
			// In the binary the context ends because of SIGINT/SIGTERM,
			// which the case above forwards; give it a moment to arrive so
			// that the child is not signalled twice. A context cancelled for
			// any other reason (an embedding program, a test) stops the
			// child the same way a restart does.
			ctxDone, stopping = nil, true
			go func(ch *child) {
				select {
				case <-forwarded:
				case <-time.After(100 * time.Millisecond):
					s.stop(ch)
				}
			}(ch)
		case <-ch.done:
			return exitOf(ch.err)
		case nb := <-changes:
			if stopping {
				continue
			}
			fmt.Fprintf(s.cmd.ErrOrStderr(), "coffer: %s/%s changed (revision %d): restarting the command\n",
				nb.Project, nb.Environment, nb.Revision)
			s.stop(ch)
			if ch, err = s.start(nb); err != nil {
				return err
			}
		}
	}
}

// start launches the command with b's secrets in its environment.
func (s *supervisor) start(b *cachedBundle) (*child, error) {
	p := exec.Command(s.args[0], s.args[1:]...) //nolint:gosec // running the user's command is the point
	p.Env = childEnv(os.Environ(), b.Secrets)
	p.Stdin, p.Stdout, p.Stderr = s.cmd.InOrStdin(), s.cmd.OutOrStdout(), s.cmd.ErrOrStderr()
	// A grandchild that keeps stdout open must not keep us waiting once
	// the child itself has gone.
	p.WaitDelay = time.Second
	if err := p.Start(); err != nil {
		code := exitCannotExecute
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			code = exitCommandAbsent
		}
		return nil, &exitStatus{code: code, err: fmt.Errorf("start %s: %w", s.args[0], err)}
	}
	ch := &child{proc: p, done: make(chan struct{})}
	go func() {
		ch.err = p.Wait()
		close(ch.done)
	}()
	return ch, nil
}

// stop asks the child to exit with SIGTERM and kills it after the grace
// period; it returns once the child has exited.
func (s *supervisor) stop(ch *child) {
	if err := ch.proc.Process.Signal(syscall.SIGTERM); err != nil {
		_ = ch.proc.Process.Kill() // no SIGTERM on Windows
	}
	select {
	case <-ch.done:
		return
	case <-time.After(s.grace):
	}
	fmt.Fprintf(s.cmd.ErrOrStderr(), "coffer: the command did not exit within %s of SIGTERM: killing it\n", s.grace)
	_ = ch.proc.Process.Kill()
	<-ch.done
}

// exitOf turns Wait's answer into coffer's exit status: the child's code,
// or 128+N for a child killed by signal N, as shells report it.
func exitOf(err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("wait for the command: %w", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &exitStatus{code: 128 + int(ws.Signal())}
	}
	return &exitStatus{code: ee.ExitCode()}
}
