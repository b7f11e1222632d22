package resolve

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/credo-org/credo"
)

// Known is one identity a known subject has been seen with: the
// identifying attributes of one of its records (or the merged attributes
// the ledger keeps). A subject seen with several identities is given once
// for each.
type Known struct {
	Subject  string // the subject's key, such as its identity number
	Identity credo.Identity
}

// BatchConfig tunes ResolveBatch. The zero value is the default.
type BatchConfig struct {
	// DateLayout is the layout of the birth dates; default "2006-01-02",
	// credo.Identity's.
	DateLayout string
	// Link is the posterior probability from which a record is linked to
	// its best subject; default 0.99.
	Link float64
	// Review is the posterior probability from which a record that is not
	// linked goes to review with its candidates; default 0.05. Below, the
	// record stays unresolved.
	Review float64
	// Blocking rules over the fields of BatchFields; default
	// BatchBlocking.
	Blocking [][]string
	// Model, when set, is a model from an earlier batch
	// (BatchResult.Model) used instead of fitting one: a batch of a few
	// records says too little to fit m and u on.
	Model *Model
	// RandomPairs is the number of random record × identity pairs u is
	// estimated from; default 1,000,000.
	RandomPairs int
	Workers     int    // default GOMAXPROCS
	Seed        uint64 // for the random pairs u is estimated from
}

// BatchFields are the fields ResolveBatch compares, in the order of
// credo.Identity.
var BatchFields = []Field{
	{Name: "name", Kind: Name, TF: true},
	{Name: "birth_date", Kind: Date, Layout: "2006-01-02"},
	{Name: "sex", Kind: Sex},
	{Name: "phone", Kind: Phone, TF: true},
	{Name: "address", Kind: Text, TF: true},
	{Name: "id_number", Kind: ID, TF: true},
}

// BatchBlocking are ResolveBatch's default blocking rules. The id number
// alone, and for one mistyped: its last nine characters (a slip in the
// first nine), its first fourteen — the region and the birth date it holds
// (a slip in the sequence or check digits) — and its last four with the
// birth date or the name (a slip in between); the phone; the name with the
// birth date, its year or the address; the birth date with the address, or
// with the name's first three letters (a typo later in the name).
var BatchBlocking = [][]string{
	{"id_number"},
	{"id_number:last9"},
	{"id_number:first14"},
	{"birth_date", "id_number:last4"},
	{"name", "id_number:last4"},
	{"phone"},
	{"name", "birth_date"},
	{"name", "birth_date:year"},
	{"birth_date", "address"},
	{"name", "address"},
	{"birth_date", "name:first3"},
}

// Candidate is a known subject a record may be about.
type Candidate struct {
	Subject string `json:"subject"`
	// Weight is the match weight of the record and the subject's closest
	// identity, in bits; Posterior, the probability that the record is
	// about this subject, given every candidate.
	Weight    float64     `json:"weight"`
	Posterior float64     `json:"posterior"`
	Explain   Explanation `json:"explanation"` // A is the index in known, B in records
}

// Decision is what ResolveBatch makes of one record.
type Decision struct {
	// Status is Linked (to Subject), Review (Candidates for an operator)
	// or Unlinked (no subject is likely).
	Status  Status `json:"status"`
	Subject string `json:"subject,omitempty"` // Linked: the subject
	// Candidates are the likeliest subjects, best first: for Linked the
	// first is the subject linked to, with its explanation; for Review,
	// those worth an operator's look (posterior ≥ 1%, at most 5).
	Candidates []Candidate `json:"candidates,omitempty"`
}

// BatchResult is the outcome of ResolveBatch.
type BatchResult struct {
	Decisions []Decision `json:"-"` // one per record, in order
	// Prior is the estimated share of the records that are about a known
	// subject: the prior the posteriors start from.
	Prior    float64 `json:"prior"`
	Subjects int     `json:"subjects"`
	// Pairs is the number of record × identity pairs compared.
	Pairs     int64   `json:"pairs_compared"`
	RulePairs []int64 `json:"rule_pairs"`
	Model     Model   `json:"model"`
	Linked    int     `json:"linked"`
	Review    int     `json:"review"`
	Unlinked  int     `json:"unlinked"`
	Stages    []Stage `json:"stages"`
}

// maxPrior bounds the estimated share of records about a known subject:
// one record in twenty is always allowed to be about someone not yet known,
// so that a lone weak candidate is not taken for certain.
const maxPrior = 0.95

// ResolveBatch resolves records lacking a valid identifier against the
// identities of known subjects: for each record, the subjects it may be
// about, and a decision — linked to one subject, sent to review with its
// candidates, or left unresolved.
//
// The records and the identities are compared field by field as Linker
// compares two sources (BatchFields, blocked by BatchBlocking), with m
// and u fitted on them without labels unless cfg.Model gives them. A
// record's candidates are weighed against each other and against the
// chance that it is about no known subject: with π the share of records
// that are about a known subject (estimated by expectation–maximisation
// over the records) and N the number of subjects, the posterior of
// subject s is q·2^w(s) / (1 + q·Σ 2^w), q = π / ((1−π)·N), where w(s)
// is the weight of the record and s's closest identity. A record links
// when its best subject's posterior reaches cfg.Link: a common name and a
// birth date link when no other subject shares them, and go to review when
// another does.
//
// The caller resolves records with a valid identifier itself (they are
// deterministic) and passes the rest; a record's broken identifier still
// counts, one substitution or transposition from a known one being strong
// evidence.
func ResolveBatch(ctx context.Context, known []Known, records []credo.Identity, cfg BatchConfig) (*BatchResult, error) {
	if cfg.Link == 0 {
		cfg.Link = 0.99
	}
	if cfg.Review == 0 {
		cfg.Review = 0.05
	}
	if !(cfg.Link > 0 && cfg.Link <= 1 && cfg.Review > 0 && cfg.Review <= cfg.Link) {
		return nil, fmt.Errorf("resolve: batch: want 0 < review %v ≤ link %v ≤ 1", cfg.Review, cfg.Link)
	}
	fields := slices.Clone(BatchFields)
	if cfg.DateLayout != "" {
		fields[1].Layout = cfg.DateLayout
	}
	blocking := cfg.Blocking
	if blocking == nil {
		blocking = BatchBlocking
	}
	l, err := New(Config{Fields: fields, Blocking: blocking, Model: cfg.Model, Workers: cfg.Workers, Seed: cfg.Seed,
		RandomPairs: cfg.RandomPairs,
		Thresholds:  &Thresholds{Link: math.MaxFloat32, Review: math.MaxFloat32}})
	if err != nil {
		return nil, err
	}
	l.Grow(len(known) + len(records))
	subjectOf := make([]int32, len(known))
	subjectNum := map[string]int32{}
	var subjects []string
	for k, kn := range known {
		if kn.Subject == "" {
			return nil, fmt.Errorf("resolve: batch: known identity %d has no subject", k)
		}
		s, ok := subjectNum[kn.Subject]
		if !ok {
			s = int32(len(subjects))
			subjectNum[kn.Subject] = s
			subjects = append(subjects, kn.Subject)
		}
		subjectOf[k] = s
		if _, err := l.Add(0, identityValues(kn.Identity)); err != nil {
			return nil, err
		}
	}
	for _, r := range records {
		if _, err := l.Add(1, identityValues(r)); err != nil {
			return nil, err
		}
	}
	out := &BatchResult{Decisions: make([]Decision, len(records)), Subjects: len(subjects)}
	out.Unlinked = len(records)
	if len(records) == 0 || len(known) == 0 {
		return out, nil
	}
	l.keep = 0 // every candidate with some evidence for it
	res, cands, err := l.run(ctx)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if cfg.Model == nil {
		l.refitOnBest(res, cands, uint32(len(known)))
	}
	out.Pairs, out.RulePairs, out.Model = res.Pairs, res.RulePairs, res.Model

	// Each record's candidates: its pairs with the subjects' identities,
	// the best identity of each subject.
	K := uint32(len(known))
	type cand struct {
		rec, subj int32
		id        uint32 // the identity's index in known
		w         float32
	}
	cs := make([]cand, 0, len(cands))
	for _, p := range cands {
		k, r := min(p.A, p.B), max(p.A, p.B)
		if k >= K || r < K {
			continue
		}
		cs = append(cs, cand{int32(r - K), subjectOf[k], k, p.Weight})
	}
	cands = nil
	slices.SortFunc(cs, func(x, y cand) int {
		if c := cmp.Compare(x.rec, y.rec); c != 0 {
			return c
		}
		if c := cmp.Compare(x.subj, y.subj); c != 0 {
			return c
		}
		return cmp.Compare(y.w, x.w)
	})
	best := cs[:0] // the best identity of each (record, subject)
	for x, c := range cs {
		if x == 0 || c.rec != cs[x-1].rec || c.subj != cs[x-1].subj {
			best = append(best, c)
		}
	}
	// Each record's candidates as a run of best: sum of Bayes factors.
	type run struct {
		from, to int
		sum      float64
	}
	runs := make([]run, len(records))
	for x := 0; x < len(best); {
		y := x
		sum := 0.0
		for y < len(best) && best[y].rec == best[x].rec {
			sum += math.Exp2(float64(best[y].w))
			y++
		}
		runs[best[x].rec] = run{x, y, sum}
		x = y
	}
	// π by expectation–maximisation: the mean, over the records, of the
	// posterior that the record is about some known subject.
	N := float64(len(subjects))
	pi := 0.5
	for range 200 {
		q := pi / ((1 - pi) * N)
		s := 0.0
		for _, r := range runs {
			s += q * r.sum / (1 + q*r.sum)
		}
		next := min(max(s/float64(len(records)), 1e-9), maxPrior)
		if math.Abs(next-pi) < 1e-9 {
			pi = next
			break
		}
		pi = next
	}
	out.Prior = pi
	q := pi / ((1 - pi) * N)
	out.Unlinked = 0
	for r, rn := range runs {
		d := &out.Decisions[r]
		c := slices.Clone(best[rn.from:rn.to])
		slices.SortFunc(c, func(x, y cand) int { return cmp.Compare(y.w, x.w) })
		var top float64
		for x, cd := range c {
			post := q * math.Exp2(float64(cd.w)) / (1 + q*rn.sum)
			if x == 0 {
				top = post
			} else if post < 0.01 || x >= 5 {
				break
			}
			e := res.Explain(int(cd.id), int(K)+r)
			e.A, e.B = int(cd.id), r
			d.Candidates = append(d.Candidates, Candidate{Subject: subjects[cd.subj], Weight: round3(float64(cd.w)),
				Posterior: post, Explain: e})
		}
		switch {
		case len(c) > 0 && top >= cfg.Link:
			d.Status, d.Subject = Linked, d.Candidates[0].Subject
			d.Candidates = d.Candidates[:1]
			out.Linked++
		case len(c) > 0 && top >= cfg.Review:
			d.Status = Review
			out.Review++
		default:
			d.Status, d.Candidates = Unlinked, nil
			out.Unlinked++
		}
	}
	res.stage("decide", t0)
	out.Stages = res.Stages
	return out, nil
}

// refitOnBest fits m again on each record's best candidate alone, and
// weighs the candidates again. A record is about one subject at most, so
// its other candidates are not matches; but blocking brings them by the
// thousand agreeing where the rules force them to (namesakes of one
// generation, the same birth date in the id), and EM over every compared
// pair takes many of them for matches that differ in phone and address.
// Records 0..K-1 are the known identities, the rest the batch.
func (l *Linker) refitOnBest(res *Result, cands []Pair, K uint32) {
	n := len(l.src) - int(K)
	best := make([]int32, n)
	for r := range best {
		best[r] = -1
	}
	for x, p := range cands {
		k, r := min(p.A, p.B), max(p.A, p.B)
		if k >= K || r < K {
			continue
		}
		if b := best[r-K]; b < 0 || p.Weight > cands[b].Weight {
			best[r-K] = int32(x)
		}
	}
	index := map[uint64]int{}
	var patterns []uint64
	var counts []float64
	for _, b := range best {
		if b < 0 {
			continue
		}
		pat := l.levels(cands[b].A, cands[b].B)
		x, ok := index[pat]
		if !ok {
			x = len(patterns)
			index[pat] = x
			patterns = append(patterns, pat)
			counts = append(counts, 0)
		}
		counts[x]++
	}
	if len(patterns) == 0 {
		return
	}
	u := make([][]float64, len(l.cols))
	for f, fm := range res.Model.Fields {
		u[f] = make([]float64, len(fm.Levels)+1)
		for lv, lm := range fm.Levels {
			u[f][lv+1] = lm.U
		}
	}
	mod := l.em(patterns, counts, u) // and the weight tables
	mod.Prior = res.Model.Prior
	res.Model = mod
	for x := range cands {
		a, b := min(cands[x].A, cands[x].B), max(cands[x].A, cands[x].B)
		cands[x].Weight = l.weight(a, l.levels(a, b))
	}
}

// identityValues are an identity's values in the order of BatchFields.
func identityValues(id credo.Identity) []string {
	return []string{id.Name, id.BirthDate, id.Sex.String(), id.Phone, id.Address, id.IDNumber}
}
