package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newSynthCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "synth",
		Short: "(not yet built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("synth: not yet built")
		},
	}
}
