package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newVerifyCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "(not yet built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("verify: not yet built")
		},
	}
}
