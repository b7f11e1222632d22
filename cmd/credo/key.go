package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
)

// newKeyCmd manages the keys of the roles other than sources and
// consumers: operators (every decision, any subject's actions), auditors
// (the audit trail) and subjects (their own inquiries and actions).
func newKeyCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "key",
		Short: "API keys of operators, auditors and subjects",
	}
	c.AddCommand(newKeyAddCmd(e), newKeyListCmd(e, "list", ""), newKeyRevokeCmd(e, "key holder"))
	pointToAPI(c, "while credo serve runs, its operators give subjects their keys over its API: POST /v1/subject-keys, GET /v1/subject-keys, DELETE /v1/subject-keys/NAME with an operator key (see docs/api.md); operators' and auditors' keys are made only with the server stopped")
	return c
}

func newKeyAddCmd(e *env) *cobra.Command {
	var role, subject string
	var rotate bool
	c := &cobra.Command{
		Use:   "add --role operator|auditor|subject [--subject ID] NAME",
		Short: "Make an API key for an operator, an auditor or a subject, and print it (once)",
		Args:  cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			r := credo.Role(role)
			var ref credo.SubjectRef
			switch r {
			case credo.RoleOperator, credo.RoleAuditor:
				if subject != "" {
					return errors.New("key add: --subject is for --role subject only")
				}
			case credo.RoleSubject:
				var err error
				if ref, err = parseSubject(subject); err != nil {
					return err
				}
			default:
				return errors.New("key add: --role must be operator, auditor or subject (consumers: credo consumer add)")
			}
			return e.addKey(ctx, s, args[0], r, nil, ref, rotate)
		}),
	}
	c.Flags().StringVar(&role, "role", "", "operator, auditor or subject")
	c.Flags().StringVar(&subject, "subject", "", "the subject's identifier, for --role subject")
	c.Flags().BoolVar(&rotate, "rotate", false, "replace the key of a holder already registered")
	return addJSON(c, e)
}
