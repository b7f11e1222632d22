package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newIDCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "id",
		Short: "(not yet built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("id: not yet built")
		},
	}
}
