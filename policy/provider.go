package policy

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// The CEL types policy.Record and policy.StandingView are declared by hand
// rather than by reflection: each field is read by a plain Go function.

type field struct {
	t   *types.Type
	get func(any) any
}

var (
	recordType   = types.NewObjectType("policy.Record")
	standingType = types.NewObjectType("policy.StandingView")
)

func recField(t *types.Type, get func(*Record) any) field {
	return field{t, func(o any) any { return get(o.(*Record)) }}
}

func stField(t *types.Type, get func(*StandingView) any) field {
	return field{t, func(o any) any { return get(o.(*StandingView)) }}
}

var objectFields = map[string]map[string]field{
	"policy.Record": {
		"id":               recField(types.StringType, func(r *Record) any { return r.ID }),
		"kind":             recField(types.StringType, func(r *Record) any { return r.Kind }),
		"polarity":         recField(types.StringType, func(r *Record) any { return r.Polarity }),
		"occurred_at":      recField(types.TimestampType, func(r *Record) any { return r.OccurredAt }),
		"source":           recField(types.StringType, func(r *Record) any { return r.Source }),
		"source_record_id": recField(types.StringType, func(r *Record) any { return r.SourceRecordID }),
		"evidence":         recField(types.StringType, func(r *Record) any { return r.Evidence }),
		"legal_basis":      recField(types.StringType, func(r *Record) any { return r.LegalBasis }),
		"subject_kind":     recField(types.StringType, func(r *Record) any { return r.SubjectKind }),
		"linked":           recField(types.BoolType, func(r *Record) any { return r.Linked }),
		"relation":         recField(types.StringType, func(r *Record) any { return r.Relation }),
		"attributes":       recField(types.NewMapType(types.StringType, types.DynType), func(r *Record) any { return r.Attributes }),
	},
	"policy.StandingView": {
		"score":        stField(types.DoubleType, func(s *StandingView) any { return s.Score }),
		"grade":        stField(types.StringType, func(s *StandingView) any { return s.Grade }),
		"grade_by":     stField(types.StringType, func(s *StandingView) any { return s.GradeBy }),
		"lists":        stField(types.NewListType(types.StringType), func(s *StandingView) any { return s.Lists }),
		"kinds":        stField(types.NewMapType(types.StringType, types.IntType), func(s *StandingView) any { return s.Kinds }),
		"subject_kind": stField(types.StringType, func(s *StandingView) any { return s.SubjectKind }),
	},
}

// provider adds the two object types to a base registry.
type provider struct{ *types.Registry }

func (p provider) FindStructType(name string) (*types.Type, bool) {
	switch name {
	case "policy.Record":
		return types.NewTypeTypeWithParam(recordType), true
	case "policy.StandingView":
		return types.NewTypeTypeWithParam(standingType), true
	}
	return p.Registry.FindStructType(name)
}

func (p provider) FindStructFieldNames(name string) ([]string, bool) {
	if fs, ok := objectFields[name]; ok {
		out := make([]string, 0, len(fs))
		for k := range fs {
			out = append(out, k)
		}
		return out, true
	}
	return p.Registry.FindStructFieldNames(name)
}

func (p provider) FindStructFieldType(name, fieldName string) (*types.FieldType, bool) {
	if fs, ok := objectFields[name]; ok {
		f, ok := fs[fieldName]
		if !ok {
			return nil, false
		}
		return &types.FieldType{
			Type:    f.t,
			IsSet:   func(any) bool { return true },
			GetFrom: func(o any) (any, error) { return f.get(o), nil },
		}, true
	}
	return p.Registry.FindStructFieldType(name, fieldName)
}

func (p provider) NativeToValue(v any) ref.Val {
	switch t := v.(type) {
	case *Record:
		return object{t, recordType, "policy.Record"}
	case *StandingView:
		return object{t, standingType, "policy.StandingView"}
	case []string:
		return types.NewStringList(p, t)
	case map[string]int64:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = x
		}
		return types.NewStringInterfaceMap(p, m)
	}
	return p.Registry.NativeToValue(v)
}

// object is a Record or a StandingView as a CEL value.
type object struct {
	v    any
	t    *types.Type
	name string
}

func (o object) ConvertToNative(t reflect.Type) (any, error) {
	if reflect.TypeOf(o.v).AssignableTo(t) {
		return o.v, nil
	}
	return nil, fmt.Errorf("cannot convert %s to %v", o.name, t)
}

func (o object) ConvertToType(t ref.Type) ref.Val {
	if t.TypeName() == o.name {
		return o
	}
	if t == types.TypeType {
		return o.t
	}
	return types.NewErr("type conversion error from %s to %s", o.name, t.TypeName())
}

func (o object) Equal(other ref.Val) ref.Val {
	x, ok := other.(object)
	return types.Bool(ok && x.v == o.v)
}

func (o object) Type() ref.Type { return o.t }
func (o object) Value() any     { return o.v }

// Get lets CEL select fields of the value when it arrives inside a list.
func (o object) Get(index ref.Val) ref.Val {
	name, ok := index.(types.String)
	if !ok {
		return types.NewErr("no such field")
	}
	f, ok := objectFields[o.name][string(name)]
	if !ok {
		return types.NewErr("no such field %q", string(name))
	}
	return types.DefaultTypeAdapter.NativeToValue(f.get(o.v))
}
