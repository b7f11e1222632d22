package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/credo-org/credo"
)

// handleHealthz answers as long as the process serves HTTP.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz answers 200 when the store answers a read, 503 otherwise.
func handleReadyz(logger *slog.Logger, store credo.Store) http.Handler {
	type ready struct {
		Status string `json:"status"`
		Head   uint64 `json:"head"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		head, err := probe(ctx, store)
		if err != nil {
			logger.WarnContext(ctx, "not ready", slog.Any("err", err))
			writeError(w, http.StatusServiceUnavailable, "", "the store is not answering")
			return
		}
		writeJSON(w, http.StatusOK, ready{Status: "ready", Head: head.Seq})
	})
}

// probe reads from the store's engine (a record that does not exist) and
// its head. An engine that has been closed panics rather than answering;
// that is not ready either.
func probe(ctx context.Context, store credo.Store) (head credo.Head, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("store: %v", v)
		}
	}()
	if _, err := store.Record(ctx, "readyz:probe"); err != nil && !errors.Is(err, credo.ErrNotFound) {
		return head, err
	}
	return store.Head(ctx)
}

// handleMethodNotAllowed answers the methods a path does not take.
func handleMethodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "", r.Method+" "+r.URL.Path+": this endpoint takes "+allow)
	})
}

// handleNotFound answers every path no route claims, in JSON like the rest.
func handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
}
