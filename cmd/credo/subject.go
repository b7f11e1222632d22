package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newSubjectCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "subject",
		Short: "(not yet built)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("subject: not yet built")
		},
	}
}
