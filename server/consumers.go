package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/credo-org/credo"
)

// The consumer registry over HTTP, for operators: what `credo consumer
// add|list|revoke` do, while `credo serve` holds the data directory (and
// with it the store's lock), so that a new airline is registered, or a
// leaked key revoked, without stopping the decision service. Every change
// is logged with the operator who made it; a key is shown once, in the
// answer that made it, and never logged.

// maxConsumerBody caps a registration's body.
const maxConsumerBody = 64 << 10

// consumerRegistration is POST /v1/consumers's body.
type consumerRegistration struct {
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
	Rotate  bool     `json:"rotate"`
}

// handleConsumerAdd registers a consumer for actions the decision table
// answers, or with rotate gives a registered one a new key (and actions),
// and answers its key: 201 with {"name", "key", "actions"}.
func handleConsumerAdd(logger *slog.Logger, consumers credo.Consumers, d *decider) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		ctx := r.Context()
		var req consumerRegistration
		if err := readJSON(w, r, maxConsumerBody, &req); err != nil {
			writeRequestError(w, err)
			return
		}
		if !credo.ValidSourceName(req.Name) {
			writeError(w, http.StatusBadRequest, "name", "name: want a name of lower-case letters, digits, '_', '-' and '.'")
			return
		}
		if len(req.Actions) == 0 {
			writeError(w, http.StatusBadRequest, "actions", "actions: want the actions the consumer may ask about, e.g. [\"flight.book\"]")
			return
		}
		known := d.table.Actions()
		for _, a := range req.Actions {
			if !slices.Contains(known, a) {
				writeError(w, http.StatusBadRequest, "actions", "actions: no measure covers "+a+" (known: "+strings.Join(known, ", ")+")")
				return
			}
		}
		// Over the API only consumers: an operator's or another role's
		// key is not re-keyed into a consumer's.
		refuse := func(c *credo.Consumer) error {
			if c.Role != credo.RoleConsumer {
				return fmt.Errorf("%s is registered as a %s key, not a consumer: %w", c.Name, c.Role, credo.ErrRegistered)
			}
			return nil
		}
		key, c, err := credo.RegisterKey(ctx, consumers, req.Name, credo.RoleConsumer, req.Actions, credo.SubjectRef{}, req.Rotate, refuse, time.Now().UTC())
		switch {
		case errors.Is(err, credo.ErrRegistered) && !req.Rotate:
			writeError(w, http.StatusConflict, "name", err.Error()+": send \"rotate\": true to give it a new key")
			return
		case errors.Is(err, credo.ErrRegistered):
			writeError(w, http.StatusConflict, "name", err.Error())
			return
		case err != nil:
			logger.ErrorContext(ctx, "consumer registry", slog.Any("err", err), slog.String("request_id", info(ctx).id))
			writeError(w, http.StatusServiceUnavailable, "", "the consumer registry is unavailable")
			return
		}
		logger.InfoContext(ctx, "consumer registered", slog.String("consumer", c.Name), slog.String("actions", strings.Join(c.Actions, ",")),
			slog.Bool("rotated", req.Rotate), slog.String("by", p.name), slog.String("request_id", info(ctx).id))
		writeJSON(w, http.StatusCreated, struct {
			Name    string   `json:"name"`
			Key     string   `json:"key"`
			Actions []string `json:"actions"`
		}{c.Name, key, c.Actions})
	}
}

// handleConsumerList lists the registry's consumers, revoked ones too.
func handleConsumerList(logger *slog.Logger, consumers credo.Consumers) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		ctx := r.Context()
		out := []credo.ConsumerListing{}
		for c, err := range consumers.Consumers(ctx) {
			if err != nil {
				logger.ErrorContext(ctx, "consumer registry", slog.Any("err", err), slog.String("request_id", info(ctx).id))
				writeError(w, http.StatusServiceUnavailable, "", "the consumer registry is unavailable")
				return
			}
			if c.Role == credo.RoleConsumer {
				out = append(out, c.Listing())
			}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// handleConsumerRevoke revokes a consumer's key: its next request is
// refused (the key cache forgets every key when the registry changes).
func handleConsumerRevoke(logger *slog.Logger, consumers credo.Consumers) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		ctx := r.Context()
		name := r.PathValue("name")
		c, err := consumers.Consumer(ctx, name)
		switch {
		case errors.Is(err, credo.ErrNotFound) || (err == nil && c.Role != credo.RoleConsumer):
			writeError(w, http.StatusNotFound, "name", "no consumer "+name)
			return
		case err != nil:
			logger.ErrorContext(ctx, "consumer registry", slog.Any("err", err), slog.String("request_id", info(ctx).id))
			writeError(w, http.StatusServiceUnavailable, "", "the consumer registry is unavailable")
			return
		}
		if c.Active() {
			c.Revoked = time.Now().UTC()
			if err := consumers.PutConsumer(ctx, c); err != nil {
				logger.ErrorContext(ctx, "consumer registry", slog.Any("err", err), slog.String("request_id", info(ctx).id))
				writeError(w, http.StatusServiceUnavailable, "", "the consumer registry is unavailable")
				return
			}
			logger.InfoContext(ctx, "consumer revoked", slog.String("consumer", c.Name), slog.String("by", p.name), slog.String("request_id", info(ctx).id))
		}
		writeJSON(w, http.StatusOK, c.Listing())
	}
}
