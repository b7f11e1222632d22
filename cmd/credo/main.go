// Command credo runs the credo platform: it generates synthetic cities,
// loads records into the ledger, verifies it, and answers questions about
// subjects. This package only wires the other packages together; each
// command lives in a file of its own.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = ""
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		var ee exitError
		if asExit(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "credo:", ee.msg)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "credo:", err)
		os.Exit(1)
	}
}

// env is what every command shares: the streams and the global flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	data           string // --data
	json           bool   // --json, on the commands that report
	getenv         func(string) string
}

// run builds the command tree and executes it with args.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "credo",
		Short: "credo: an open, accountable social credit platform",
		Long: `credo collects records of obligations kept and broken from many agencies,
ties each to the right subject, keeps them in a hash-chained ledger, and
answers for them: every score is published and explained.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	defData := "./credo-data"
	if d := e.getenv("CREDO_DATA"); d != "" {
		defData = d
	}
	root.PersistentFlags().StringVar(&e.data, "data", defData, "data directory (or $CREDO_DATA)")
	root.AddCommand(
		newVersionCmd(e),
		newIDCmd(e),
		newSynthCmd(e),
		newDemoCmd(e),
		newStatsCmd(e),
		newSubjectCmd(e),
		newVerifyCmd(e),
		newIngestCmd(e),
		newSourceCmd(e),
		newQuarantineCmd(e),
		newRunsCmd(e),
		newLinkCmd(e), newResolveCmd(e), newReviewCmd(e),
		newServeCmd(e),
		newConsumerCmd(e), newKeyCmd(e), newDecideCmd(e),
		newPolicyCmd(e),
		newScoreCmd(e),
	)
	return root
}

// addJSON gives a reporting command its --json flag.
func addJSON(c *cobra.Command, e *env) *cobra.Command {
	c.Flags().BoolVar(&e.json, "json", false, "write the report as JSON")
	return c
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := commit
			if c == "" {
				c = vcsRevision()
			}
			fmt.Fprintf(e.stdout, "credo %s (commit %s)\n", version, c)
			return nil
		},
	}
}

// exitError carries a specific exit status out of a command: status 1 for
// "some ids are invalid" is an answer, not a failure to report.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return fmt.Sprintf("exit %d: %s", e.code, e.msg) }
