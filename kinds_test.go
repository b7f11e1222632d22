package credo

import (
	"slices"
	"strings"
	"testing"
)

func TestKindCatalogue(t *testing.T) {
	ks := Kinds()
	if len(ks) == 0 {
		t.Fatal("empty catalogue")
	}
	if !slices.IsSortedFunc(ks, func(a, b KindInfo) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("catalogue not sorted by name")
	}
	for i, k := range ks {
		if i > 0 && ks[i-1].Name == k.Name {
			t.Errorf("%s listed twice", k.Name)
		}
		// The same shape Record.Validate asks of a kind, and lower case.
		if !strings.Contains(k.Name, ".") || strings.ContainsAny(k.Name, " \t\nABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Errorf("%q is not a dotted lower-case name", k.Name)
		}
		if len(k.Subjects) == 0 {
			t.Errorf("%s: no subject kinds", k.Name)
		}
		for _, s := range k.Subjects {
			if s != Person && s != Organization {
				t.Errorf("%s: subject kind %v", k.Name, s)
			}
		}
		if k.Source == "" || k.Description == "" {
			t.Errorf("%s: source or description missing", k.Name)
		}
		if !slices.IsSorted(k.Attributes) {
			t.Errorf("%s: attributes %v not sorted", k.Name, k.Attributes)
		}
		for _, a := range k.Attributes {
			if _, ok := LookupAttribute(a); !ok {
				t.Errorf("%s: attribute %q is not in the attribute catalogue", k.Name, a)
			}
		}
		got, ok := LookupKind(k.Name)
		if !ok || got.Name != k.Name {
			t.Errorf("LookupKind(%q) = %v, %v", k.Name, got.Name, ok)
		}
	}
	as := AttributeCatalogue()
	if !slices.IsSortedFunc(as, func(a, b AttributeInfo) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("attribute catalogue not sorted by name")
	}
	for _, a := range as {
		if a.Type == KindNull || a.Description == "" {
			t.Errorf("attribute %s: type or description missing", a.Name)
		}
	}
}

func TestLookupKind(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ok       bool
		polarity Polarity
		person   bool
		org      bool
	}{
		{"traffic.fine", true, Negative, true, false},
		{"court.judgment_default", true, Negative, true, true},
		{"court.judgment_performed", true, Neutral, true, true},
		{"charity.blood_donation", true, Positive, true, false},
		{"enterprise.admin_penalty", true, Negative, false, true},
		{"traffic.red_light", false, 0, false, false},
		{"", false, 0, false, false},
		{"zzz.last", false, 0, false, false},
	} {
		k, ok := LookupKind(tc.name)
		if ok != tc.ok {
			t.Errorf("LookupKind(%q) ok = %v", tc.name, ok)
			continue
		}
		if !ok {
			continue
		}
		if k.Polarity != tc.polarity || k.AppliesTo(Person) != tc.person || k.AppliesTo(Organization) != tc.org {
			t.Errorf("LookupKind(%q) = %+v", tc.name, k)
		}
	}
	if _, ok := LookupAttribute("amount"); !ok {
		t.Error("amount not found")
	}
	if _, ok := LookupAttribute("nonesuch"); ok {
		t.Error("nonesuch found")
	}
}
