package resolve

import (
	"context"
	"strings"
	"testing"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/synth"
)

// batchCity is a city's people as known subjects (keyed by identity
// number), and a batch of records about some of them with the id dropped:
// who[k] is the person record k is about.
func batchCity(t *testing.T, people, records int) (city *synth.City, known []Known, batch []credo.Identity, who []int) {
	t.Helper()
	city, err := synth.New(synth.Config{Seed: 3, People: people})
	if err != nil {
		t.Fatal(err)
	}
	for i := range people {
		p := city.Person(i)
		known = append(known, Known{Subject: p.IDNumber, Identity: p.Identity()})
	}
	for k := range records {
		i := (k * 7919) % people
		q := city.Person(i)
		id := q.Identity()
		id.IDNumber = ""
		if k%3 == 0 {
			id.Phone = ""
		}
		batch = append(batch, id)
		who = append(who, i)
	}
	return city, known, batch, who
}

func TestResolveBatch(t *testing.T) {
	city, known, batch, who := batchCity(t, 3000, 300)
	// Two known subjects share a common name, a birth date and a sex.
	twin := func(id, phone string) Known {
		return Known{Subject: id, Identity: credo.Identity{IDNumber: id, Name: "王伟", BirthDate: "1980-05-05", Sex: credo.Male, Phone: phone}}
	}
	known = append(known, twin("110105198005050011", "13811112222"), twin("110105198005050038", "13933334444"))
	p := city.Person(42)
	pin := p.Identity()
	pin.Name, pin.Phone, pin.Address = strings.ToUpper(p.Pinyin), "", ""
	b := []byte(pin.IDNumber)
	b[10], b[12] = b[12], b[10] // not adjacent: a different, broken number
	if b[10] == b[12] {
		b[16] = '0' + (b[16]-'0'+1)%10
	}
	pin.IDNumber = string(b)
	cases := []struct {
		name    string
		rec     credo.Identity
		want    Status
		subject string // Linked: the subject; Review: one of the candidates
	}{
		{"pinyin, broken id, no phone or address", pin, Linked, p.IDNumber},
		{"common name and birth date, two subjects", credo.Identity{Name: "王伟", BirthDate: "1980-05-05", Sex: credo.Male}, Review, "110105198005050011"},
		{"and the phone decides", credo.Identity{Name: "WANG WEI", BirthDate: "1980-05-05", Sex: credo.Male, Phone: "139 3333 4444"}, Linked, "110105198005050038"},
		{"a stranger", credo.Identity{Name: "欧阳娜娜", BirthDate: "2003-02-11", Sex: credo.Female, Phone: "13000000001"}, Unlinked, ""},
		{"nothing", credo.Identity{}, Unlinked, ""},
	}
	records := append([]credo.Identity{}, batch...)
	for _, c := range cases {
		records = append(records, c.rec)
	}
	res, err := ResolveBatch(context.Background(), known, records, BatchConfig{RandomPairs: 200_000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Decisions) != len(records) || res.Subjects != 3002 {
		t.Fatalf("%d decisions for %d records, %d subjects", len(res.Decisions), len(records), res.Subjects)
	}
	right := 0
	for k, d := range res.Decisions[:len(batch)] {
		if d.Status != Linked {
			continue
		}
		if d.Subject != city.Person(who[k]).IDNumber {
			t.Errorf("record %d (%v) linked to %s, not to person %d", k, batch[k], d.Subject, who[k])
			continue
		}
		right++
	}
	if right < len(batch)*95/100 {
		t.Errorf("%d of %d clean records linked (prior %.3f)", right, len(batch), res.Prior)
	}
	for x, c := range cases {
		d := res.Decisions[len(batch)+x]
		t.Run(c.name, func(t *testing.T) {
			if d.Status != c.want {
				t.Fatalf("status %v, want %v; candidates %+v", d.Status, c.want, d.Candidates)
			}
			switch d.Status {
			case Linked:
				top := d.Candidates[0]
				if d.Subject != c.subject || top.Subject != c.subject || top.Posterior < 0.99 || len(top.Explain.Fields) != len(BatchFields) {
					t.Errorf("linked to %s, want %s; %+v", d.Subject, c.subject, top)
				}
				if top.Explain.B != len(batch)+x || known[top.Explain.A].Subject != c.subject {
					t.Errorf("explanation of known %d and record %d", top.Explain.A, top.Explain.B)
				}
			case Review:
				found := false
				for _, cd := range d.Candidates {
					found = found || cd.Subject == c.subject
				}
				if len(d.Candidates) < 2 || !found || d.Candidates[0].Posterior > 0.6 {
					t.Errorf("candidates %+v: want both twins, neither likely", d.Candidates)
				}
			case Unlinked:
				if len(d.Candidates) != 0 {
					t.Errorf("candidates %+v", d.Candidates)
				}
			}
		})
	}
	if res.Linked+res.Review+res.Unlinked != len(records) {
		t.Errorf("linked %d + review %d + unlinked %d ≠ %d", res.Linked, res.Review, res.Unlinked, len(records))
	}

	// The model fitted on the batch scores a batch of one as it did.
	one, err := ResolveBatch(context.Background(), known, []credo.Identity{pin}, BatchConfig{Model: &res.Model, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := one.Decisions[0]; d.Status != Linked || d.Subject != p.IDNumber {
		t.Errorf("batch of one with the model: %v %s %+v", d.Status, d.Subject, d.Candidates)
	}
}

func TestResolveBatchBadInput(t *testing.T) {
	known := []Known{{Subject: "a", Identity: credo.Identity{Name: "张伟"}}, {Identity: credo.Identity{Name: "李娜"}}}
	recs := []credo.Identity{{Name: "张伟"}}
	tests := []struct {
		name  string
		known []Known
		cfg   BatchConfig
		want  string
	}{
		{"a known identity without a subject", known, BatchConfig{}, "known identity 1 has no subject"},
		{"review above link", known[:1], BatchConfig{Link: 0.9, Review: 0.95}, "review 0.95"},
		{"bad layout", known[:1], BatchConfig{DateLayout: "yyyy"}, `date layout "yyyy"`},
		{"a model of other fields", known[:1], BatchConfig{Model: &Model{Fields: []FieldModel{{Field: "x"}}}}, "the model has 1 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ResolveBatch(context.Background(), tt.known, recs, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
	// Nothing to resolve, or nobody known: every record unresolved.
	for _, k := range [][]Known{nil, known[:1]} {
		res, err := ResolveBatch(context.Background(), k, nil, BatchConfig{})
		if err != nil || len(res.Decisions) != 0 {
			t.Errorf("empty batch: %v %v", res, err)
		}
	}
	res, err := ResolveBatch(context.Background(), nil, recs, BatchConfig{})
	if err != nil || res.Unlinked != 1 || res.Decisions[0].Status != Unlinked {
		t.Errorf("nobody known: %+v %v", res, err)
	}
}
