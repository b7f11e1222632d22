package policy

import (
	"time"

	"github.com/google/cel-go/cel"
	celchecker "github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/credo-org/credo"
)

// Record is what CEL sees of a record: the variable `record` in rules,
// direct grades and list entries, and the elements of `records` in list
// conditions.
type Record struct {
	ID             string         `cel:"id"`
	Kind           string         `cel:"kind"`
	Polarity       string         `cel:"polarity"` // negative, positive, neutral
	OccurredAt     time.Time      `cel:"occurred_at"`
	Source         string         `cel:"source"`
	SourceRecordID string         `cel:"source_record_id"`
	Evidence       string         `cel:"evidence"`
	LegalBasis     string         `cel:"legal_basis"`
	SubjectKind    string         `cel:"subject_kind"` // person or organization
	Linked         bool           `cel:"linked"`       // about a linked subject (see linkage)
	Relation       string         `cel:"relation"`     // the linkage relation, when linked
	Attributes     map[string]any `cel:"attributes"`
}

// StandingView is what CEL sees of a standing: the variable `standing` in
// list conditions and measures.
type StandingView struct {
	Score       float64          `cel:"score"`
	Grade       string           `cel:"grade"`
	GradeBy     string           `cel:"grade_by"` // band or direct
	Lists       []string         `cel:"lists"`
	Kinds       map[string]int64 `cel:"kinds"` // records still counting, by kind
	SubjectKind string           `cel:"subject_kind"`
}

// celRecordOf makes the CEL view of a record.
func celRecordOf(r *credo.Record, subject credo.SubjectRef) *Record {
	v := &Record{
		ID: r.ID, Kind: r.Kind, Polarity: r.Polarity.String(), OccurredAt: r.OccurredAt,
		Source: r.Source, SourceRecordID: r.SourceRecordID, Evidence: r.Evidence, LegalBasis: r.LegalBasis,
		SubjectKind: r.Subject.Kind.String(),
		Attributes:  make(map[string]any, len(r.Attributes)),
	}
	if subject.Resolved() && r.Subject.Resolved() && r.Subject != subject {
		v.Linked = true
		v.Relation = linkedRelation(r)
	}
	for _, a := range r.Attributes {
		if x := a.Value.Any(); x != nil {
			v.Attributes[a.Key] = x
		}
	}
	return v
}

// linkedRelation names how a linked record reaches its subject. The only
// relation today is the legal representative's.
func linkedRelation(*credo.Record) string { return "legal_representative" }

type envKind int

const (
	envRecord   envKind = iota // record
	envStanding                // standing, records, as_of
	envMeasure                 // standing, context, action
)

var celNames = map[envKind][]string{
	envRecord:   {"record"},
	envStanding: {"standing", "records", "as_of"},
	envMeasure:  {"standing", "context", "action"},
}

func newEnv(k envKind) (*cel.Env, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	prov := provider{reg}
	opts := []cel.EnvOption{
		cel.CustomTypeProvider(prov), cel.CustomTypeAdapter(prov),
		ext.Strings(), ext.Math(),
		cel.CrossTypeNumericComparisons(true),
	}
	recT := cel.ObjectType("policy.Record")
	stT := cel.ObjectType("policy.StandingView")
	switch k {
	case envRecord:
		opts = append(opts, cel.Variable("record", recT))
	case envStanding:
		opts = append(opts, cel.Variable("standing", stT), cel.Variable("records", cel.ListType(recT)), cel.Variable("as_of", cel.TimestampType))
	case envMeasure:
		opts = append(opts, cel.Variable("standing", stT), cel.Variable("context", cel.MapType(cel.StringType, cel.DynType)), cel.Variable("action", cel.StringType))
	}
	return cel.NewEnv(opts...)
}

// costLimit bounds every expression: its estimated worst case at Check and
// its actual cost at evaluation.
const costLimit = 100_000

// sizeEstimator gives the sizes cel-go's cost estimate cannot know.
type sizeEstimator struct{}

func (sizeEstimator) EstimateSize(n celchecker.AstNode) *celchecker.SizeEstimate {
	p := n.Path()
	if len(p) == 0 {
		return nil
	}
	switch p[0] {
	case "records":
		return &celchecker.SizeEstimate{Min: 0, Max: 1000}
	case "context":
		return &celchecker.SizeEstimate{Min: 0, Max: 64}
	case "record", "standing":
		return &celchecker.SizeEstimate{Min: 0, Max: 64}
	}
	return &celchecker.SizeEstimate{Min: 0, Max: 256}
}

func (sizeEstimator) EstimateCallCost(function, overloadID string, target *celchecker.AstNode, args []celchecker.AstNode) *celchecker.CallEstimate {
	return nil
}

// activation binds one to three variables without a map.
type activation struct {
	record   *Record
	standing *StandingView
	records  []*Record
	asOf     time.Time
	context  map[string]any
	action   string
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "record":
		return a.record, a.record != nil
	case "standing":
		return a.standing, a.standing != nil
	case "records":
		return a.records, true
	case "as_of":
		return a.asOf, true
	case "context":
		if a.context == nil {
			return map[string]any{}, true
		}
		return a.context, true
	case "action":
		return a.action, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }
