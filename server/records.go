package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ingest"
)

// acceptedTypes are the content types of a records body: NDJSON, under
// the names clients send it by.
var acceptedTypes = map[string]bool{"application/x-ndjson": true, "application/json": true, "text/plain": true}

// postRecordsResponse is the answer to a records request: the counts and
// what became of every line.
type postRecordsResponse struct {
	RequestID   string           `json:"request_id"`
	Run         string           `json:"run"`
	Status      string           `json:"status"` // done, quarantined (some lines were), failed (the body could not be read to the end)
	Error       string           `json:"error,omitempty"`
	Lines       int64            `json:"line_count"`
	Appended    int64            `json:"appended"`
	Duplicates  int64            `json:"duplicates"`
	Quarantined int64            `json:"quarantined"`
	Unresolved  int64            `json:"unresolved"`
	Released    int64            `json:"released,omitempty"`
	Outcomes    []ingest.Outcome `json:"lines"`
}

// handlePostRecords ingests an NDJSON body under the authenticated
// source's registered spec, exactly as a file of the same lines: the same
// validation, quarantine and idempotency.
func handlePostRecords(logger *slog.Logger, store credo.Store, cfg Config, m *metrics) http.Handler {
	sem := make(chan struct{}, cfg.MaxConcurrentIngests)
	tooLarge := func(w http.ResponseWriter) {
		writeError(w, http.StatusRequestEntityTooLarge, "body",
			fmt.Sprintf("the body is larger than the limit of %d bytes (%d MiB): split it into several requests", cfg.MaxBodyBytes, cfg.MaxBodyBytes>>20))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		src := authSource(ctx)
		reqID := info(ctx).id

		ct := r.Header.Get("Content-Type")
		mt, params, err := mime.ParseMediaType(ct)
		if ct == "" || err != nil || !acceptedTypes[mt] {
			writeError(w, http.StatusUnsupportedMediaType, "Content-Type",
				fmt.Sprintf("Content-Type %q: send application/x-ndjson (or application/json, text/plain), one JSON record a line", ct))
			return
		}
		if cs, ok := params["charset"]; ok && !equalFoldAny(cs, "utf-8", "utf8") {
			writeError(w, http.StatusUnsupportedMediaType, "Content-Type", fmt.Sprintf("charset %q: the body must be UTF-8", cs))
			return
		}
		if r.ContentLength > cfg.MaxBodyBytes {
			tooLarge(w)
			return
		}

		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		case <-ctx.Done():
			writeError(w, http.StatusServiceUnavailable, "", "the request ended while waiting for its turn to ingest")
			return
		}
		// The whole body is read before anything is ingested, so that a
		// body over the limit is refused whole rather than half-applied.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes))
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			tooLarge(w)
			return
		case err != nil:
			writeError(w, http.StatusBadRequest, "body", "reading the body: "+err.Error())
			return
		case len(bytes.TrimSpace(body)) == 0:
			writeError(w, http.StatusBadRequest, "body", "the body is empty: send one JSON record a line")
			return
		}

		spec, err := ingest.ParseSpec("registered spec of source "+src.Name, []byte(src.Spec))
		if err != nil {
			logger.ErrorContext(ctx, "registered spec does not parse", slog.String("source", src.Name), slog.Any("err", err))
			writeError(w, http.StatusInternalServerError, "", "the source's registered spec is invalid; ask the operator to register it again")
			return
		}
		var outcomes []ingest.Outcome
		rep, err := cfg.Ingester.IngestStream(ctx, spec, bytes.NewReader(body), reqID, func(o ingest.Outcome) {
			outcomes = append(outcomes, o)
		})
		if rep != nil {
			m.countIngest(src.Name, rep)
		}
		if err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				logger.WarnContext(ctx, "client went away during an ingest; re-posting the same lines is safe", slog.String("source", src.Name), slog.String("request_id", reqID))
				writeError(w, http.StatusServiceUnavailable, "", "the request ended during the ingest; re-posting the same lines is safe")
				return
			}
			logger.ErrorContext(ctx, "stream ingest", slog.String("source", src.Name), slog.String("request_id", reqID), slog.Any("err", err))
			writeError(w, http.StatusInternalServerError, "", "the store failed during the ingest (request "+reqID+"); lines reported before it are kept, and re-posting them is safe")
			return
		}
		if outcomes == nil {
			outcomes = []ingest.Outcome{}
		}
		resp := postRecordsResponse{
			RequestID: reqID, Run: rep.ID, Status: rep.Status, Error: rep.Error, Lines: rep.Rows,
			Appended: rep.Appended, Duplicates: rep.Duplicates, Quarantined: rep.Quarantined,
			Unresolved: rep.Unresolved, Released: rep.Released, Outcomes: outcomes,
		}
		status := http.StatusOK
		if rep.Status == "failed" {
			// The body could not be read to its end (not UTF-8, not NDJSON):
			// the lines before the fault are reported as taken.
			status = http.StatusBadRequest
		}
		writeJSON(w, status, resp)
	})
}

func equalFoldAny(s string, options ...string) bool {
	for _, o := range options {
		if strings.EqualFold(s, o) {
			return true
		}
	}
	return false
}

// countIngest adds one request's outcome to the stream counters.
func (m *metrics) countIngest(source string, rep *ingest.Report) {
	for status, n := range map[string]int64{"appended": rep.Appended, "duplicate": rep.Duplicates, "quarantined": rep.Quarantined, "unresolved": rep.Unresolved} {
		if n > 0 {
			m.ingested.WithLabelValues(source, status).Add(float64(n))
		}
	}
}
