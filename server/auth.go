package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/credo-org/credo"
)

type sourceKey struct{}

// authSource returns the source requireSourceKey authenticated.
func authSource(ctx context.Context) *credo.Source {
	src, _ := ctx.Value(sourceKey{}).(*credo.Source)
	return src
}

// bearerToken returns the token of an "Authorization: Bearer TOKEN"
// header; ok is false when the header is absent or not of that form.
func bearerToken(h string) (token string, present, ok bool) {
	if h == "" {
		return "", false, false
	}
	scheme, token, found := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", true, false
	}
	return token, true, true
}

// requireSourceKey lets through only requests bearing the API key of the
// source named in the path: no or an unknown or revoked key is 401,
// another source's key 403.
func requireSourceKey(logger *slog.Logger, store credo.Store, next http.Handler) http.Handler {
	unauthorized := func(w http.ResponseWriter, challenge, msg string) {
		w.Header().Set("WWW-Authenticate", challenge)
		writeError(w, http.StatusUnauthorized, "Authorization", msg)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		token, present, ok := bearerToken(r.Header.Get("Authorization"))
		switch {
		case !present:
			unauthorized(w, `Bearer realm="credo"`, "missing Authorization header: send Authorization: Bearer <source API key>")
			return
		case !ok:
			unauthorized(w, `Bearer realm="credo", error="invalid_request"`, "malformed Authorization header: want Bearer <source API key>")
			return
		}
		var src *credo.Source
		if credo.LooksLikeSourceKey(token) {
			var err error
			src, err = store.SourceByKey(ctx, credo.HashKey(token))
			if err != nil && !errors.Is(err, credo.ErrNotFound) {
				logger.ErrorContext(ctx, "authenticate source key", slog.Any("err", err), slog.String("request_id", info(ctx).id))
				writeError(w, http.StatusServiceUnavailable, "", "cannot check the key now; try again")
				return
			}
		}
		if src == nil {
			unauthorized(w, `Bearer realm="credo", error="invalid_token"`, "unknown source API key")
			return
		}
		if !src.Active() {
			unauthorized(w, `Bearer realm="credo", error="invalid_token"`, "this source API key has been revoked")
			return
		}
		info(ctx).source = src.Name
		if name := r.PathValue("source"); name != src.Name {
			writeError(w, http.StatusForbidden, "source", "this key is source "+src.Name+"'s: it may post only to /v1/sources/"+src.Name+"/records")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, sourceKey{}, src)))
	})
}
