package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ingest"
	"github.com/credo-org/credo/pebble"
)

// The source registry: the sources allowed to post records over the stream
// API, each with its spec and the hash of its API key.

func newSourceAddCmd(e *env) *cobra.Command {
	var specPath string
	var rotate bool
	c := &cobra.Command{
		Use:   "add NAME --spec SPEC [--rotate]",
		Short: "Register a source for the stream API with its spec, and print its new API key (once)",
		Long: `add registers the source NAME with the spec SPEC (whose source must be
NAME) and prints a new API key for it. The key is shown this once: credo
keeps only its hash. Give it to the agency over a secure channel.

Adding a source that is already registered is an error; --rotate replaces
its key (the old one stops working at once, and a revoked source works
again) and its spec.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := args[0]
			b, err := os.ReadFile(specPath)
			if err != nil {
				return fmt.Errorf("source spec: %w", err)
			}
			spec, err := ingest.ParseSpec(specPath, b)
			if err != nil {
				return err
			}
			if spec.Source != name {
				return fmt.Errorf("source spec %s is for source %q, not %q", specPath, spec.Source, name)
			}
			s, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			now := time.Now().UTC()
			src, err := s.Source(ctx, name)
			switch {
			case errors.Is(err, credo.ErrNotFound):
				src = &credo.Source{Name: name, Created: now}
			case err != nil:
				return err
			case !rotate:
				return fmt.Errorf("source %s is already registered (since %s): use --rotate to give it a new key and spec", name, src.Created.Local().Format(time.DateTime))
			default:
				src.Rotated, src.Revoked = now, time.Time{}
			}
			key := credo.NewSourceKey()
			src.Agency, src.Spec, src.KeyHash = spec.Agency, string(b), credo.HashKey(key)
			if err := s.PutSource(ctx, src); err != nil {
				return err
			}
			if e.json {
				return writeJSON(e.stdout, struct {
					Name string `json:"name"`
					Key  string `json:"key"`
				}{name, key})
			}
			verb := "registered"
			if !src.Rotated.IsZero() {
				verb = "given a new key (the old one no longer works)"
			}
			fmt.Fprintf(e.stdout, "source %s (%s) %s.\n\nAPI key, shown this once (credo keeps only its hash):\n\n    %s\n\n", name, spec.Agency, verb, key)
			fmt.Fprintf(e.stdout, "The agency posts records with\n    Authorization: Bearer <key>\nto POST /v1/sources/%s/records (see docs/api.md).\n", name)
			return nil
		},
	}
	c.Flags().StringVar(&specPath, "spec", "", "the source spec (YAML); its source must be NAME")
	c.Flags().BoolVar(&rotate, "rotate", false, "replace the key (and spec) of a source already registered")
	c.MarkFlagRequired("spec")
	return addJSON(c, e)
}

// sourceListing is a source as listed: never its key or the key's hash.
type sourceListing struct {
	Name    string    `json:"name"`
	Agency  string    `json:"agency"`
	Created time.Time `json:"created"`
	Rotated time.Time `json:"rotated,omitzero"`
	Revoked time.Time `json:"revoked,omitzero"`
}

func newSourceListCmd(e *env) *cobra.Command {
	return addJSON(&cobra.Command{
		Use:   "list",
		Short: "List the sources registered for the stream API (never their keys)",
		Args:  cobra.NoArgs,
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			out := []sourceListing{}
			for src, err := range s.Sources(ctx) {
				if err != nil {
					return err
				}
				out = append(out, sourceListing{Name: src.Name, Agency: src.Agency, Created: src.Created, Rotated: src.Rotated, Revoked: src.Revoked})
			}
			if e.json {
				return writeJSON(e.stdout, out)
			}
			if len(out) == 0 {
				fmt.Fprintln(e.stdout, "no sources registered (credo source add NAME --spec SPEC)")
				return nil
			}
			when := func(t time.Time) string {
				if t.IsZero() {
					return "-"
				}
				return t.Local().Format(time.DateTime)
			}
			w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tAGENCY\tCREATED\tKEY ROTATED\tREVOKED")
			for _, l := range out {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", l.Name, l.Agency, when(l.Created), when(l.Rotated), when(l.Revoked))
			}
			return w.Flush()
		}),
	}, e)
}

func newSourceRevokeCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a source's API key: its requests are refused from now on (credo source add --rotate issues a new one)",
		Args:  cobra.ExactArgs(1),
		RunE: e.withStore(func(ctx context.Context, s *pebble.Store, cmd *cobra.Command, args []string) error {
			src, err := s.Source(ctx, args[0])
			if err != nil {
				return err
			}
			if !src.Active() {
				fmt.Fprintf(e.stdout, "source %s: key already revoked on %s\n", src.Name, src.Revoked.Local().Format(time.DateTime))
				return nil
			}
			src.Revoked = time.Now().UTC()
			if err := s.PutSource(ctx, src); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "source %s: key revoked\n", src.Name)
			return nil
		}),
	}
}
