package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/credo-org/credo"
)

// principal is who a request comes from: the holder of the Bearer key it
// bears (a source, or a consumer, operator, auditor or subject key), or
// anonymous.
type principal struct {
	role     credo.Role // "" : anonymous
	name     string
	consumer *credo.Consumer
}

const roleSource credo.Role = "source"

func (p *principal) is(roles ...credo.Role) bool {
	for _, r := range roles {
		if p.role == r {
			return true
		}
	}
	return false
}

// authenticate finds who a request comes from. A request without an
// Authorization header is anonymous (ok, nil); with a header that is
// malformed, unknown or revoked, authenticate answers 401 itself and
// returns ok false. A store failure is 503.
func authenticate(ctx context.Context, logger *slog.Logger, store credo.Store, consumers credo.Consumers, w http.ResponseWriter, r *http.Request) (*principal, bool) {
	unauthorized := func(challenge, msg string) (*principal, bool) {
		w.Header().Set("WWW-Authenticate", challenge)
		writeError(w, http.StatusUnauthorized, "Authorization", msg)
		return nil, false
	}
	token, present, ok := bearerToken(r.Header.Get("Authorization"))
	switch {
	case !present:
		return &principal{}, true
	case !ok:
		return unauthorized(`Bearer realm="credo", error="invalid_request"`, "malformed Authorization header: want Bearer <API key>")
	}
	unavailable := func(err error) (*principal, bool) {
		logger.ErrorContext(ctx, "authenticate key", slog.Any("err", err), slog.String("request_id", info(ctx).id))
		writeError(w, http.StatusServiceUnavailable, "", "cannot check the key now; try again")
		return nil, false
	}
	switch {
	case credo.LooksLikeSourceKey(token):
		src, err := store.SourceByKey(ctx, credo.HashKey(token))
		if err != nil && !errors.Is(err, credo.ErrNotFound) {
			return unavailable(err)
		}
		if src != nil {
			if !src.Active() {
				return unauthorized(`Bearer realm="credo", error="invalid_token"`, "this API key has been revoked")
			}
			info(ctx).source = src.Name
			return &principal{role: roleSource, name: src.Name}, true
		}
	case credo.LooksLikeConsumerKey(token) && consumers != nil:
		c, err := consumers.ConsumerByKey(ctx, credo.HashKey(token))
		if err != nil && !errors.Is(err, credo.ErrNotFound) {
			return unavailable(err)
		}
		if c != nil {
			if !c.Active() {
				return unauthorized(`Bearer realm="credo", error="invalid_token"`, "this API key has been revoked")
			}
			info(ctx).consumer = c.Name
			return &principal{role: c.Role, name: c.Name, consumer: c}, true
		}
	}
	return unauthorized(`Bearer realm="credo", error="invalid_token"`, "unknown API key")
}

// requireRole lets through the requests of the roles given: a request
// without a key is 401, one with a key of another role 403.
func requireRole(logger *slog.Logger, store credo.Store, consumers credo.Consumers, next func(http.ResponseWriter, *http.Request, *principal), roles ...credo.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, ok := authenticate(ctx, logger, store, consumers, w, r)
		if !ok {
			return
		}
		if p.role == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="credo"`)
			writeError(w, http.StatusUnauthorized, "Authorization", "missing Authorization header: send Authorization: Bearer <API key>")
			return
		}
		if !p.is(roles...) {
			logger.WarnContext(ctx, "forbidden", slog.String("route", r.Pattern), slog.String("role", string(p.role)),
				slog.String("principal", p.name), slog.String("request_id", info(ctx).id))
			writeError(w, http.StatusForbidden, "Authorization", "a "+string(p.role)+" key may not use "+r.Pattern)
			return
		}
		next(w, r, p)
	})
}
