package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newStatsCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "(not yet built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("stats: not yet built")
		},
	}
}
