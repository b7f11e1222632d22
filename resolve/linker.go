package resolve

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Config says what to compare and how to block, score and cluster.
type Config struct {
	Fields []Field // at most 16
	// Blocking rules, OR-ed: a pair is compared when the two records agree
	// on every key of at least one rule. A key is a field name, or a field
	// name and a transform: "surname", "date_of_birth:year",
	// "phone:last4", "name:first3". Nil means DefaultBlocking(Fields).
	Blocking [][]string
	// Thresholds on the match weight; nil, or NaN for either, means the
	// default derived from the fitted model (see Model.DefaultThresholds).
	Thresholds *Thresholds
	// OneToOne, when two sources are linked, lets each record link to at
	// most one record of the other source: the best, in order of weight.
	OneToOne bool
	// MaxBlock is the largest block compared; larger blocks are skipped
	// and reported (a rule such as [sex] would compare everyone). Default
	// 2000.
	MaxBlock int
	// RandomPairs is the number of random pairs drawn to estimate u.
	// Default 1,000,000 (all pairs when there are fewer).
	RandomPairs int
	// MaxClusterPairs caps the cross comparisons made to check that a
	// merge holds against both clusters (size(A)·size(B)). Default 10,000.
	MaxClusterPairs int
	Workers         int    // default GOMAXPROCS
	Seed            uint64 // for the random pairs
	// Model, when set, is used instead of fitting one: u is not drawn and
	// EM does not run (the term-frequency adjustments still come from the
	// records). A model from an earlier run over the same fields lets a
	// small batch be scored as a large one was.
	Model *Model
}

// Thresholds on the match weight (log2 of the Bayes factor, in bits): at
// or above Link a pair is linked; at or above Review, sent for review;
// below, left alone.
type Thresholds struct {
	Link   float64 `json:"link"`
	Review float64 `json:"review"`
}

// maxFields is the number of fields a pattern packs into 64 bits.
const maxFields = 16

// column holds one field of every record.
type column struct {
	Field
	layout dateLayout
	swap   int      // index of the Swap field, or -1
	rec    []uint32 // per record: its value id, 0 when missing
	vals   []value  // by value id; vals[0] is unused
	// While loading: the values and keys seen, by a 64-bit hash of their
	// string (two strings in a million sharing one is a chance of 1 in
	// 30 million: no string is kept twice to rule it out).
	seed     maphash.Seed
	intern   map[uint64]uint32 // surface → value id (0: missing)
	keys     map[uint64]uint32 // key string → key id
	keyStr   []string          // by key id
	keyCount []uint32          // by key id: records carrying it, by source
	keyCnt2  []uint32          // by key id, source 1 (linking two sources)
	present  [2]int            // records with a value, by source
	tfAdj    []float32         // by key id: log2(uKey / p_key)
	uKey     float64           // the chance two random records share a key
	// Text: the tokens, interned.
	tokIntern map[string]uint32
	tokStr    []string // by token id ("" for a Han bigram)
	arena     []uint32 // each value's number of tokens, then its token ids
	// Name: each value's tokens sorted and joined (word order ignored).
	alts []string
	raw  []string // the values added, until Run prepares them
}

// Linker links records: Add them, then Run.
type Linker struct {
	cfg    Config
	cols   []*column
	byName map[string]int
	src    []uint8
	n      [2]int
	bits   [][]float32 // by field and level: log2(m/u), once fitted
	ran    bool
	// keep, when below the review threshold, is the weight from which
	// scored pairs are kept (the batch resolver weighs every candidate).
	keep float32
}

// New checks a configuration and returns an empty linker.
func New(cfg Config) (*Linker, error) {
	if len(cfg.Fields) == 0 {
		return nil, errors.New("resolve: no fields to compare")
	}
	if len(cfg.Fields) > maxFields {
		return nil, fmt.Errorf("resolve: %d fields; at most %d", len(cfg.Fields), maxFields)
	}
	if cfg.MaxBlock <= 0 {
		cfg.MaxBlock = 2000
	}
	if cfg.RandomPairs <= 0 {
		cfg.RandomPairs = 1_000_000
	}
	if cfg.MaxClusterPairs <= 0 {
		cfg.MaxClusterPairs = 10_000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if t := cfg.Thresholds; t != nil {
		if math.IsInf(t.Link, 0) || math.IsInf(t.Review, 0) || t.Review > t.Link {
			return nil, fmt.Errorf("resolve: thresholds: review %v must be finite and not above link %v", t.Review, t.Link)
		}
	}
	l := &Linker{cfg: cfg, byName: map[string]int{}, keep: float32(math.Inf(1))}
	for i, f := range cfg.Fields {
		if f.Name == "" {
			return nil, fmt.Errorf("resolve: field %d has no name", i+1)
		}
		if _, dup := l.byName[f.Name]; dup {
			return nil, fmt.Errorf("resolve: field %q given twice", f.Name)
		}
		if f.Kind >= numKinds {
			return nil, fmt.Errorf("resolve: field %q: unknown comparison %d", f.Name, f.Kind)
		}
		c := &column{Field: f, swap: -1, vals: make([]value, 1), intern: map[uint64]uint32{}, seed: maphash.MakeSeed(),
			keys: map[uint64]uint32{}, keyStr: []string{""}, keyCount: []uint32{0}, keyCnt2: []uint32{0},
			tokIntern: map[string]uint32{}}
		if f.Kind == Date {
			d, err := parseLayout(f.Layout)
			if err != nil {
				return nil, fmt.Errorf("resolve: field %q: %w", f.Name, err)
			}
			c.layout = d
		} else if f.Layout != "" {
			return nil, fmt.Errorf("resolve: field %q: a layout applies to dates only", f.Name)
		}
		l.byName[f.Name] = i
		l.cols = append(l.cols, c)
	}
	for _, c := range l.cols {
		if c.Swap == "" {
			continue
		}
		o, ok := l.byName[c.Swap]
		if !ok || c.Kind != Name || l.cols[o].Kind != Name || c.Swap == c.Name {
			return nil, fmt.Errorf("resolve: field %q: swap %q must name another name field", c.Name, c.Swap)
		}
		c.swap = o
	}
	if cfg.Blocking == nil {
		l.cfg.Blocking = DefaultBlocking(cfg.Fields)
	}
	for r, rule := range l.cfg.Blocking {
		if len(rule) == 0 {
			return nil, fmt.Errorf("resolve: blocking rule %d is empty", r+1)
		}
		for _, k := range rule {
			if _, err := l.parseKey(k); err != nil {
				return nil, fmt.Errorf("resolve: blocking rule %d: %w", r+1, err)
			}
		}
	}
	return l, nil
}

// DefaultBlocking is the blocking used when a configuration gives none:
// each identifier and phone on its own; each date with each name; each
// name with each text field; and when there is no date, the names
// together. The rules are meant to keep blocks small on a population of
// millions while letting a record with one bad field still meet its match.
func DefaultBlocking(fields []Field) [][]string {
	var rules [][]string
	var names, dates, texts []string
	for _, f := range fields {
		switch f.Kind {
		case ID, Phone:
			rules = append(rules, []string{f.Name})
		case Name:
			names = append(names, f.Name)
		case Date:
			dates = append(dates, f.Name)
		case Text:
			texts = append(texts, f.Name)
		}
	}
	for _, d := range dates {
		for _, n := range names {
			rules = append(rules, []string{d, n})
		}
		if len(names) == 0 {
			rules = append(rules, []string{d})
		}
	}
	for _, t := range texts {
		for _, n := range names {
			rules = append(rules, []string{t, n})
		}
	}
	if len(dates) == 0 && len(names) > 0 {
		rules = append(rules, names)
	}
	if len(rules) == 0 {
		for _, f := range fields {
			if f.Kind == Exact {
				rules = append(rules, []string{f.Name})
			}
		}
	}
	return rules
}

// Add adds a record from source 0 or 1 (linking two sources compares only
// pairs across them); values are in the order of Config.Fields. It returns
// the record's index.
func (l *Linker) Add(source int, values []string) (int, error) {
	if source != 0 && source != 1 {
		return 0, fmt.Errorf("resolve: source %d: want 0 or 1", source)
	}
	if len(values) != len(l.cols) {
		return 0, fmt.Errorf("resolve: %d values for %d fields", len(values), len(l.cols))
	}
	if l.ran {
		return 0, errors.New("resolve: Add after Run")
	}
	if len(l.src) >= math.MaxUint32-1 {
		return 0, errors.New("resolve: too many records")
	}
	for f, c := range l.cols {
		c.raw = append(c.raw, values[f])
	}
	l.src = append(l.src, uint8(source))
	l.n[source]++
	return len(l.src) - 1, nil
}

// Grow makes room for n more records, so that adding a known number of
// records does not copy what was added before.
func (l *Linker) Grow(n int) {
	if n <= 0 {
		return
	}
	l.src = slices.Grow(l.src, n)
	for _, c := range l.cols {
		c.raw = slices.Grow(c.raw, n)
	}
}

// Len is the number of records added.
func (l *Linker) Len() int { return len(l.src) }

func (c *column) add(raw string, source int) uint32 {
	s := surface(raw)
	var id uint32
	if c.Kind == Name || c.Kind == Text || c.Kind == Date || c.Kind == Sex {
		// Names, addresses, dates and sexes repeat and cost something to
		// prepare: one value for each surface form (two forms of one date
		// share its key).
		h := maphash.String(c.seed, s)
		var seen bool
		if id, seen = c.intern[h]; !seen {
			if !missing(s) {
				if v, key, ok := c.prepare(s); ok {
					v.key = c.keyID(key)
					id = uint32(len(c.vals))
					c.vals = append(c.vals, v)
				}
			}
			c.intern[h] = id
		}
	} else {
		// Elsewhere the key is the normalised form itself: one value for
		// each key, and one map.
		if missing(s) {
			return 0
		}
		v, key, ok := c.prepare(s)
		if !ok {
			return 0
		}
		h := maphash.String(c.seed, key)
		var have bool
		if id, have = c.keys[h]; !have {
			key = strings.Clone(key)
			id = c.newKey(h, key)
			v.key, v.s = id, key
			c.vals = append(c.vals, v) // value id = key id
		}
	}
	if id != 0 {
		k := c.vals[id].key
		if source == 0 {
			c.keyCount[k]++
		} else {
			c.keyCnt2[k]++
		}
		c.present[source]++
	}
	return id
}

// keyID returns the id of a key, numbering it when new.
func (c *column) keyID(key string) uint32 {
	h := maphash.String(c.seed, key)
	if k, have := c.keys[h]; have {
		return k
	}
	return c.newKey(h, key)
}

// newKey numbers a new key of hash h.
func (c *column) newKey(h uint64, key string) uint32 {
	k := uint32(len(c.keyStr))
	c.keys[h] = k
	c.keyStr = append(c.keyStr, key)
	c.keyCount = append(c.keyCount, 0)
	c.keyCnt2 = append(c.keyCnt2, 0)
	return k
}

// Stage is one step of a run and the time it took.
type Stage struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"-"`
	Seconds  float64       `json:"seconds"`
	// CPU is the processor time the whole process used meanwhile, all
	// cores together (where the system says; 0 elsewhere).
	CPU float64 `json:"cpu_seconds,omitempty"`
}

// Pair is two records and the match weight between them.
type Pair struct {
	A, B   uint32
	Weight float32
}

// Status is what became of a record.
type Status uint8

const (
	Unlinked Status = iota // no link, nothing to review
	Linked                 // in a cluster with at least one other record
	Review                 // not linked, but a pair with it is up for review
)

func (s Status) String() string {
	switch s {
	case Linked:
		return "linked"
	case Review:
		return "review"
	}
	return "unlinked"
}

// Result is the outcome of a run.
type Result struct {
	Records int    `json:"records"`
	Sources [2]int `json:"sources"`
	// Pairs is the number of pairs compared; RulePairs, how many each
	// blocking rule brought that no earlier rule had.
	Pairs     int64   `json:"pairs_compared"`
	RulePairs []int64 `json:"rule_pairs"`
	// Blocks skipped for being larger than MaxBlock, and the records in them.
	SkippedBlocks  int `json:"skipped_blocks"`
	SkippedRecords int `json:"skipped_records"`
	RandomPairs    int `json:"random_pairs"`

	Model      Model      `json:"model"`
	Thresholds Thresholds `json:"thresholds"`

	// Per record: its cluster (numbered from 0 in the order of each
	// cluster's first record; a record alone has a cluster of its own),
	// its best match weight and with whom (NaN and -1 when it was compared
	// with no one), and its status.
	Cluster  []uint32  `json:"-"`
	Best     []float32 `json:"-"`
	BestWith []int32   `json:"-"`
	Status   []Status  `json:"-"`

	Links    []Pair  `json:"-"` // pairs that made the clusters
	Reviews  []Pair  `json:"-"` // pairs to review: between the thresholds, or refused by the cluster guard
	Refused  int     `json:"refused_by_guard"`
	Clusters int     `json:"clusters_of_several"`
	Linked   int     `json:"records_linked"`
	Stages   []Stage `json:"stages"`

	l    *Linker
	cpu0 time.Duration
}

// Run blocks, compares, fits the model, scores and clusters. It may be
// called once.
func (l *Linker) Run(ctx context.Context) (*Result, error) {
	res, cands, err := l.run(ctx)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := l.cluster(ctx, res, cands); err != nil {
		return nil, err
	}
	res.stage("cluster", t0)
	return res, nil
}

// stage notes a stage that began at t0.
func (r *Result) stage(name string, t0 time.Time) {
	d := time.Since(t0)
	cpu := CPUTime()
	r.Stages = append(r.Stages, Stage{Name: name, Duration: d, Seconds: math.Round(d.Seconds()*1000) / 1000,
		CPU: math.Round((cpu-r.cpu0).Seconds()*1000) / 1000})
	r.cpu0 = cpu
}

// run does everything Run does but cluster: it returns the scored pairs
// at or above the review threshold (or l.keep, when lower).
func (l *Linker) run(ctx context.Context) (*Result, []Pair, error) {
	if l.ran {
		return nil, nil, errors.New("resolve: Run twice")
	}
	l.ran = true
	res := &Result{Records: len(l.src), Sources: l.n, l: l, cpu0: CPUTime()}
	n := len(l.src)
	res.Cluster = make([]uint32, n)
	res.Best = make([]float32, n)
	res.BestWith = make([]int32, n)
	res.Status = make([]Status, n)
	for i := range n {
		res.Best[i] = float32(math.NaN())
		res.BestWith[i] = -1
	}

	// Prepare each column's values, the columns in parallel.
	t0 := time.Now()
	if err := l.prepare(ctx); err != nil {
		return nil, nil, err
	}
	res.stage("prepare", t0)
	t0 = time.Now()
	b, err := l.block(ctx)
	if err != nil {
		return nil, nil, err
	}
	res.SkippedBlocks, res.SkippedRecords = b.skippedBlocks, b.skippedRecords
	res.stage("block", t0)

	t0 = time.Now()
	cmp, err := l.compareBlocks(ctx, b)
	if err != nil {
		return nil, nil, err
	}
	b = nil
	res.Pairs = cmp.total
	res.RulePairs = cmp.perRule
	res.stage("compare", t0)

	var model Model
	if fixed := l.cfg.Model; fixed != nil {
		t0 = time.Now()
		l.termFrequencies()
		m, u, err := l.fromModel(fixed)
		if err != nil {
			return nil, nil, err
		}
		model = Model{Lambda: fixed.Lambda, Prior: fixed.Prior, Iterations: fixed.Iterations, Converged: fixed.Converged}
		l.fill(&model, m, u)
		res.stage("model given", t0)
	} else {
		t0 = time.Now()
		u, drawn, err := l.estimateU(ctx)
		if err != nil {
			return nil, nil, err
		}
		res.RandomPairs = drawn
		l.termFrequencies()
		res.stage("estimate u", t0)

		t0 = time.Now()
		model = l.em(cmp.patterns, cmp.counts, u)
		if possible := l.possiblePairs(); possible > 0 {
			model.Prior = min(model.Lambda*float64(cmp.total)/possible, 1)
		}
		res.stage("em", t0)
	}
	res.Model = model
	res.Thresholds = model.DefaultThresholds()
	if t := l.cfg.Thresholds; t != nil {
		if !math.IsNaN(t.Link) {
			res.Thresholds.Link = t.Link
		}
		if !math.IsNaN(t.Review) {
			res.Thresholds.Review = t.Review
		}
		res.Thresholds.Review = min(res.Thresholds.Review, res.Thresholds.Link)
	}

	t0 = time.Now()
	cands := l.score(res, cmp)
	res.stage("score", t0)
	return res, cands, nil
}

// Blocking returns the blocking rules in use: the configuration's, or the
// defaults.
func (l *Linker) Blocking() [][]string { return l.cfg.Blocking }

// prepare normalises and interns every column's values, the columns in
// parallel.
func (l *Linker) prepare(ctx context.Context) error {
	return parallel(ctx, len(l.cols), l.cfg.Workers, func(f int) {
		c := l.cols[f]
		c.rec = make([]uint32, len(c.raw))
		if n := len(c.raw); len(c.keys) == 0 && n > 1<<16 {
			// Room for the distinct values each kind usually has: an
			// identifier or a phone each its own, an address nearly so.
			distinct := 0
			switch c.Kind {
			case ID, Phone, Exact:
				distinct = n
				c.keys = make(map[uint64]uint32, n)
			case Text:
				distinct = n / 2
				c.intern = make(map[uint64]uint32, distinct)
				c.keys = make(map[uint64]uint32, distinct)
			case Name:
				distinct = n / 8
				c.intern = make(map[uint64]uint32, distinct)
				c.keys = make(map[uint64]uint32, distinct)
			}
			// The tables grow by doubling: sized for the values expected,
			// a million records do not copy them four times over.
			c.vals = slices.Grow(c.vals, distinct)
			c.keyStr = slices.Grow(c.keyStr, distinct)
			c.keyCount = slices.Grow(c.keyCount, distinct)
			if l.n[1] > 0 {
				c.keyCnt2 = slices.Grow(c.keyCnt2, distinct)
			}
		}
		for i, raw := range c.raw {
			c.rec[i] = c.add(raw, int(l.src[i]))
		}
		c.raw = nil
		c.intern, c.keys, c.tokIntern = nil, nil, nil // loading is over
	})
}

// possiblePairs is the number of pairs there are: n(n−1)/2 for one source,
// n₀·n₁ for two.
func (l *Linker) possiblePairs() float64 {
	if l.n[0] > 0 && l.n[1] > 0 {
		return float64(l.n[0]) * float64(l.n[1])
	}
	n := float64(len(l.src))
	return n * (n - 1) / 2
}
