package server

import (
	"log/slog"
	"net/http"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policy"
)

// subjectSearchPage bounds the subjects one subject search answers.
//
// The search reads standings in id order under one jurisdiction; a page
// ends after subjectSearchPage subjects found.
const subjectSearchPage = 1000

// handleSearchSubject is POST /access/v1/search/subject: the subjects of a
// type who may do an action (the subjects credo holds standings for, a
// page at a time). It is for operators only — offered to a consumer it
// would let an airline enumerate the blacklist — and every search is
// logged. It reads the standings stored under the policy the table
// decides with (credo score): 501 while none are.
func handleSearchSubject(d *decider, standings credo.Standings) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		ctx := r.Context()
		if standings == nil {
			writeError(w, http.StatusNotImplemented, "", "subject search needs the store's standings")
			return
		}
		var req struct {
			azEvaluation
			Page *struct {
				NextToken string `json:"next_token"`
			} `json:"page"`
		}
		if err := readJSON(w, r, maxEvaluationBody, &req); err != nil {
			writeRequestError(w, err)
			return
		}
		if req.Subject == nil || (req.Subject.Type != "person" && req.Subject.Type != "organization" && req.Subject.Type != "organisation") {
			writeError(w, http.StatusBadRequest, "subject.type", "subject.type is required: person or organization")
			return
		}
		kind := credo.Person
		if req.Subject.Type != "person" {
			kind = credo.Organization
		}
		if req.Action == nil || req.Action.Name == "" {
			writeError(w, http.StatusBadRequest, "action.name", "action.name is required")
			return
		}
		after := ""
		if req.Page != nil {
			after = req.Page.NextToken
		}
		d.logger.WarnContext(ctx, "subject search", slog.String("principal", p.name), slog.String("action", req.Action.Name),
			slog.String("subject_type", req.Subject.Type), slog.String("after", after), slog.String("request_id", info(ctx).id))
		// the subjects with a standing under the first policy scoring the kind, in id order
		var prg *policy.Program
		for _, pg := range d.table.Programs() {
			if pg.Scores(kind) {
				prg = pg
				break
			}
		}
		if prg == nil {
			writeError(w, http.StatusNotImplemented, "", "no policy the table decides with scores a "+req.Subject.Type+": there are no standings to search")
			return
		}
		// A table scored from the ledger at start (no policy published, or
		// none scored yet) has no stored standings behind it: reading them
		// would answer that nobody may, rather than that the search cannot
		// be made.
		if wm, err := standings.Watermark(ctx, prg.VersionID()); err != nil {
			d.logger.ErrorContext(ctx, "subject search: reading the standings' watermark", slog.Any("err", err), slog.String("request_id", info(ctx).id))
			writeError(w, http.StatusServiceUnavailable, "", "cannot read the standings now; try again")
			return
		} else if wm == 0 {
			writeError(w, http.StatusNotImplemented, "", "subject search reads the standings stored under "+prg.VersionID()+", and none are: publish the policy and run credo score")
			return
		}
		jurisdiction := prg.Jurisdiction
		results := []map[string]string{}
		next, last := "", ""
		for st, err := range standings.ListStandings(ctx, credo.StandingFilter{Jurisdiction: jurisdiction}) {
			if err != nil {
				d.logger.ErrorContext(ctx, "subject search: reading standings", slog.Any("err", err), slog.String("request_id", info(ctx).id))
				writeError(w, http.StatusServiceUnavailable, "", "cannot read the standings now; try again")
				return
			}
			ref := st.Subject
			if ref.Kind != kind || ref.ID <= after {
				continue
			}
			if len(results) == subjectSearchPage {
				next = last
				break
			}
			last = ref.ID
			if res := d.table.Decide(ref, req.Action.Name, req.Context); res.Effect == credo.Permit {
				results = append(results, map[string]string{"type": req.Subject.Type, "id": ref.ID})
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"results": results, "page": map[string]string{"next_token": next}})
	}
}
