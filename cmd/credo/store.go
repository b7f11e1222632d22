package main

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
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
type progress struct{ bar *progressbar.ProgressBar }

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
