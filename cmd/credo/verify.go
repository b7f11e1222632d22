package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo/pebble"

	"github.com/credo-org/credo"
)

func newVerifyCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "verify",
		Short: "Recompute the ledger's hash chain and report the first record where it breaks",
		Long: `verify recomputes the SHA-256 hash chain over every record in the ledger.
It exits 0 when the chain holds and prints the head hash (publish it to
anchor the ledger), or exits 1 naming the first record that does not verify.`,
		Args: cobra.NoArgs,
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			head, err := s.Head(ctx)
			if err != nil {
				return err
			}
			bar := e.newProgress(int64(head.Seq), "verifying")
			rep, err := credo.Verify(ctx, s, func(n uint64) { bar.Set(int64(n)) })
			bar.Done()
			if err != nil {
				return err
			}
			if e.json {
				if err := writeJSON(e.stdout, rep); err != nil {
					return err
				}
			} else if rep.OK {
				fmt.Fprintf(e.stdout, "ledger verifies: %d records, head %s\n", rep.Records, rep.Head)
			} else {
				fmt.Fprintf(e.stdout, "ledger BROKEN at record %d: %s\n%d records before it verify (last good hash %s)\n", rep.BrokenAt, rep.Reason, rep.Records, rep.Head)
			}
			if !rep.OK {
				return exitError{code: 1}
			}
			return nil
		}),
	}, e)
}
