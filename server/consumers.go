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

// The key registry over HTTP, for operators: what `credo consumer
// add|list|revoke` and `credo key add --role subject` do, while `credo
// serve` holds the data directory (and with it the store's lock), so that
// a new airline is registered, a subject given the key that reads its own
// inquiries and notices, or a leaked key revoked, without stopping the
// decision service. Every change is logged with the operator who made it;
// a key is shown once, in the answer that made it, and never logged.
// Operators' and auditors' keys are made only with the CLI, on the host:
// a leaked operator key cannot mint more.

// maxConsumerBody caps a registration's body.
const maxConsumerBody = 64 << 10

// keyRegistration is the body of POST /v1/consumers and POST
// /v1/subject-keys: a consumer's actions, a subject key's subject.
type keyRegistration struct {
	Name    string    `json:"name"`
	Actions []string  `json:"actions"`
	Subject *azEntity `json:"subject"`
	Rotate  bool      `json:"rotate"`
}

// keyRegistry is one role's part of the registry over HTTP.
type keyRegistry struct {
	role credo.Role
	noun string // in answers and log lines: "consumer", "subject key"
	// entry checks the role's fields of a registration and returns them
	// as stored
	entry func(req *keyRegistration) ([]string, credo.SubjectRef, *requestError)
}

// consumerKeys is the registry of consumers, for the actions d answers.
func consumerKeys(d *decider) keyRegistry {
	return keyRegistry{role: credo.RoleConsumer, noun: "consumer", entry: func(req *keyRegistration) ([]string, credo.SubjectRef, *requestError) {
		if len(req.Actions) == 0 {
			return nil, credo.SubjectRef{}, badField("actions", "actions: want the actions the consumer may ask about, e.g. [\"flight.book\"]")
		}
		known := d.table.Actions()
		for _, a := range req.Actions {
			if !slices.Contains(known, a) {
				return nil, credo.SubjectRef{}, badField("actions", "actions: no measure covers %s (known: %s)", a, strings.Join(known, ", "))
			}
		}
		return req.Actions, credo.SubjectRef{}, nil
	}}
}

// subjectKeys is the registry of subject keys: each reads its own
// subject's inquiries and notices and searches its own actions.
func subjectKeys() keyRegistry {
	return keyRegistry{role: credo.RoleSubject, noun: "subject key", entry: func(req *keyRegistration) ([]string, credo.SubjectRef, *requestError) {
		ref, err := subjectRef(req.Subject, time.Now())
		return nil, ref, err
	}}
}

// handleKeyAdd registers a name of the registry's role, or with rotate
// gives a registered one a new key (and actions or subject), and answers
// its key: 201 with {"name", "key", "actions" or "subject"}.
func handleKeyAdd(logger *slog.Logger, consumers credo.Consumers, kr keyRegistry) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		ctx := r.Context()
		var req keyRegistration
		if err := readJSON(w, r, maxConsumerBody, &req); err != nil {
			writeRequestError(w, err)
			return
		}
		if !credo.ValidSourceName(req.Name) {
			writeError(w, http.StatusBadRequest, "name", "name: want a name of lower-case letters, digits, '_', '-' and '.'")
			return
		}
		actions, subject, rerr := kr.entry(&req)
		if rerr != nil {
			writeRequestError(w, rerr)
			return
		}
		// Over the API an entry keeps its role: an operator's or another
		// role's key is not re-keyed into this one's.
		refuse := func(c *credo.Consumer) error {
			if c.Role != kr.role {
				return fmt.Errorf("%s is registered as a %s key, not a %s: %w", c.Name, c.Role, kr.noun, credo.ErrRegistered)
			}
			return nil
		}
		key, c, err := credo.RegisterKey(ctx, consumers, req.Name, kr.role, actions, subject, req.Rotate, refuse, time.Now().UTC())
		switch {
		case errors.Is(err, credo.ErrRegistered) && !req.Rotate:
			writeError(w, http.StatusConflict, "name", err.Error()+": send \"rotate\": true to give it a new key")
			return
		case errors.Is(err, credo.ErrRegistered):
			writeError(w, http.StatusConflict, "name", err.Error())
			return
		case err != nil:
			logger.ErrorContext(ctx, "key registry", slog.Any("err", err), slog.String("request_id", info(ctx).id))
			writeError(w, http.StatusServiceUnavailable, "", "the key registry is unavailable")
			return
		}
		attrs := []any{slog.String("name", c.Name), slog.String("role", string(c.Role)), slog.Bool("rotated", req.Rotate),
			slog.String("by", p.name), slog.String("request_id", info(ctx).id)}
		if c.Role == credo.RoleConsumer {
			attrs = append(attrs, slog.String("consumer", c.Name), slog.String("actions", strings.Join(c.Actions, ",")))
		} else {
			attrs = append(attrs, slog.String("subject", c.Subject.String()))
		}
		logger.InfoContext(ctx, kr.noun+" registered", attrs...)
		writeJSON(w, http.StatusCreated, struct {
			Name    string           `json:"name"`
			Key     string           `json:"key"`
			Actions []string         `json:"actions,omitempty"`
			Subject credo.SubjectRef `json:"subject,omitzero"`
		}{c.Name, key, c.Actions, c.Subject})
	}
}

// handleKeyList lists the registry's entries of its role, revoked ones
// too.
func handleKeyList(logger *slog.Logger, consumers credo.Consumers, kr keyRegistry) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		ctx := r.Context()
		out := []credo.ConsumerListing{}
		for c, err := range consumers.Consumers(ctx) {
			if err != nil {
				logger.ErrorContext(ctx, "key registry", slog.Any("err", err), slog.String("request_id", info(ctx).id))
				writeError(w, http.StatusServiceUnavailable, "", "the key registry is unavailable")
				return
			}
			if c.Role == kr.role {
				out = append(out, c.Listing())
			}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// handleKeyRevoke revokes an entry of the registry's role: its next
// request is refused (the key cache forgets every key when the registry
// changes).
func handleKeyRevoke(logger *slog.Logger, consumers credo.Consumers, kr keyRegistry) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		ctx := r.Context()
		name := r.PathValue("name")
		c, err := consumers.Consumer(ctx, name)
		switch {
		case errors.Is(err, credo.ErrNotFound) || (err == nil && c.Role != kr.role):
			writeError(w, http.StatusNotFound, "name", "no "+kr.noun+" "+name)
			return
		case err != nil:
			logger.ErrorContext(ctx, "key registry", slog.Any("err", err), slog.String("request_id", info(ctx).id))
			writeError(w, http.StatusServiceUnavailable, "", "the key registry is unavailable")
			return
		}
		if c.Active() {
			c.Revoked = time.Now().UTC()
			if err := consumers.PutConsumer(ctx, c); err != nil {
				logger.ErrorContext(ctx, "key registry", slog.Any("err", err), slog.String("request_id", info(ctx).id))
				writeError(w, http.StatusServiceUnavailable, "", "the key registry is unavailable")
				return
			}
			logger.InfoContext(ctx, kr.noun+" revoked", slog.String("name", c.Name), slog.String("role", string(c.Role)),
				slog.String("by", p.name), slog.String("request_id", info(ctx).id))
		}
		writeJSON(w, http.StatusOK, c.Listing())
	}
}
