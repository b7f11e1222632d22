package resolve

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// blockKey is one key of a blocking rule: a field and a transform of its
// key.
type blockKey struct {
	col   int
	xform string // "", "year", "first", "last"
	n     int
}

// parseKey reads "field" or "field:transform".
func (l *Linker) parseKey(s string) (blockKey, error) {
	name, xf, _ := strings.Cut(s, ":")
	c, ok := l.byName[name]
	if !ok {
		return blockKey{}, fmt.Errorf("key %q: no field %q among the compared fields", s, name)
	}
	k := blockKey{col: c}
	switch {
	case xf == "":
	case xf == "year":
		if l.cols[c].Kind != Date {
			return k, fmt.Errorf("key %q: year applies to date fields only", s)
		}
		k.xform = "year"
	case strings.HasPrefix(xf, "first") || strings.HasPrefix(xf, "last"):
		word := "first"
		if strings.HasPrefix(xf, "last") {
			word = "last"
		}
		if l.cols[c].Kind == Text {
			return k, fmt.Errorf("key %q: %s applies to the words of a text only as a whole", s, word)
		}
		n, err := strconv.Atoi(xf[len(word):])
		if err != nil || n < 1 || n > 64 {
			return k, fmt.Errorf("key %q: want %s1 to %s64", s, word, word)
		}
		k.xform, k.n = word, n
	default:
		return k, fmt.Errorf("key %q: unknown transform %q (want year, firstN or lastN)", s, xf)
	}
	return k, nil
}

// hashes returns, for each key id of the key's column, the hash of the
// transformed key (0 when the transform leaves nothing).
func (l *Linker) hashes(k blockKey) []uint64 {
	c := l.cols[k.col]
	out := make([]uint64, len(c.keyStr))
	var buf []byte
	for id := 1; id < len(c.keyStr); id++ {
		s := c.keyStr[id]
		switch k.xform {
		case "year":
			if len(s) == 8 && onlyDigits(s[:4]) == s[:4] {
				s = s[:4]
			} else {
				s = ""
			}
		case "first", "last":
			if strings.IndexByte(s, ' ') >= 0 {
				buf = append(buf[:0], s...)
				buf = slices.DeleteFunc(buf, func(b byte) bool { return b == ' ' })
				s = string(buf)
			}
			s = cutRunes(s, k.n, k.xform == "first")
		}
		if s == "" {
			continue
		}
		out[id] = fnv64(s) | 1
	}
	return out
}

// cutRunes returns the first (or last) n runes of s, or s when it is
// shorter.
func cutRunes(s string, n int, first bool) string {
	if isASCII(s) {
		switch {
		case len(s) <= n:
			return s
		case first:
			return s[:n]
		}
		return s[len(s)-n:]
	}
	r := []rune(s)
	switch {
	case len(r) <= n:
		return s
	case first:
		return string(r[:n])
	}
	return string(r[len(r)-n:])
}

// fnv64 is the 64-bit FNV-1a hash of s.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

type entry struct {
	k uint64
	i uint32
}

// blocks are the records sorted by each rule's key.
type blocks struct {
	keys           [][]uint64    // by rule, per record: 0 for no key (or a skipped block)
	ents           [][]uint32    // by rule: the records with a key, in the order of their keys
	runs           [][][2]uint32 // by rule: the blocks compared, as [start, end) in ents
	skippedBlocks  int
	skippedRecords int
}

func (l *Linker) block(ctx context.Context) (*blocks, error) {
	n := len(l.src)
	rules := l.cfg.Blocking
	b := &blocks{keys: make([][]uint64, len(rules)), ents: make([][]uint32, len(rules)), runs: make([][][2]uint32, len(rules))}
	var mu sync.Mutex
	err := parallel(ctx, len(rules), min(l.cfg.Workers, len(rules)), func(r int) {
		keys := make([]uint64, n)
		var hs [][]uint64
		var cols []int
		for _, s := range rules[r] {
			k, _ := l.parseKey(s)
			hs = append(hs, l.hashes(k))
			cols = append(cols, k.col)
		}
		ents := make([]entry, 0, n)
		for i := range n {
			h := uint64(14695981039346656037)
			for x, c := range cols {
				v := l.cols[c].rec[i]
				if v == 0 {
					h = 0
					break
				}
				hk := hs[x][l.cols[c].vals[v].key]
				if hk == 0 {
					h = 0
					break
				}
				h = (h ^ hk) * 1099511628211
				h ^= h >> 29
			}
			if h != 0 {
				keys[i] = h
				ents = append(ents, entry{h, uint32(i)})
			}
		}
		slices.SortFunc(ents, func(a, b entry) int {
			if a.k != b.k {
				if a.k < b.k {
					return -1
				}
				return 1
			}
			return int(a.i) - int(b.i)
		})
		var runs [][2]uint32
		skipped, skippedRecs := 0, 0
		for s := 0; s < len(ents); {
			e := s + 1
			for e < len(ents) && ents[e].k == ents[s].k {
				e++
			}
			switch {
			case e-s > l.cfg.MaxBlock:
				skipped++
				skippedRecs += e - s
				for x := s; x < e; x++ {
					keys[ents[x].i] = 0
				}
			case e-s > 1:
				runs = append(runs, [2]uint32{uint32(s), uint32(e)})
			}
			s = e
		}
		// The records alone, 4 bytes each rather than 16: a million
		// records and ten rules make 120 MB less.
		idx := make([]uint32, len(ents))
		for x, e := range ents {
			idx[x] = e.i
		}
		b.keys[r], b.ents[r], b.runs[r] = keys, idx, runs
		mu.Lock()
		b.skippedBlocks += skipped
		b.skippedRecords += skippedRecs
		mu.Unlock()
	})
	return b, err
}

// parallel calls f(0..n-1) on up to workers goroutines.
func parallel(ctx context.Context, n, workers int, f func(int)) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// cpair is a compared pair and its pattern (an index into the patterns).
type cpair struct{ a, b, p uint32 }

// comparison holds every compared pair and the count of each pattern of
// levels.
type comparison struct {
	pairs    [][]cpair // by worker
	patterns []uint64  // the distinct level vectors, 4 bits a field
	counts   []float64 // pairs with each pattern
	total    int64
	perRule  []int64
}

// levels compares records i and j field by field: 4 bits a field.
func (l *Linker) levels(i, j uint32) uint64 {
	var pat uint64
	for f, c := range l.cols {
		a, b := c.rec[i], c.rec[j]
		var lv uint8
		switch {
		case a == 0 || b == 0:
			continue
		case a == b:
			lv = 1
		default:
			lv = c.level(&c.vals[a], &c.vals[b])
			if c.swap >= 0 && lv >= 4 {
				o := l.cols[c.swap]
				if oj := o.rec[j]; oj != 0 && o.alts[o.vals[oj].aux] == c.alts[c.vals[a].aux] {
					lv = 5
				} else if oi := o.rec[i]; oi != 0 && o.alts[o.vals[oi].aux] == c.alts[c.vals[b].aux] {
					lv = 5
				}
			}
		}
		pat |= uint64(lv) << (4 * f)
	}
	return pat
}

// level returns field f's level in a pattern.
func level(pat uint64, f int) uint8 { return uint8(pat>>(4*f)) & 15 }

// compareBlocks compares every pair in every block once: a pair that an
// earlier rule also blocks together is left to that rule. Linking two
// sources compares only pairs across them.
func (l *Linker) compareBlocks(ctx context.Context, b *blocks) (*comparison, error) {
	two := l.n[0] > 0 && l.n[1] > 0
	type task struct{ rule, from, to int } // runs[rule][from:to]
	var tasks []task
	for r, runs := range b.runs {
		start, work := 0, 0
		for x, run := range runs {
			sz := int(run[1] - run[0])
			work += sz * (sz - 1) / 2
			if work >= 50_000 {
				tasks = append(tasks, task{r, start, x + 1})
				start, work = x+1, 0
			}
		}
		if start < len(runs) {
			tasks = append(tasks, task{r, start, len(runs)})
		}
	}
	W := l.cfg.Workers
	type local struct {
		pairs   []cpair
		index   map[uint64]uint32
		pats    []uint64
		counts  []float64
		perRule []int64
	}
	locals := make([]*local, W)
	for w := range locals {
		locals[w] = &local{index: map[uint64]uint32{}, perRule: make([]int64, len(b.runs))}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range W {
		wg.Add(1)
		go func(lo *local) {
			defer wg.Done()
			for ctx.Err() == nil {
				t := int(next.Add(1) - 1)
				if t >= len(tasks) {
					return
				}
				tk := tasks[t]
				ents := b.ents[tk.rule]
				earlier := b.keys[:tk.rule]
				for _, run := range b.runs[tk.rule][tk.from:tk.to] {
					for x := run[0]; x < run[1]; x++ {
						i := ents[x]
					next:
						for y := x + 1; y < run[1]; y++ {
							j := ents[y]
							if two && l.src[i] == l.src[j] {
								continue
							}
							for _, ks := range earlier {
								if k := ks[i]; k != 0 && k == ks[j] {
									continue next
								}
							}
							pat := l.levels(i, j)
							p, ok := lo.index[pat]
							if !ok {
								p = uint32(len(lo.pats))
								lo.index[pat] = p
								lo.pats = append(lo.pats, pat)
								lo.counts = append(lo.counts, 0)
							}
							lo.counts[p]++
							lo.pairs = append(lo.pairs, cpair{i, j, p})
							lo.perRule[tk.rule]++
						}
					}
				}
			}
		}(locals[w])
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// One numbering of the patterns for all workers.
	c := &comparison{perRule: make([]int64, len(b.runs))}
	global := map[uint64]uint32{}
	for _, lo := range locals {
		remap := make([]uint32, len(lo.pats))
		for p, pat := range lo.pats {
			g, ok := global[pat]
			if !ok {
				g = uint32(len(c.patterns))
				global[pat] = g
				c.patterns = append(c.patterns, pat)
				c.counts = append(c.counts, 0)
			}
			c.counts[g] += lo.counts[p]
			remap[p] = g
		}
		for x := range lo.pairs {
			lo.pairs[x].p = remap[lo.pairs[x].p]
		}
		c.pairs = append(c.pairs, lo.pairs)
		c.total += int64(len(lo.pairs))
		for r, k := range lo.perRule {
			c.perRule[r] += k
		}
	}
	return c, nil
}
