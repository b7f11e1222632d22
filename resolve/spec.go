package resolve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is a linkage specification as written in YAML for credo link: the
// id column, the compared columns, blocking and thresholds. See
// docs/link.md.
type Spec struct {
	ID         string          `yaml:"id"`
	Fields     []FieldSpec     `yaml:"fields"`
	Blocking   [][]string      `yaml:"blocking"`
	Thresholds *ThresholdsSpec `yaml:"thresholds"`
	// OneToOne: linking two files, each record links to at most one record
	// of the other file. Default true.
	OneToOne        *bool  `yaml:"one_to_one"`
	MaxBlock        int    `yaml:"max_block"`
	RandomPairs     int    `yaml:"random_pairs"`
	MaxClusterPairs int    `yaml:"max_cluster_pairs"`
	Seed            uint64 `yaml:"seed"`
}

// FieldSpec is one compared column.
type FieldSpec struct {
	Column  string `yaml:"column"`
	Compare string `yaml:"compare"` // exact, name, date, sex, phone, text, id
	Layout  string `yaml:"layout"`  // date: a Go layout, default 20060102
	Part    string `yaml:"part"`    // name: full (default), given or surname
	Swap    string `yaml:"swap"`    // name: another name column
	TF      *bool  `yaml:"tf"`      // term-frequency adjustment; default by comparison
}

// ThresholdsSpec gives either threshold, or both.
type ThresholdsSpec struct {
	Link   *float64 `yaml:"link"`
	Review *float64 `yaml:"review"`
}

// ParseSpec reads a spec and checks it: unknown keys, comparisons and
// layouts, missing or repeated columns, blocking keys that name no compared
// column are all errors, with the line where yaml can say.
func ParseSpec(data []byte) (*Spec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Spec
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("spec is empty")
		}
		return nil, fmt.Errorf("spec: %w", err)
	}
	if _, err := s.Config(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Columns returns the columns the spec reads: the id column, then each
// compared column.
func (s *Spec) Columns() []string {
	out := []string{s.ID}
	for _, f := range s.Fields {
		out = append(out, f.Column)
	}
	return out
}

// Config makes the engine's configuration from the spec.
func (s *Spec) Config() (Config, error) {
	var cfg Config
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if strings.TrimSpace(s.ID) == "" {
		bad("id: name the column that holds each record's id")
	}
	if len(s.Fields) == 0 {
		bad("fields: give at least one column to compare")
	}
	if len(s.Fields) > maxFields {
		bad("fields: %d columns; at most %d", len(s.Fields), maxFields)
	}
	seen := map[string]bool{}
	for i, f := range s.Fields {
		where := fmt.Sprintf("fields[%d]", i)
		if f.Column == "" {
			bad("%s: no column", where)
			continue
		}
		where = fmt.Sprintf("fields[%d] (%s)", i, f.Column)
		if seen[f.Column] {
			bad("%s: column compared twice", where)
		}
		seen[f.Column] = true
		k, err := ParseKind(f.Compare)
		if err != nil {
			bad("%s: %v", where, err)
			continue
		}
		fd := Field{Name: f.Column, Kind: k, Layout: f.Layout, Swap: f.Swap, TF: k.DefaultTF()}
		if f.TF != nil {
			fd.TF = *f.TF
		}
		if k == Date {
			if _, err := parseLayout(f.Layout); err != nil {
				bad("%s: %v", where, err)
			}
		} else if f.Layout != "" {
			bad("%s: layout applies to compare: date only", where)
		}
		switch f.Part {
		case "", "full":
		case "given":
			fd.Part = GivenName
		case "surname", "family":
			fd.Part = Surname
		default:
			bad("%s: part %q: want full, given or surname", where, f.Part)
		}
		if (f.Part != "" || f.Swap != "") && k != Name {
			bad("%s: part and swap apply to compare: name only", where)
		}
		cfg.Fields = append(cfg.Fields, fd)
	}
	for i, f := range s.Fields {
		if f.Swap != "" && !seen[f.Swap] {
			bad("fields[%d] (%s): swap %q is not a compared column", i, f.Column, f.Swap)
		}
	}
	for r, rule := range s.Blocking {
		if len(rule) == 0 {
			bad("blocking[%d]: empty rule", r)
		}
		for _, k := range rule {
			name, _, _ := strings.Cut(k, ":")
			if !seen[name] {
				bad("blocking[%d]: %q is not a compared column (block on columns listed under fields)", r, name)
			}
		}
	}
	cfg.Blocking = s.Blocking
	if t := s.Thresholds; t != nil {
		th := Thresholds{Link: math.NaN(), Review: math.NaN()}
		if t.Link != nil {
			th.Link = *t.Link
		}
		if t.Review != nil {
			th.Review = *t.Review
		}
		if t.Link != nil && t.Review != nil && *t.Review > *t.Link {
			bad("thresholds: review %v is above link %v", *t.Review, *t.Link)
		}
		for _, v := range []*float64{t.Link, t.Review} {
			if v != nil && (math.IsInf(*v, 0) || math.IsNaN(*v)) {
				bad("thresholds: %v is not a number", *v)
			}
		}
		cfg.Thresholds = &th
	}
	cfg.OneToOne = s.OneToOne == nil || *s.OneToOne
	if s.MaxBlock < 0 || s.RandomPairs < 0 || s.MaxClusterPairs < 0 {
		bad("max_block, random_pairs and max_cluster_pairs must not be negative")
	}
	cfg.MaxBlock, cfg.RandomPairs, cfg.MaxClusterPairs, cfg.Seed = s.MaxBlock, s.RandomPairs, s.MaxClusterPairs, s.Seed
	if len(problems) > 0 {
		return cfg, fmt.Errorf("spec: %s", strings.Join(problems, "; "))
	}
	if _, err := New(cfg); err != nil {
		return cfg, fmt.Errorf("spec: %s", strings.TrimPrefix(err.Error(), "resolve: "))
	}
	return cfg, nil
}
