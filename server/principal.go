package server

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

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

// authenticate finds who a request bearing the Authorization header authz
// comes from. A request without one is anonymous; a header that is
// malformed, unknown or revoked is a 401 (with its challenge), and a store
// failure a 503.
func authenticate(ctx context.Context, logger *slog.Logger, store credo.Store, consumers credo.Consumers, authz string) (*principal, *requestError) {
	unauthorized := func(challenge, msg string) (*principal, *requestError) {
		return nil, &requestError{status: http.StatusUnauthorized, field: "Authorization", msg: msg, challenge: challenge}
	}
	token, present, ok := bearerToken(authz)
	switch {
	case !present:
		return &principal{}, nil
	case !ok:
		return unauthorized(`Bearer realm="credo", error="invalid_request"`, "malformed Authorization header: want Bearer <API key>")
	}
	unavailable := func(err error) (*principal, *requestError) {
		logger.ErrorContext(ctx, "authenticate key", slog.Any("err", err), slog.String("request_id", info(ctx).id))
		return nil, &requestError{status: http.StatusServiceUnavailable, msg: "cannot check the key now; try again"}
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
			return &principal{role: roleSource, name: src.Name}, nil
		}
	case strings.HasPrefix(token, credo.ConsumerKeyPrefix) && consumers != nil:
		// A key of the wrong shape finds nothing by its hash, and is
		// answered as unknown all the same: no need to decode it first.
		c, err := consumers.ConsumerByKey(ctx, credo.HashKey(token))
		if err != nil && !errors.Is(err, credo.ErrNotFound) {
			return unavailable(err)
		}
		if c != nil {
			if !c.Active() {
				return unauthorized(`Bearer realm="credo", error="invalid_token"`, "this API key has been revoked")
			}
			info(ctx).consumer = c.Name
			return &principal{role: c.Role, name: c.Name, consumer: c}, nil
		}
	}
	return unauthorized(`Bearer realm="credo", error="invalid_token"`, "unknown API key")
}

// authorize authenticates a request to route bearing the Authorization
// header authz, and lets through the roles given: a request without a key
// is 401, one with a key of another role 403.
func authorize(ctx context.Context, logger *slog.Logger, store credo.Store, consumers credo.Consumers, authz, route string, roles ...credo.Role) (*principal, *requestError) {
	p, err := authenticate(ctx, logger, store, consumers, authz)
	if err != nil {
		return nil, err
	}
	if p.role == "" {
		return nil, &requestError{status: http.StatusUnauthorized, field: "Authorization",
			msg: "missing Authorization header: send Authorization: Bearer <API key>", challenge: `Bearer realm="credo"`}
	}
	if !p.is(roles...) {
		logger.WarnContext(ctx, "forbidden", slog.String("route", route), slog.String("role", string(p.role)),
			slog.String("principal", p.name), slog.String("request_id", info(ctx).id))
		return nil, &requestError{status: http.StatusForbidden, field: "Authorization", msg: "a " + string(p.role) + " key may not use " + route}
	}
	return p, nil
}

// requireRole lets through the requests of the roles given (authorize).
func requireRole(logger *slog.Logger, store credo.Store, consumers credo.Consumers, next func(http.ResponseWriter, *http.Request, *principal), roles ...credo.Role) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := authorize(r.Context(), logger, store, consumers, r.Header.Get("Authorization"), r.Pattern, roles...)
		if err != nil {
			writeRequestError(w, err)
			return
		}
		next(w, r, p)
	})
}

// keyCache remembers for a few seconds which entry a key hash found, so
// that a consumer asking thousands of decisions a second is looked up in
// the store once every few seconds, not every request. A revocation takes
// effect within the cache's lifetime.
type keyCache struct {
	inner credo.Consumers
	ttl   time.Duration
	mu    sync.RWMutex
	m     map[credo.KeyHash]cachedKey
}

type cachedKey struct {
	c       *credo.Consumer
	expires time.Time
}

// maxCachedKeys bounds the cache: unknown keys are never cached, so only
// real keys fill it.
const maxCachedKeys = 10_000

func newKeyCache(inner credo.Consumers, ttl time.Duration) *keyCache {
	return &keyCache{inner: inner, ttl: ttl, m: map[credo.KeyHash]cachedKey{}}
}

// PutConsumer, Consumer and Consumers pass through; ConsumerByKey is cached.
func (k *keyCache) PutConsumer(ctx context.Context, c *credo.Consumer) error {
	k.mu.Lock()
	clear(k.m)
	k.mu.Unlock()
	return k.inner.PutConsumer(ctx, c)
}

func (k *keyCache) Consumer(ctx context.Context, name string) (*credo.Consumer, error) {
	return k.inner.Consumer(ctx, name)
}

func (k *keyCache) Consumers(ctx context.Context) iter.Seq2[*credo.Consumer, error] {
	return k.inner.Consumers(ctx)
}

func (k *keyCache) ConsumerByKey(ctx context.Context, h credo.KeyHash) (*credo.Consumer, error) {
	now := time.Now()
	k.mu.RLock()
	e, ok := k.m[h]
	k.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.c, nil
	}
	c, err := k.inner.ConsumerByKey(ctx, h)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if len(k.m) >= maxCachedKeys {
		clear(k.m)
	}
	k.m[h] = cachedKey{c, now.Add(k.ttl)}
	k.mu.Unlock()
	return c, nil
}
