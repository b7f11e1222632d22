package credo

import "time"

// Standing is what one version of a jurisdiction's policy makes of one
// subject at one moment: a score, a grade and why, list memberships, and
// the contributions that explain them. It is a pure function of (the
// subject's records, the policy version, the as-of time), so it can be
// recomputed anywhere and for any past date; package policy computes it.
type Standing struct {
	Subject       SubjectRef `json:"subject"`
	Jurisdiction  string     `json:"jurisdiction"`
	PolicyVersion string     `json:"policy_version"`
	AsOf          time.Time  `json:"as_of"`

	Score       float64     `json:"score"`
	Grade       string      `json:"grade"`
	GradeReason GradeReason `json:"grade_reason"`

	Lists         []Membership   `json:"lists"`
	Contributions []Contribution `json:"contributions"`

	// NextChange is the first moment after AsOf at which the standing
	// changes by time alone (a contribution expires, a direct grade or a
	// list membership lapses); zero
	// when none does. A store of standings sweeps by it.
	NextChange time.Time `json:"next_change,omitzero"`
}

// InList reports whether the standing is a member of the named list.
func (s *Standing) InList(name string) bool {
	for i := range s.Lists {
		if s.Lists[i].List == name {
			return true
		}
	}
	return false
}

// GradeReason says why a standing has its grade: its score fell in a band,
// or a record (or a list membership) capped the grade whatever the points.
type GradeReason struct {
	By     string    `json:"by"`               // "band" or "direct"
	Band   string    `json:"band,omitempty"`   // the band's bounds, "960–1029"
	Banded string    `json:"banded,omitempty"` // the grade the points alone give, when a direct grade capped it
	Rule   string    `json:"rule,omitempty"`   // the direct-grading clause
	Record string    `json:"record,omitempty"` // the record that triggered it
	List   string    `json:"list,omitempty"`   // or the list membership that did
	Until  time.Time `json:"until,omitzero"`   // when the direct grade lapses unless repaired earlier
}

// Contribution is one record's effect through one rule: the points the
// rule gives, and the points that count after aggregation (one act scored
// once, repeats multiplied, caps per period, suspension of positive points
// while a direct grade stands). A contribution that counts for nothing is
// kept, with a note saying why.
type Contribution struct {
	Record     string    `json:"record"`
	Kind       string    `json:"kind"`
	Rule       string    `json:"rule"`
	Points     float64   `json:"points"`      // what counts in the score
	RulePoints float64   `json:"rule_points"` // what the rule gave before aggregation
	Note       string    `json:"note,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
	Until      time.Time `json:"until,omitzero"` // when it stops counting
}

// Membership is a standing's place on a blacklist or a redlist.
type Membership struct {
	List         string    `json:"list"`
	Type         string    `json:"type"` // "blacklist" or "redlist"
	Since        time.Time `json:"since"`
	EarliestExit time.Time `json:"earliest_exit,omitzero"` // the minimum duration served
	Until        time.Time `json:"until,omitzero"`         // the maximum duration, unless extended
	Record       string    `json:"record,omitempty"`       // the record that put the subject on it
	Published    bool      `json:"published,omitempty"`
}

// Effect is a decision's outcome.
type Effect uint8

const (
	NotApplicable Effect = iota // the policy says nothing about the action
	Permit
	Deny
)

func (e Effect) String() string {
	switch e {
	case Permit:
		return "permit"
	case Deny:
		return "deny"
	}
	return "not_applicable"
}

// MarshalText writes the effect's name.
func (e Effect) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// Decision is what a policy's measures say about one action a consuming
// service asks about one subject: permit or deny, the obligations that
// come with it (discount, deposit, interest tier, priority), and a reason
// code.
type Decision struct {
	Action        string         `json:"action"`
	Effect        Effect         `json:"effect"`
	Obligations   map[string]any `json:"obligations,omitempty"`
	Reason        string         `json:"reason"`
	Jurisdiction  string         `json:"jurisdiction"`
	PolicyVersion string         `json:"policy_version"`
}
