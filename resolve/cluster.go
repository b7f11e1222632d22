package resolve

import (
	"cmp"
	"context"
	"slices"
)

// cluster turns the candidate pairs into clusters, strongest first.
//
// Linking two sources one-to-one, a pair links when neither record is
// linked yet. Otherwise a pair that would join two clusters must hold
// against both of them: no cross pair of members may weigh below zero (the
// evidence says they differ) and the cross pairs must weigh the review
// threshold on average — two noisy copies of one record often say little
// about each other, but not nothing. So a chain A~B~C in which A and C
// clearly differ stops at A~B, and B~C goes to review.
func (l *Linker) cluster(ctx context.Context, res *Result, cands []Pair) error {
	slices.SortFunc(cands, func(x, y Pair) int {
		if c := cmp.Compare(y.Weight, x.Weight); c != 0 {
			return c
		}
		if c := cmp.Compare(x.A, y.A); c != 0 {
			return c
		}
		return cmp.Compare(x.B, y.B)
	})
	n := len(l.src)
	parent := make([]int32, n)
	size := make([]int32, n)
	next := make([]int32, n) // circular list of each cluster's members
	for i := range n {
		parent[i], size[i], next[i] = int32(i), 1, int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, b int32) {
		ra, rb := find(a), find(b)
		if size[ra] < size[rb] {
			ra, rb = rb, ra
		}
		parent[rb] = ra
		size[ra] += size[rb]
		next[ra], next[rb] = next[rb], next[ra]
	}
	link := float32(res.Thresholds.Link)
	review := float32(res.Thresholds.Review)
	oneToOne := l.cfg.OneToOne && l.n[0] > 0 && l.n[1] > 0
	inReview := make([]bool, n)
	for x, p := range cands {
		if x%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ra, rb := find(int32(p.A)), find(int32(p.B))
		if ra == rb {
			continue
		}
		if p.Weight < link {
			if oneToOne && (size[ra] > 1 || size[rb] > 1) {
				continue // one side has its match already
			}
			res.Reviews = append(res.Reviews, p)
			inReview[p.A], inReview[p.B] = true, true
			continue
		}
		switch {
		case oneToOne:
			if size[ra] > 1 || size[rb] > 1 {
				continue
			}
		case size[ra] == 1 && size[rb] == 1:
		case !l.holds(ra, rb, next, size, review, min(review, 0)):
			res.Refused++
			res.Reviews = append(res.Reviews, p)
			inReview[p.A], inReview[p.B] = true, true
			continue
		}
		union(ra, rb)
		res.Links = append(res.Links, p)
	}
	// Number the clusters in the order of their first record.
	num := make([]int32, n)
	for i := range num {
		num[i] = -1
	}
	k := int32(0)
	for i := range n {
		r := find(int32(i))
		if num[r] < 0 {
			num[r] = k
			k++
			if size[r] > 1 {
				res.Clusters++
			}
		}
		res.Cluster[i] = uint32(num[r])
		switch {
		case size[r] > 1:
			res.Status[i] = Linked
			res.Linked++
		case inReview[i]:
			res.Status[i] = Review
		}
	}
	return nil
}

// holds reports whether clusters ra and rb may merge: every cross pair at
// or above floor, and their mean at or above mean.
func (l *Linker) holds(ra, rb int32, next, size []int32, mean, floor float32) bool {
	total := int(size[ra]) * int(size[rb])
	if total > l.cfg.MaxClusterPairs {
		return false
	}
	sum := 0.0
	x := ra
	for {
		y := rb
		for {
			w := l.Weight(int(x), int(y))
			if w < floor {
				return false
			}
			sum += float64(w)
			y = next[y]
			if y == rb {
				break
			}
		}
		x = next[x]
		if x == ra {
			break
		}
	}
	return sum >= float64(mean)*float64(total)
}

// Explanation is a pair's match weight taken apart field by field.
type Explanation struct {
	A, B   int           `json:"-"`
	Weight float64       `json:"weight"`
	Fields []FieldWeight `json:"fields"`
}

// FieldWeight is one field's part of a match weight: the level the two
// values agree at, its weight log2(m/u), and the term-frequency
// adjustment for the value agreed on.
type FieldWeight struct {
	Field  string  `json:"field"`
	Level  string  `json:"level"` // "null" when a value is missing
	Weight float64 `json:"weight"`
	TF     float64 `json:"tf,omitempty"`
}

// Explain takes the weight of records i and j apart.
func (r *Result) Explain(i, j int) Explanation {
	l := r.l
	pat := l.levels(uint32(i), uint32(j))
	e := Explanation{A: i, B: j}
	for f, c := range l.cols {
		lv := level(pat, f)
		w, tf := l.fieldWeight(f, lv, uint32(i))
		name := "null"
		if lv != Null {
			name = c.Kind.Levels()[lv-1]
		}
		e.Fields = append(e.Fields, FieldWeight{Field: c.Name, Level: name, Weight: round3(float64(w)), TF: round3(float64(tf))})
		e.Weight += float64(w + tf)
	}
	e.Weight = round3(e.Weight)
	return e
}
