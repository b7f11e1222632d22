package policy

import (
	"slices"

	"github.com/credo-org/credo"
)

// Relevant reports whether record r, which hit hits (what Match made of it
// for a standing of subject), can affect a standing under the policy: it
// hits a clause, or retracts or corrects a record, or is of a kind that
// repairs a direct grade or ends a list membership, or the policy has a
// list whose condition reads every record. A standing computed from the
// relevant records alone is the standing computed from all of them, except
// that a standing-based list's entry date counts only relevant records: so
// a full recompute may keep a compact projection of the ledger — the
// relevant records and their hits — rather than every record.
func (p *Program) Relevant(r *credo.Record, hits []Hit) bool {
	if len(hits) > 0 || r.Retracts != "" || r.Corrects != "" || p.allRecords {
		return true
	}
	return p.auxKinds[r.Kind]
}

// LinkedKinds lists the record kinds about another subject (an
// organisation) that reach a subject of this policy through its linkage
// (its legal representative), or nil when the policy declares none.
func (p *Program) LinkedKinds() []string {
	var out []string
	for _, l := range p.policy.Linkage {
		for _, k := range l.Kinds {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// auxiliary notes the kinds that matter without hitting a clause.
func (p *Program) auxiliary() {
	p.auxKinds = map[string]bool{}
	for _, dg := range p.directs {
		if dg.repair != nil {
			p.auxKinds[dg.repair.Kind] = true
		}
	}
	for _, l := range p.lists {
		if l.exitKind != "" {
			p.auxKinds[l.exitKind] = true
		}
		if l.needsRecords {
			p.allRecords = true
		}
	}
}
