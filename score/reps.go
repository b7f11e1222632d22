package score

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/synth"
)

// Representatives maps an organisation to its legal representative: the
// relation through which a policy's linkage holds an organisation's
// records (a serious violation) against a person. The market regulator's
// registry knows it; an operator loads it with ReadRepresentatives.
type Representatives map[credo.SubjectRef]credo.SubjectRef

// represented inverts r: the organisations each person represents.
func (r Representatives) represented() map[credo.SubjectRef][]credo.SubjectRef {
	out := make(map[credo.SubjectRef][]credo.SubjectRef, len(r))
	for org, rep := range r {
		out[rep] = append(out[rep], org)
	}
	for _, orgs := range out {
		slices.SortFunc(orgs, compareRefs)
	}
	return out
}

// ReadRepresentatives reads a registry of legal representatives as CSV:
// one organisation a row, its unified social credit code then its legal
// representative's resident identity number. A first row whose first
// field is not a valid code is taken for a header. Both identifiers must
// pass their check; an organisation listed twice must name the same
// person. Errors name the row and the field.
func ReadRepresentatives(name string, r io.Reader) (Representatives, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	out := Representatives{}
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) != 2 {
			return nil, fmt.Errorf("%s row %d: %d fields, want 2 (organisation's credit code, legal representative's identity number)", name, row, len(rec))
		}
		orgID, personID := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		oc := ident.CheckOrganization(orgID)
		if row == 1 && !oc.Valid() && ident.Check(personID).Kind != ident.Person {
			continue // a header
		}
		if !oc.Valid() {
			return nil, fmt.Errorf("%s row %d field 1: %q is not a valid unified social credit code: %s", name, row, orgID, oc)
		}
		if pc := ident.Check(personID); !pc.Valid() || pc.Kind != ident.Person {
			return nil, fmt.Errorf("%s row %d field 2: %q is not a valid resident identity number: %s", name, row, personID, pc)
		}
		org := credo.SubjectRef{Kind: credo.Organization, ID: ident.Normalize(orgID)}
		rep := credo.SubjectRef{Kind: credo.Person, ID: ident.Normalize(personID)}
		if old, ok := out[org]; ok && old != rep {
			return nil, fmt.Errorf("%s row %d: organisation %s is listed before with legal representative %s, here with %s", name, row, org.ID, old.ID, rep.ID)
		}
		out[org] = rep
	}
}

// CityRepresentatives is the registry of a synthetic city: every
// organisation's legal representative as the city drew them.
func CityRepresentatives(c *synth.City) Representatives {
	out := make(Representatives, c.Orgs())
	for j := range c.Orgs() {
		o := c.Org(j)
		p := c.Person(o.LegalRep)
		out[o.Ref()] = p.Ref()
	}
	return out
}
