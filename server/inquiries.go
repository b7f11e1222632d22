package server

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/credo-org/credo"
)

// handleInquiries is GET /v1/subjects/{kind}/{id}/inquiries: who asked
// about the subject, what and when, and the answers. A subject key reads
// its own subject's only; operators and auditors any (and the reading is
// logged).
func handleInquiries(logger *slog.Logger, audit credo.Audit) func(http.ResponseWriter, *http.Request, *principal) {
	return subjectTrail(logger, audit, "read subject inquiries", func(w http.ResponseWriter, r *http.Request, ref credo.SubjectRef) {
		ctx := r.Context()
		out := []*credo.Inquiry{}
		for q, err := range audit.SubjectInquiries(ctx, ref) {
			if err != nil {
				logger.ErrorContext(ctx, "reading inquiries", slog.Any("err", err), slog.String("request_id", info(ctx).id))
				writeError(w, http.StatusServiceUnavailable, "", "cannot read the audit trail now; try again")
				return
			}
			out = append(out, q)
		}
		writeJSON(w, http.StatusOK, map[string]any{"subject": ref, "inquiries": out})
	})
}

// handleNotice is GET /v1/subjects/{kind}/{id}/notices/{notice}: one of
// the subject's adverse-action notices (its id is in the denial's answer
// and in the subject's inquiries): the measures that denied, the rules,
// the grade, lists and records behind them, and how to object. Read as
// the inquiries are.
func handleNotice(logger *slog.Logger, audit credo.Audit) func(http.ResponseWriter, *http.Request, *principal) {
	return subjectTrail(logger, audit, "read adverse-action notice", func(w http.ResponseWriter, r *http.Request, ref credo.SubjectRef) {
		ctx := r.Context()
		n, err := audit.Notice(ctx, ref, r.PathValue("notice"))
		switch {
		case errors.Is(err, credo.ErrNotFound):
			writeError(w, http.StatusNotFound, "notice", "the subject has no adverse-action notice of this id")
		case err != nil:
			logger.ErrorContext(ctx, "reading a notice", slog.Any("err", err), slog.String("request_id", info(ctx).id))
			writeError(w, http.StatusServiceUnavailable, "", "cannot read the audit trail now; try again")
		default:
			writeJSON(w, http.StatusOK, n)
		}
	})
}

// subjectTrail serves a read of the subject {kind}/{id}'s part of the
// audit trail: a subject key its own subject's only, operators and
// auditors any; each read is logged with who read and what.
func subjectTrail(logger *slog.Logger, audit credo.Audit, what string, serve func(http.ResponseWriter, *http.Request, credo.SubjectRef)) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		ctx := r.Context()
		if audit == nil {
			writeError(w, http.StatusServiceUnavailable, "", "this server keeps no audit trail")
			return
		}
		ref, err := subjectRefNamed(&azEntity{Type: r.PathValue("kind"), ID: r.PathValue("id")}, time.Now(), "kind", "id")
		if err != nil {
			writeRequestError(w, err)
			return
		}
		if p.role == credo.RoleSubject && p.consumer.Subject != ref {
			writeError(w, http.StatusForbidden, "id", "a subject key reads only its own subject's audit trail")
			return
		}
		attrs := []any{slog.String("subject", ref.String()), slog.String("by", p.name),
			slog.String("role", string(p.role)), slog.String("request_id", info(ctx).id)}
		if id := r.PathValue("notice"); id != "" {
			attrs = append(attrs, slog.String("notice", id))
		}
		logger.InfoContext(ctx, what, attrs...)
		serve(w, r, ref)
	}
}
