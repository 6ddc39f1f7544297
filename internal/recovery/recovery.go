// Package recovery keeps a panic on a background goroutine from ending
// the process: the panic is logged with its stack, handed to a hook (the
// error reporter), and the goroutine's owner decides how to go on. It
// imports nothing of the project, so that every package can use it:
// httpx builds on it, and the packages httpx imports (ratelimit) or that
// have no business importing HTTP code (audit, redis) use it directly.
package recovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
)

// Hook reports a recovered panic elsewhere than the log (e.g. to Sentry).
// ctx is the request's context for a request, context.Background for a
// background goroutine; stack is the panicking goroutine's stack.
type Hook func(ctx context.Context, v any, stack []byte)

// ErrPanic is wrapped by the error Do returns when fn panicked.
var ErrPanic = errors.New("panic")

// Do calls fn and returns nil. If fn panics, Do recovers, logs the panic
// and its stack at ERROR as "panic in background job" with job=name,
// passes it to hook (which may be nil), and returns an error wrapping
// ErrPanic. The error does not carry the panic value, which is logged
// once, here: a caller may pass the error on without leaking it.
//
// A loop that must keep working calls Do for each unit of work, so that a
// panic costs that unit only.
func Do(logger *slog.Logger, name string, fn func(), hook Hook) (err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		stack := debug.Stack()
		if logger == nil {
			logger = slog.Default()
		}
		logger.LogAttrs(context.Background(), slog.LevelError, "panic in background job",
			slog.String("job", name),
			slog.String("panic", fmt.Sprint(v)),
			slog.String("stack", string(stack)),
		)
		if hook != nil {
			hook(context.Background(), v, stack)
		}
		err = fmt.Errorf("%s: %w", name, ErrPanic)
	}()
	fn()
	return nil
}

// Go runs fn on a new goroutine under Do: a panic ends fn, not the
// process.
func Go(logger *slog.Logger, name string, fn func(), hook Hook) {
	go func() { _ = Do(logger, name, fn, hook) }()
}
