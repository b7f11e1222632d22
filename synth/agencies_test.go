package synth_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ingest"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/synth"
)

// after is a clock after every city the tests make: no date is in the future.
var after = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func agencyCity(t testing.TB, people, years int) *synth.City {
	t.Helper()
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, synth.China)
	c, err := synth.New(synth.Config{Seed: 7, People: people, Start: start, End: start.AddDate(years, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// truthRow is one line of truth.csv.
type truthRow map[string]string

func readTruth(t *testing.T, path string) []truthRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []truthRow
	for _, r := range recs[1:] {
		m := truthRow{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func TestAgencySpecsAndFormats(t *testing.T) {
	dir := t.TempDir()
	m, err := synth.WriteAgencies(context.Background(), agencyCity(t, 2000, 1), dir, synth.AgencyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Sources) < 8 {
		t.Fatalf("%d sources, want at least 8", len(m.Sources))
	}
	formats, encodings := map[string]bool{}, map[string]bool{}
	for _, s := range m.Sources {
		spec, err := ingest.LoadSpec(filepath.Join(dir, s.Spec))
		if err != nil {
			t.Fatalf("%s: %v", s.Source, err)
		}
		if spec.Source != s.Source || spec.Agency == "" || spec.Mandate == "" {
			t.Errorf("%s: spec source %q agency %q mandate %q", s.Source, spec.Source, spec.Agency, spec.Mandate)
		}
		formats[s.Format] = true
		encodings[s.Encoding] = true
		if len(s.Files) == 0 {
			t.Errorf("%s: no files", s.Source)
		}
		for _, f := range s.Files {
			b, err := os.ReadFile(filepath.Join(dir, f.Name))
			if err != nil {
				t.Fatal(err)
			}
			if s.Source == "market_regulator.rongcheng" && !bytes.HasPrefix(b, []byte("\ufeff")) {
				t.Errorf("%s: no byte-order mark", f.Name)
			}
		}
	}
	for _, f := range []string{"csv", "tsv", "xlsx", "json", "ndjson", "xml"} {
		if !formats[f] {
			t.Errorf("no source in %s", f)
		}
	}
	for _, e := range []string{"utf-8", "gb18030", "gbk"} {
		if !encodings[e] {
			t.Errorf("no source in %s", e)
		}
	}
	// The court's CSV is GB18030 with Chinese headers, not UTF-8.
	b, _ := os.ReadFile(filepath.Join(dir, "court.rongcheng-2023.csv"))
	if bytes.Contains(b, []byte("案号")) || !bytes.HasPrefix(b, []byte("\xb0\xb8\xba\xc5")) { // 案号 in GB18030
		t.Errorf("court CSV does not start with 案号 in GB18030: % x", b[:min(8, len(b))])
	}
}

// TestAgenciesIngest ingests every export through its spec into a real
// store and checks the outcome against the manifest and the truth.
func TestAgenciesIngest(t *testing.T) {
	dir := t.TempDir()
	city := agencyCity(t, 3000, 2)
	noise := synth.Noise{Mistyped: 0.02, Missing: 0.05, Duplicate: 0.01, Resent: 0.01, Broken: 0.01}
	m, err := synth.WriteAgencies(context.Background(), city, dir, synth.AgencyOptions{Noise: &noise})
	if err != nil {
		t.Fatal(err)
	}
	var events int64
	for ev := range city.Events() {
		_ = ev
		events++
	}
	if m.Events != events {
		t.Fatalf("manifest: %d events, the city has %d", m.Events, events)
	}
	truth := readTruth(t, filepath.Join(dir, m.Truth))
	if int64(len(truth)) != m.Rows {
		t.Fatalf("truth has %d rows, manifest %d", len(truth), m.Rows)
	}

	store, err := pebble.Open(filepath.Join(t.TempDir(), "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tick := after
	in := &ingest.Ingester{Store: store, Now: func() time.Time { tick = tick.Add(time.Millisecond); return tick }}
	ctx := context.Background()

	byRow := map[string]truthRow{} // file:row → truth
	for _, r := range truth {
		byRow[r["file"]+":"+r["row"]] = r
	}
	digest := map[string]string{} // file digest → name

	var all struct{ mistyped, missing, broken, dups, rows int64 }
	for _, s := range m.Sources {
		spec, err := ingest.LoadSpec(filepath.Join(dir, s.Spec))
		if err != nil {
			t.Fatal(err)
		}
		var got ingest.Report
		got.Reasons = map[string]int64{}
		for _, f := range s.Files {
			rep, err := in.IngestFile(ctx, spec, filepath.Join(dir, f.Name), nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status == "failed" {
				t.Fatalf("%s: %s", f.Name, rep.Error)
			}
			digest[rep.Digest] = f.Name
			got.Rows += rep.Rows
			got.Appended += rep.Appended
			got.Unresolved += rep.Unresolved
			got.Duplicates += rep.Duplicates
			got.Quarantined += rep.Quarantined
			got.Conflicts += rep.Conflicts
		}
		broken := s.BrokenRows()
		if got.Rows != s.Rows || got.Appended != s.Events-broken || got.Unresolved != s.Mistyped+s.Missing ||
			got.Duplicates != s.Duplicates+s.Resent || got.Quarantined != broken || got.Conflicts != 0 {
			t.Errorf("%s: ingested rows %d appended %d unresolved %d duplicates %d quarantined %d conflicts %d; "+
				"want rows %d appended %d unresolved %d duplicates %d quarantined %d",
				s.Source, got.Rows, got.Appended, got.Unresolved, got.Duplicates, got.Quarantined, got.Conflicts,
				s.Rows, s.Events-broken, s.Mistyped+s.Missing, s.Duplicates+s.Resent, broken)
		}
		all.mistyped += s.Mistyped
		all.missing += s.Missing
		all.broken += broken
		all.dups += s.Duplicates + s.Resent
		all.rows += s.Rows

		// Every record in the ledger is the truth's: its kind, and its
		// subject when resolved; unresolved exactly when the id was noisy.
		for rec, err := range store.SourceRecords(ctx, s.Source) {
			if err != nil {
				t.Fatal(err)
			}
			tr := byRow[digest[rec.Provenance.File]+":"+strconv.FormatInt(rec.Provenance.Row, 10)]
			switch {
			case tr == nil:
				t.Fatalf("%s: record %s from %s row %d is not in the truth", s.Source, rec.ID, digest[rec.Provenance.File], rec.Provenance.Row)
			case tr["source_record_id"] != rec.SourceRecordID || tr["kind"] != rec.Kind:
				t.Errorf("%s row %s: record %s %s, truth %s %s", tr["file"], tr["row"], rec.SourceRecordID, rec.Kind, tr["source_record_id"], tr["kind"])
			case tr["id_noise"] != "" && rec.Subject.Resolved():
				t.Errorf("%s row %s: %s id, yet resolved to %s", tr["file"], tr["row"], tr["id_noise"], rec.Subject)
			case tr["id_noise"] == "" && rec.Subject.String() != tr["subject_kind"]+":"+tr["subject_id"]:
				t.Errorf("%s row %s: subject %s, truth %s:%s", tr["file"], tr["row"], rec.Subject, tr["subject_kind"], tr["subject_id"])
			case rec.Identity.Name == "":
				t.Errorf("%s row %s: no name kept", tr["file"], tr["row"])
			}
			if tr["id_noise"] == "missing" && tr["subject_kind"] == "person" && (rec.Identity.BirthDate == "" || rec.Identity.Sex == credo.SexUnknown) {
				t.Errorf("%s row %s: missing id without birth date and sex: %+v", tr["file"], tr["row"], rec.Identity)
			}
		}

		// Every quarantined row is a broken row, for its reason.
		want := map[string][]string{
			synth.BrokenDate:         {"occurred_at"},
			synth.BrokenAmount:       {"attributes.amount"},
			synth.BrokenCode:         {"is not in the spec's map"},
			synth.BrokenRecordID:     {"record_id", "missing"},
			synth.BrokenExtraColumn:  {"row: "},
			synth.BrokenTruncatedRow: {"row: "},
		}
		var q int64
		for row, err := range store.Quarantined(ctx, s.Source) {
			if err != nil {
				t.Fatal(err)
			}
			q++
			tr := byRow[digest[row.Digest]+":"+strconv.FormatInt(row.Row, 10)]
			if tr == nil || tr["broken"] == "" {
				t.Errorf("%s: row %d of %s quarantined but not broken: %v", s.Source, row.Row, digest[row.Digest], row.Reasons)
				continue
			}
			if len(row.Reasons) != 1 {
				t.Errorf("%s row %s (%s): reasons %q, want one", tr["file"], tr["row"], tr["broken"], row.Reasons)
			}
			for _, w := range want[tr["broken"]] {
				if !strings.Contains(strings.Join(row.Reasons, "; "), w) {
					t.Errorf("%s row %s (%s): reasons %q lack %q", tr["file"], tr["row"], tr["broken"], row.Reasons, w)
				}
			}
		}
		if q != broken {
			t.Errorf("%s: %d rows in quarantine, %d broken", s.Source, q, broken)
		}
	}

	// The noise is about what was asked.
	share := func(n int64) float64 { return float64(n) / float64(m.Events) }
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"mistyped", share(all.mistyped), noise.Mistyped},
		{"missing", share(all.missing), noise.Missing},
		{"broken", share(all.broken), noise.Broken},
		{"copies", share(all.dups), noise.Duplicate + noise.Resent},
	} {
		if c.got < c.want*0.6 || c.got > c.want*1.4 {
			t.Errorf("%s: %.4f of the events, want about %.4f", c.name, c.got, c.want)
		}
	}
	// Every way of breaking a row, and every copy, happened somewhere.
	seen := map[string]bool{}
	for _, r := range truth {
		seen[r["broken"]] = true
		seen[r["copy"]] = true
		seen[r["id_noise"]] = true
	}
	for _, k := range []string{synth.BrokenDate, synth.BrokenAmount, synth.BrokenCode, synth.BrokenRecordID, synth.BrokenExtraColumn, "duplicate", "resent", "mistyped", "missing"} {
		if !seen[k] {
			t.Errorf("no row is %s", k)
		}
	}

	// Ingesting everything again appends nothing.
	for _, s := range m.Sources[:3] {
		spec, _ := ingest.LoadSpec(filepath.Join(dir, s.Spec))
		for _, f := range s.Files {
			rep, err := in.IngestFile(ctx, spec, filepath.Join(dir, f.Name), nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Appended != 0 {
				t.Errorf("%s again: %d appended", f.Name, rep.Appended)
			}
		}
	}
}

// TestAgenciesMapping reads every file with ingest.Open and maps every row
// with the spec's mapper: each row does what its truth says.
func TestAgenciesMapping(t *testing.T) {
	dir := t.TempDir()
	noise := synth.Noise{Mistyped: 0.03, Missing: 0.05, Duplicate: 0.01, Resent: 0.01, Broken: 0.02}
	m, err := synth.WriteAgencies(context.Background(), agencyCity(t, 2000, 1), dir, synth.AgencyOptions{Noise: &noise})
	if err != nil {
		t.Fatal(err)
	}
	byRow := map[string]truthRow{}
	for _, r := range readTruth(t, filepath.Join(dir, m.Truth)) {
		byRow[r["file"]+":"+r["row"]] = r
	}
	for _, s := range m.Sources {
		spec, err := ingest.LoadSpec(filepath.Join(dir, s.Spec))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range s.Files {
			r, err := ingest.Open(filepath.Join(dir, f.Name), spec)
			if err != nil {
				t.Fatal(err)
			}
			mp, err := ingest.NewMapper(spec, func() time.Time { return after })
			if err != nil {
				t.Fatal(err)
			}
			if h := r.Header(); h != nil {
				if err := mp.CheckHeader(h); err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				mp.SetHeader(h)
			}
			var rows int64
			for {
				row, err := r.Next()
				if err == io.EOF {
					break
				}
				rows++
				var rowErr *ingest.RowError
				if errors.As(err, &rowErr) {
					tr := byRow[f.Name+":"+strconv.FormatInt(rowErr.Row.Num, 10)]
					if tr == nil || (tr["broken"] != synth.BrokenExtraColumn && tr["broken"] != synth.BrokenTruncatedRow) {
						t.Errorf("%s row %d: %v", f.Name, rowErr.Row.Num, err)
					}
					continue
				} else if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				tr := byRow[f.Name+":"+strconv.FormatInt(row.Num, 10)]
				if tr == nil {
					t.Fatalf("%s row %d: not in the truth", f.Name, row.Num)
				}
				res := mp.Map(&row, credo.Provenance{})
				switch {
				case tr["broken"] != "":
					if res.Record != nil {
						t.Errorf("%s row %d: broken (%s) but mapped", f.Name, row.Num, tr["broken"])
					}
				case res.Record == nil:
					t.Errorf("%s row %d: %v", f.Name, row.Num, res.Problems)
				case tr["id_noise"] == "" && (res.Unresolved != "" || res.Record.Subject.ID != tr["subject_id"]):
					t.Errorf("%s row %d: subject %v (%s), want %s", f.Name, row.Num, res.Record.Subject, res.Unresolved, tr["subject_id"])
				case tr["id_noise"] == "mistyped" && !strings.Contains(res.Unresolved, "invalid") && !strings.Contains(res.Unresolved, "valid "):
					t.Errorf("%s row %d: mistyped id %s: %q", f.Name, row.Num, tr["id_written"], res.Unresolved)
				case tr["id_noise"] == "missing" && res.Unresolved != "identifier missing":
					t.Errorf("%s row %d: missing id: %q", f.Name, row.Num, res.Unresolved)
				case res.Record.Kind != tr["kind"] || res.SourceRecordID != tr["source_record_id"]:
					t.Errorf("%s row %d: %s %s, want %s %s", f.Name, row.Num, res.SourceRecordID, res.Record.Kind, tr["source_record_id"], tr["kind"])
				}
			}
			r.Close()
			if rows != f.Rows {
				t.Errorf("%s: read %d rows, wrote %d", f.Name, rows, f.Rows)
			}
		}
	}
}

func TestAgenciesDeterministic(t *testing.T) {
	c := agencyCity(t, 1500, 1)
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if _, err := synth.WriteAgencies(context.Background(), c, d, synth.AgencyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := os.ReadDir(a)
	if len(files) < 20 {
		t.Fatalf("%d files", len(files))
	}
	for _, f := range files {
		x, _ := os.ReadFile(filepath.Join(a, f.Name()))
		y, err := os.ReadFile(filepath.Join(b, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if f.Name() == "manifest.json" {
			x = bytes.ReplaceAll(x, []byte(a), nil)
			y = bytes.ReplaceAll(y, []byte(b), nil)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", f.Name())
		}
	}
}

func TestAgenciesCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := synth.WriteAgencies(ctx, agencyCity(t, 1000, 1), t.TempDir(), synth.AgencyOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	bad := synth.Noise{Missing: 1.5}
	if _, err := synth.WriteAgencies(context.Background(), agencyCity(t, 1000, 1), t.TempDir(), synth.AgencyOptions{Noise: &bad}); err == nil {
		t.Fatal("a noise rate of 1.5 was accepted")
	}
}

func BenchmarkWriteAgencies(b *testing.B) {
	c := agencyCity(b, 20000, 5)
	var events int64
	for b.Loop() {
		m, err := synth.WriteAgencies(context.Background(), c, b.TempDir(), synth.AgencyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		events = m.Events
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
