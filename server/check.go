package server

import (
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/policy"
)

// The counterparty check: anyone may look up an organisation before doing
// business with it — its grade, its memberships of published lists with
// their legal basis, and the penalties published through them. Persons
// are never publicly checkable.

type checkList struct {
	List         string    `json:"list"`
	Type         string    `json:"type"`
	LegalBasis   string    `json:"legal_basis"`
	Since        time.Time `json:"since"`
	Until        time.Time `json:"until,omitzero"`
	Jurisdiction string    `json:"jurisdiction"`
}

type checkPenalty struct {
	Record     string            `json:"record"`
	Kind       string            `json:"kind"`
	OccurredAt time.Time         `json:"occurred_at"`
	LegalBasis string            `json:"legal_basis,omitempty"`
	Source     string            `json:"source"`
	Attributes map[string]string `json:"attributes,omitempty"`
	List       string            `json:"list"`
}

type checkGrade struct {
	Jurisdiction  string  `json:"jurisdiction"`
	PolicyVersion string  `json:"policy_version"`
	Grade         string  `json:"grade"`
	Score         float64 `json:"score"`
}

type checkResponse struct {
	USCC      string         `json:"uscc"`
	Known     bool           `json:"known"`
	Grades    []checkGrade   `json:"grades"`
	Lists     []checkList    `json:"lists"`
	Penalties []checkPenalty `json:"penalties"`
	AsOf      time.Time      `json:"as_of"`
}

// handleOrgCheck is GET /v1/organizations/{uscc}/check.
func handleOrgCheck(logger *slog.Logger, store credo.Store, prgs func() []*policy.Program) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := ident.Normalize(r.PathValue("uscc"))
		if res := ident.CheckOrganization(id); !res.Valid() {
			writeError(w, http.StatusBadRequest, "uscc", "not a valid unified social credit code (GB 32100): "+res.Reason.String()+"; only organisations can be checked")
			return
		}
		ref := credo.SubjectRef{Kind: credo.Organization, ID: id}
		logger.InfoContext(ctx, "read subject records", slog.String("subject", ref.String()), slog.String("why", "public counterparty check"),
			slog.String("request_id", info(ctx).id))
		var recs []*credo.Record
		byID := map[string]*credo.Record{}
		for rec, err := range store.SubjectRecords(ctx, ref) {
			if err != nil {
				logger.ErrorContext(ctx, "counterparty check: reading records", slog.Any("err", err), slog.String("request_id", info(ctx).id))
				writeError(w, http.StatusServiceUnavailable, "", "cannot read the ledger now; try again")
				return
			}
			recs = append(recs, rec)
			byID[rec.ID] = rec
		}
		now := time.Now().UTC()
		out := checkResponse{USCC: id, Known: len(recs) > 0, Grades: []checkGrade{}, Lists: []checkList{}, Penalties: []checkPenalty{}, AsOf: now}
		for _, p := range prgs() {
			if !p.Scores(credo.Organization) {
				continue
			}
			st := p.Standing(ref, recs, now)
			if out.Known {
				out.Grades = append(out.Grades, checkGrade{Jurisdiction: p.Jurisdiction, PolicyVersion: p.VersionID(), Grade: st.Grade, Score: st.Score})
			}
			lists := map[string]*policy.List{}
			for i := range p.Policy().Lists {
				l := &p.Policy().Lists[i]
				lists[l.Name] = l
			}
			for _, m := range st.Lists {
				l := lists[m.List]
				if l == nil || !l.Published || l.LegalBasis == "" {
					continue // only what the policy publishes, on a legal basis
				}
				out.Lists = append(out.Lists, checkList{List: m.List, Type: m.Type, LegalBasis: l.LegalBasis, Since: m.Since, Until: m.Until, Jurisdiction: p.Jurisdiction})
				if rec := byID[m.Record]; rec != nil {
					pen := checkPenalty{Record: rec.ID, Kind: rec.Kind, OccurredAt: rec.OccurredAt, LegalBasis: rec.LegalBasis, Source: rec.Source, List: m.List}
					for _, a := range rec.Attributes {
						if pen.Attributes == nil {
							pen.Attributes = map[string]string{}
						}
						pen.Attributes[a.Key] = a.Value.String()
					}
					out.Penalties = append(out.Penalties, pen)
				}
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// rateLimit lets each client address make burst requests at once and
// perMinute a minute after that; beyond, 429 with Retry-After.
func rateLimit(perMinute, burst int, next http.Handler) http.Handler {
	type bucket struct {
		tokens float64
		last   time.Time
	}
	var (
		mu      sync.Mutex
		buckets = map[string]*bucket{}
		sweep   time.Time
	)
	rate := float64(perMinute) / 60
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		now := time.Now()
		mu.Lock()
		if now.Sub(sweep) > time.Minute { // forget clients whose bucket is full again
			for k, b := range buckets {
				if b.tokens+now.Sub(b.last).Seconds()*rate >= float64(burst) {
					delete(buckets, k)
				}
			}
			sweep = now
		}
		b := buckets[host]
		if b == nil {
			b = &bucket{tokens: float64(burst), last: now}
			buckets[host] = b
		}
		b.tokens = min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*rate)
		b.last = now
		ok := b.tokens >= 1
		if ok {
			b.tokens--
		}
		wait := (1 - b.tokens) / rate
		mu.Unlock()
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait)+1))
			writeError(w, http.StatusTooManyRequests, "", "too many checks from this address: try again later")
			return
		}
		next.ServeHTTP(w, r)
	})
}
