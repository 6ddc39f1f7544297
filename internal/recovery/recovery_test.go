package recovery_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/recovery"
)

func TestDo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fn       func()
		panicked bool
	}{
		{"OK", func() {}, false},
		{"Panic", func() { panic("boom: password=hunter2") }, true},
		{"PanicWithError", func() { panic(errors.New("boom")) }, true},
		{"PanicNil", func() { panic(nil) }, true}, // a *runtime.PanicNilError since Go 1.21
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			var hooked int
			err := recovery.Do(slog.New(slog.NewJSONHandler(&logs, nil)), "sweeper", tt.fn, func(ctx context.Context, v any, stack []byte) {
				if ctx == nil || v == nil || !bytes.Contains(stack, []byte("recovery_test.go")) {
					t.Errorf("hook got ctx %v, value %v, stack without the panicking frame", ctx, v)
				}
				hooked++
			})
			if got := errors.Is(err, recovery.ErrPanic); got != tt.panicked {
				t.Fatalf("err = %v; panicked %v, want %v", err, got, tt.panicked)
			}
			if !tt.panicked {
				if err != nil || hooked != 0 || logs.Len() != 0 {
					t.Fatalf("no panic: err %v, hook called %d times, log %q", err, hooked, logs.String())
				}
				return
			}
			if hooked != 1 {
				t.Fatalf("hook called %d times, want once", hooked)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error carries the panic value: %v", err)
			}
			out := logs.String()
			for _, want := range []string{`"level":"ERROR"`, `"msg":"panic in background job"`, `"job":"sweeper"`, "recovery_test.go"} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %s: %s", want, out)
				}
			}
		})
	}
}

func TestGo(t *testing.T) {
	t.Parallel()
	reported := make(chan any, 1)
	recovery.Go(slog.New(slog.DiscardHandler), "job", func() { panic("background boom") },
		func(_ context.Context, v any, _ []byte) { reported <- v })
	if v := <-reported; v != "background boom" {
		t.Fatalf("reported %v", v)
	}
}
