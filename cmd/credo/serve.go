package main

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo/server"
)

func newServeCmd(e *env) *cobra.Command {
	var (
		addr      string
		grace     time.Duration
		maxBody   int64
		logFormat string
	)
	c := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080]",
		Short: "Serve the HTTP API on the data directory: the stream API for sources, /healthz, /readyz, /metrics",
		Long: `serve opens the data directory and serves credo's HTTP API until it is
interrupted (SIGINT, SIGTERM); it then stops accepting connections and
finishes the requests in flight before it exits.

Sources post records to POST /v1/sources/{source}/records with the API
key from credo source add (see docs/api.md). The data directory is held
by the server while it runs: register sources before starting it.

Each request is logged on standard error (never its credentials).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var logger *slog.Logger
			switch logFormat {
			case "text":
				logger = slog.New(slog.NewTextHandler(e.stderr, nil))
			case "json":
				logger = slog.New(slog.NewJSONHandler(e.stderr, nil))
			default:
				return fmt.Errorf("--log-format %q: want text or json", logFormat)
			}
			s, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			h := server.NewServer(logger, s, server.Config{MaxBodyBytes: maxBody})
			logger.Info("credo serve", slog.String("version", version), slog.String("data", e.data))
			return server.Serve(ctx, logger, ln, h, grace)
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	c.Flags().DurationVar(&grace, "shutdown-timeout", 30*time.Second, "how long to wait for requests in flight when stopping")
	c.Flags().Int64Var(&maxBody, "max-body", server.DefaultMaxBodyBytes, "largest records request body, in bytes")
	c.Flags().StringVar(&logFormat, "log-format", "text", "request log format: text or json")
	return c
}
