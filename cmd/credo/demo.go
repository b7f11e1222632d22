package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newDemoCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "(not yet built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("demo: not yet built")
		},
	}
}
