package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/pebble"
)

// The consumer registry: the services that ask decisions over the AuthZEN
// API, each bound to its actions, and (credo key) the operator's,
// auditors' and subjects' keys, kept in the same registry with a role.

func newConsumerCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "consumer",
		Short: "Register the services that ask decisions (airlines, banks, landlords …) and their API keys",
	}
	c.AddCommand(newConsumerAddCmd(e), newKeyListCmd(e, "list", credo.RoleConsumer), newKeyRevokeCmd(e, "consumer"))
	pointToAPI(c, "while credo serve runs, its operators register, list and revoke consumers over its API: POST /v1/consumers, GET /v1/consumers, DELETE /v1/consumers/NAME with an operator key; see docs/api.md")
	return c
}

// pointToAPI has c's subcommands say, when credo serve holds the data
// directory, where the server offers what they do.
func pointToAPI(c *cobra.Command, hint string) {
	for _, sub := range c.Commands() {
		run := sub.RunE
		sub.RunE = func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			if errors.Is(err, pebble.ErrInUse) {
				return fmt.Errorf("%w\n(%s)", err, hint)
			}
			return err
		}
	}
}

func newConsumerAddCmd(e *env) *cobra.Command {
	var actions []string
	var rotate bool
	c := &cobra.Command{
		Use:   "add NAME --actions flight.book,rail.g_train [--rotate]",
		Short: "Register a consumer for the actions it may ask about, and print its API key (once)",
		Long: `add registers the consuming service NAME, which may ask decisions about the
actions given (each must be covered by a measure of a published policy, or
of a shipped pack while none is published), and prints its API key. The
key is shown this once: credo keeps only its hash. --rotate replaces the
key and the actions of a consumer already registered.`,
		Args: cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			if len(actions) == 0 {
				return errors.New("consumer add: --actions is required (e.g. --actions flight.book,rail.g_train)")
			}
			prgs, err := decisionPrograms(ctx, s)
			if err != nil {
				return err
			}
			var known []string
			for _, p := range prgs {
				known = append(known, p.Actions()...)
			}
			for _, a := range actions {
				if !slices.Contains(known, a) {
					slices.Sort(known)
					return fmt.Errorf("consumer add: no measure covers action %q (known: %s)", a, strings.Join(slices.Compact(known), ", "))
				}
			}
			return e.addKey(ctx, s, args[0], credo.RoleConsumer, actions, credo.SubjectRef{}, rotate)
		}),
	}
	c.Flags().StringSliceVar(&actions, "actions", nil, "the actions the consumer may ask about, comma-separated")
	c.Flags().BoolVar(&rotate, "rotate", false, "replace the key (and actions) of a consumer already registered")
	return addJSON(c, e)
}

// addKey registers (or with rotate, re-keys) an entry and prints its key.
func (e *env) addKey(ctx context.Context, s *pebble.Store, name string, role credo.Role, actions []string, subject credo.SubjectRef, rotate bool) error {
	key, stored, err := credo.RegisterKey(ctx, s, name, role, actions, subject, rotate, nil, time.Now().UTC())
	if errors.Is(err, credo.ErrRegistered) {
		return fmt.Errorf("%w: use --rotate to give it a new key", err)
	}
	if err != nil {
		return err
	}
	if e.json {
		out := struct {
			Name    string   `json:"name"`
			Role    string   `json:"role,omitempty"`
			Key     string   `json:"key"`
			Actions []string `json:"actions,omitempty"`
		}{Name: name, Key: key, Actions: stored.Actions}
		if role != credo.RoleConsumer {
			out.Role = string(role)
		}
		return writeJSON(e.stdout, out)
	}
	what := string(role)
	if role == credo.RoleConsumer {
		what = "consumer for " + strings.Join(stored.Actions, ", ")
	} else if role == credo.RoleSubject {
		what = "subject key of " + subject.String()
	}
	fmt.Fprintf(e.stdout, "%s registered (%s).\n\nAPI key, shown this once (credo keeps only its hash):\n\n    %s\n\n", name, what, key)
	fmt.Fprintln(e.stdout, "Send it as Authorization: Bearer <key> (see docs/api.md).")
	return nil
}

// newKeyListCmd lists the entries of role (every role when "").
func newKeyListCmd(e *env, use string, role credo.Role) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   use,
		Short: "List the registered keys' holders (never their keys)",
		Args:  cobra.NoArgs,
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			out := []credo.ConsumerListing{}
			for c, err := range s.Consumers(ctx) {
				if err != nil {
					return err
				}
				if role == "" || c.Role == role {
					out = append(out, c.Listing())
				}
			}
			if e.json {
				return writeJSON(e.stdout, out)
			}
			if len(out) == 0 {
				fmt.Fprintln(e.stdout, "none registered (credo consumer add NAME --actions …; credo key add --role operator NAME)")
				return nil
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tROLE\tACTIONS / SUBJECT\tCREATED\tREVOKED")
			for _, l := range out {
				what := strings.Join(l.Actions, ",")
				if l.Subject.Resolved() {
					what = l.Subject.String()
				}
				revoked := "-"
				if !l.Revoked.IsZero() {
					revoked = l.Revoked.Local().Format(time.DateTime)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", l.Name, l.Role, what, l.Created.Local().Format(time.DateTime), revoked)
			}
			return w.Flush()
		}),
	}, e)
}

func newKeyRevokeCmd(e *env, what string) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a " + what + "'s API key: its requests are refused from now on",
		Args:  cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			c, err := s.Consumer(ctx, args[0])
			if err != nil {
				return err
			}
			if !c.Active() {
				fmt.Fprintf(e.stdout, "%s: key already revoked on %s\n", c.Name, c.Revoked.Local().Format(time.DateTime))
				return nil
			}
			c.Revoked = time.Now().UTC()
			if err := s.PutConsumer(ctx, c); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s: key revoked\n", c.Name)
			return nil
		}),
	}
}
