package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/credo-org/credo/pebble"
)

// openStore opens the data directory named by --data.
func (e *env) openStore(ctx context.Context) (*pebble.Store, error) {
	return pebble.Open(e.data, nil)
}

// isTerminal reports whether w is a terminal, where progress is shown.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress is a bar on a terminal and nothing elsewhere, so that scripts
// and logs get only the report.
type progress struct {
	bar   *progressbar.ProgressBar
	start time.Time
	what  string
}

// newProgress shows a bar of total units (-1 when unknown) on e.stderr.
func (e *env) newProgress(total int64, what string) *progress {
	if !isTerminal(e.stderr) {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rec"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

func (p *progress) Set(n int64) {
	if p.bar != nil {
		p.bar.Set64(n)
	}
}

func (p *progress) Done() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// newByteProgress shows a bar over a file's bytes on a terminal.
func (e *env) newByteProgress(file string) *progress {
	if !isTerminal(e.stderr) {
		return &progress{}
	}
	var size int64 = -1
	if st, err := os.Stat(file); err == nil {
		size = st.Size()
	}
	return &progress{start: time.Now(), what: "ingesting " + file, bar: progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription("ingesting "+file),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

// SetRows moves the bar to bytes and shows the rows read and their rate.
func (p *progress) SetRows(bytes, rows int64) {
	if p.bar == nil {
		return
	}
	rate := float64(rows) / max(time.Since(p.start).Seconds(), 1e-3)
	p.bar.Describe(fmt.Sprintf("%s: %d rows, %.0f rows/s", p.what, rows, rate))
	p.bar.Set64(bytes)
}

// logger is where background errors go: standard error, as text.
func (e *env) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// withStore makes a command's RunE that opens the data directory for run
// and closes it after.
func (e *env) withStore(run func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		s, err := e.openStore(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		return run(ctx, s, cmd, args)
	}
}
