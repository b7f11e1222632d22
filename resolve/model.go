package resolve

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// Model is the fitted Fellegi–Sunter model: for each field and level, m
// (the probability of the level among matching pairs) and u (among
// non-matching pairs), and the weight log2(m/u) the level adds.
type Model struct {
	// Lambda is the share of the compared (blocked) pairs that match.
	Lambda float64 `json:"lambda"`
	// Prior is the chance that two records drawn at random match: the
	// matches EM finds among the compared pairs (Lambda × pairs compared),
	// over all the pairs there are. Blocking lets through nearly every
	// match, so this is the prior the weights add to.
	Prior      float64      `json:"prior"`
	Iterations int          `json:"em_iterations"`
	Converged  bool         `json:"em_converged"`
	Fields     []FieldModel `json:"fields"`
}

// FieldModel is one field's part of the model.
type FieldModel struct {
	Field  string       `json:"field"`
	Kind   string       `json:"compare"`
	TF     bool         `json:"tf"`
	UKey   float64      `json:"u_value,omitempty"` // with TF: the chance that two random records share a value
	Levels []LevelModel `json:"levels"`
}

// LevelModel is one level of a field.
type LevelModel struct {
	Level  string  `json:"level"`
	M      float64 `json:"m"`
	U      float64 `json:"u"`
	Weight float64 `json:"weight"`
}

// DefaultThresholds puts the link threshold where a pair's posterior odds
// of matching, from the prior of two random records, reach 999:1, and the
// review threshold at even odds. The weights are the evidence; the prior
// says how much of it a population this size needs: among a million people
// a shared common name and birth date happen by chance, among a hundred
// they would not.
func (m *Model) DefaultThresholds() Thresholds {
	p := min(max(m.Prior, 1e-15), 0.5)
	prior := math.Log2(p / (1 - p))
	return Thresholds{Link: round3(math.Log2(999) - prior), Review: round3(-prior)}
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// estimateU draws random pairs (all pairs when there are few) and counts
// the levels each field takes: nearly all random pairs are non-matches, so
// the shares estimate u.
func (l *Linker) estimateU(ctx context.Context) ([][]float64, int, error) {
	var srcA, srcB []uint32
	two := l.n[0] > 0 && l.n[1] > 0
	if two {
		for i, s := range l.src {
			if s == 0 {
				srcA = append(srcA, uint32(i))
			} else {
				srcB = append(srcB, uint32(i))
			}
		}
	}
	n := len(l.src)
	total := int64(n) * int64(n-1) / 2
	if two {
		total = int64(len(srcA)) * int64(len(srcB))
	}
	K := int64(l.cfg.RandomPairs)
	exhaustive := total <= K
	if exhaustive {
		K = total
	}
	// The pairs are drawn among a random pool of records rather than all
	// of them: the pool's values stay in the processor's cache, and a pair
	// of random records from a random pool is still a random pair.
	var poolA, poolB []uint32
	if !exhaustive {
		r := rand.New(rand.NewPCG(l.cfg.Seed, 0x5eed))
		pool := func(from []uint32, size int) []uint32 {
			if len(from) <= size {
				return from
			}
			p := make([]uint32, size)
			for k, x := range r.Perm(len(from))[:size] {
				p[k] = from[x]
			}
			return p
		}
		if two {
			poolA, poolB = pool(srcA, randomPool), pool(srcB, randomPool)
		} else {
			all := make([]uint32, n)
			for i := range all {
				all[i] = uint32(i)
			}
			poolA = pool(all, randomPool)
		}
	}
	W := l.cfg.Workers
	counts := make([][][]int64, W)
	var wg sync.WaitGroup
	for w := range W {
		counts[w] = newCounts(l.cols)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cnt := counts[w]
			add := func(i, j uint32) {
				pat := l.levels(i, j)
				for f := range l.cols {
					cnt[f][level(pat, f)]++
				}
			}
			if exhaustive {
				x := int64(0)
				if two {
					for a := range srcA {
						for b := range srcB {
							if x%int64(W) == int64(w) {
								add(srcA[a], srcB[b])
							}
							x++
						}
					}
					return
				}
				for i := range n {
					if i%W == w {
						for j := i + 1; j < n; j++ {
							add(uint32(i), uint32(j))
						}
					}
				}
				return
			}
			r := rand.New(rand.NewPCG(l.cfg.Seed, uint64(w)+0x9e3779b97f4a7c15))
			for x := int64(w); x < K; x += int64(W) {
				if x%65536 == 0 && ctx.Err() != nil {
					return
				}
				if two {
					add(poolA[r.IntN(len(poolA))], poolB[r.IntN(len(poolB))])
					continue
				}
				i := r.IntN(len(poolA))
				j := r.IntN(len(poolA) - 1)
				if j >= i {
					j++
				}
				add(poolA[i], poolA[j])
			}
		}(w)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	u := make([][]float64, len(l.cols))
	for f, c := range l.cols {
		L := len(c.Kind.Levels())
		sum := make([]float64, L+1)
		present := 0.0
		for w := range W {
			for lv := 1; lv <= L; lv++ {
				sum[lv] += float64(counts[w][f][lv])
			}
		}
		for lv := 1; lv <= L; lv++ {
			present += sum[lv]
		}
		u[f] = make([]float64, L+1)
		for lv := 1; lv <= L; lv++ {
			if present == 0 {
				u[f][lv] = 1 / float64(L)
				continue
			}
			// Half a pair for a level never drawn: rare, not impossible.
			u[f][lv] = max(sum[lv], 0.5) / (present + 0.5)
		}
	}
	return u, int(K), nil
}

// randomPool is the number of records (of each source) random pairs are
// drawn among.
const randomPool = 6_000

func newCounts(cols []*column) [][]int64 {
	c := make([][]int64, len(cols))
	for f, col := range cols {
		c[f] = make([]int64, len(col.Kind.Levels())+1)
	}
	return c
}

// termFrequencies works out, for each TF field, the chance that two random
// records share a value (uKey) and each value's adjustment log2(uKey/p):
// agreeing on a value held by a share p of the records is worth
// log2(m/p) rather than log2(m/uKey).
func (l *Linker) termFrequencies() {
	for _, c := range l.cols {
		if !c.TF {
			continue
		}
		present := float64(c.present[0] + c.present[1])
		if present == 0 {
			continue
		}
		uKey := 0.0
		p := make([]float64, len(c.keyStr))
		for k := 1; k < len(c.keyStr); k++ {
			p[k] = float64(c.keyCount[k]+c.keyCnt2[k]) / present
			uKey += p[k] * p[k]
		}
		c.tfAdj = make([]float32, len(c.keyStr))
		floor := 1 / present
		for k := 1; k < len(c.keyStr); k++ {
			c.tfAdj[k] = float32(math.Log2(uKey / max(p[k], floor)))
		}
		c.uKey = uKey
	}
}

// em fits m and the share of matches, lambda, by expectation–maximisation
// over the patterns of the compared pairs, with u held at its estimate from
// random pairs. No labels are used.
func (l *Linker) em(patterns []uint64, counts []float64, u [][]float64) Model {
	F := len(l.cols)
	m := make([][]float64, F)
	for f, c := range l.cols {
		L := len(c.Kind.Levels())
		m[f] = make([]float64, L+1)
		// Start: most matches agree exactly, a few partly, very few not.
		m[f][1] = 0.8
		rest := 0.2
		for lv := 2; lv <= L; lv++ {
			share := rest / 2
			if lv == L {
				share = rest
			}
			m[f][lv] = share
			rest -= share
		}
	}
	lambda := 0.1
	mod := Model{}
	acc := make([][]float64, F)
	for f := range acc {
		acc[f] = make([]float64, len(m[f]))
	}
	total := 0.0
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		mod.Lambda = 0
		l.fill(&mod, m, u)
		return mod
	}
	logm := make([][]float64, F)
	logu := make([][]float64, F)
	for f := range m {
		logm[f] = make([]float64, len(m[f]))
		logu[f] = make([]float64, len(m[f]))
	}
	for it := 1; it <= 500; it++ {
		for f := range m {
			for lv := 1; lv < len(m[f]); lv++ {
				logm[f][lv] = math.Log(m[f][lv])
				logu[f][lv] = math.Log(u[f][lv])
			}
			clear(acc[f])
		}
		matches := 0.0
		lm0, lu0 := math.Log(lambda), math.Log(1-lambda)
		for p, pat := range patterns {
			lm, lu := lm0, lu0
			for f := range F {
				if lv := level(pat, f); lv != Null {
					lm += logm[f][lv]
					lu += logu[f][lv]
				}
			}
			post := 1 / (1 + math.Exp(lu-lm))
			w := counts[p] * post
			matches += w
			for f := range F {
				if lv := level(pat, f); lv != Null {
					acc[f][lv] += w
				}
			}
		}
		delta := 0.0
		newLambda := min(max(matches/total, 1e-9), 1-1e-9)
		delta = math.Abs(newLambda - lambda)
		lambda = newLambda
		for f := range m {
			s := 0.0
			for lv := 1; lv < len(m[f]); lv++ {
				s += acc[f][lv]
			}
			if s == 0 {
				continue
			}
			for lv := 1; lv < len(m[f]); lv++ {
				nm := max(acc[f][lv]/s, 1e-6)
				delta = max(delta, math.Abs(nm-m[f][lv]))
				m[f][lv] = nm
			}
		}
		mod.Iterations = it
		if delta < 1e-7 {
			mod.Converged = true
			break
		}
	}
	mod.Lambda = lambda
	l.fill(&mod, m, u)
	return mod
}

// fill writes m and u into the model and the linker's weight tables.
func (l *Linker) fill(mod *Model, m, u [][]float64) {
	l.bits = make([][]float32, len(l.cols))
	for f, c := range l.cols {
		fm := FieldModel{Field: c.Name, Kind: c.Kind.String(), TF: c.TF, UKey: c.uKey}
		l.bits[f] = make([]float32, len(m[f]))
		for lv := 1; lv < len(m[f]); lv++ {
			w := math.Log2(m[f][lv] / u[f][lv])
			l.bits[f][lv] = float32(w)
			fm.Levels = append(fm.Levels, LevelModel{Level: c.Kind.Levels()[lv-1], M: m[f][lv], U: u[f][lv], Weight: round3(w)})
		}
		mod.Fields = append(mod.Fields, fm)
	}
}

// fieldWeight is field f's contribution to the weight of records i and j
// at level lv, with its term-frequency part.
func (l *Linker) fieldWeight(f int, lv uint8, i uint32) (w, tf float32) {
	if lv == Null {
		return 0, 0
	}
	w = l.bits[f][lv]
	c := l.cols[f]
	if c.TF && c.tfAdj != nil && c.Kind.tfLevel(lv) {
		tf = c.tfAdj[c.vals[c.rec[i]].key]
		if w+tf < 0 {
			tf = -w // agreeing on a value is never evidence against
		}
	}
	return w, tf
}

// weight is the match weight of records i and j with pattern pat.
func (l *Linker) weight(i uint32, pat uint64) float32 {
	var s float32
	for f := range l.cols {
		w, tf := l.fieldWeight(f, level(pat, f), i)
		s += w + tf
	}
	return s
}

// Weight is the match weight of records i and j, compared afresh.
func (l *Linker) Weight(i, j int) float32 {
	return l.weight(uint32(i), l.levels(uint32(i), uint32(j)))
}

// score weighs every compared pair, keeps the pairs at or above the review
// threshold, and notes each record's best match.
func (l *Linker) score(res *Result, cmp *comparison) []Pair {
	patW := make([]float32, len(cmp.patterns))
	hasTF := make([]bool, len(cmp.patterns))
	for p, pat := range cmp.patterns {
		for f, c := range l.cols {
			lv := level(pat, f)
			patW[p] += l.bits[f][lv]
			if c.TF && c.tfAdj != nil && c.Kind.tfLevel(lv) {
				hasTF[p] = true
			}
		}
	}
	review := min(float32(res.Thresholds.Review), l.keep)
	parts := make([][]Pair, len(cmp.pairs))
	bests := make([][]float32, len(cmp.pairs))
	withs := make([][]int32, len(cmp.pairs))
	var wg sync.WaitGroup
	for w, pairs := range cmp.pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := len(l.src)
			best := make([]float32, n)
			with := make([]int32, n)
			for i := range best {
				best[i] = float32(math.Inf(-1))
				with[i] = -1
			}
			var out []Pair
			for _, cp := range pairs {
				wt := patW[cp.p]
				if hasTF[cp.p] {
					wt = l.weight(cp.a, cmp.patterns[cp.p])
				}
				if wt > best[cp.a] {
					best[cp.a], with[cp.a] = wt, int32(cp.b)
				}
				if wt > best[cp.b] {
					best[cp.b], with[cp.b] = wt, int32(cp.a)
				}
				if wt >= review {
					out = append(out, Pair{cp.a, cp.b, wt})
				}
			}
			parts[w], bests[w], withs[w] = out, best, with
		}()
	}
	wg.Wait()
	var cands []Pair
	for w := range parts {
		cands = append(cands, parts[w]...)
		parts[w] = nil
		for i, b := range bests[w] {
			if withs[w][i] >= 0 && (res.BestWith[i] < 0 || b > res.Best[i]) {
				res.Best[i], res.BestWith[i] = b, withs[w][i]
			}
		}
	}
	return cands
}

// fromModel takes m and u from a model fitted earlier over the same
// fields.
func (l *Linker) fromModel(mod *Model) (m, u [][]float64, err error) {
	if len(mod.Fields) != len(l.cols) {
		return nil, nil, fmt.Errorf("resolve: the model has %d fields, the configuration %d", len(mod.Fields), len(l.cols))
	}
	m = make([][]float64, len(l.cols))
	u = make([][]float64, len(l.cols))
	for f, c := range l.cols {
		fm := mod.Fields[f]
		L := len(c.Kind.Levels())
		if fm.Field != c.Name || fm.Kind != c.Kind.String() || len(fm.Levels) != L {
			return nil, nil, fmt.Errorf("resolve: the model's field %d is %s (%s, %d levels), the configuration's %s (%s, %d levels)",
				f+1, fm.Field, fm.Kind, len(fm.Levels), c.Name, c.Kind, L)
		}
		m[f] = make([]float64, L+1)
		u[f] = make([]float64, L+1)
		for lv, lm := range fm.Levels {
			if !(lm.M > 0 && lm.M <= 1 && lm.U > 0 && lm.U <= 1) {
				return nil, nil, fmt.Errorf("resolve: the model's field %s, level %q: m %v and u %v must be in (0, 1]", fm.Field, lm.Level, lm.M, lm.U)
			}
			m[f][lv+1], u[f][lv+1] = lm.M, lm.U
		}
	}
	return m, u, nil
}
