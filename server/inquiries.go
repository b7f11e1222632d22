package server

import (
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
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		ctx := r.Context()
		if audit == nil {
			writeError(w, http.StatusServiceUnavailable, "", "this server keeps no audit trail")
			return
		}
		ref, err := subjectRef(&azEntity{Type: r.PathValue("kind"), ID: r.PathValue("id")}, time.Now())
		if err != nil {
			writeRequestError(w, err)
			return
		}
		if p.role == credo.RoleSubject && p.consumer.Subject != ref {
			writeError(w, http.StatusForbidden, "id", "a subject key reads only its own subject's inquiries")
			return
		}
		logger.InfoContext(ctx, "read subject inquiries", slog.String("subject", ref.String()), slog.String("by", p.name),
			slog.String("role", string(p.role)), slog.String("request_id", info(ctx).id))
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
	}
}
