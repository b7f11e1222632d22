package synth

// The city's agencies' exports: what each agency would send credo over the
// city's years, each in its own format, encoding, column names, date and
// amount styles and enum codes, with a source spec for each (valid under
// ingest.LoadSpec), realistic noise, and the truth about every row written.
//
// WriteAgencies streams the city's events once: each event goes to its
// agency (routed by its Source and Kind), is rendered as a row in that
// agency's style, and written to the agency's file for the year it
// occurred. Nothing is held but the rows waiting to be sent again (a
// duplicate a few rows later, or a re-send in the next year's file), so
// memory does not grow with the city. The sources themselves are in
// agencies_sources.go; docs/synth.md ("The agencies' exports") describes
// them.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/ingest"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Noise says how much of each kind of noise the exports carry, as shares of
// the rows (0 to 1). The draws are a function of the city's seed, the
// source and the row, so the same city and noise give the same files.
type Noise struct {
	// Mistyped rows carry their subject's identifier with one character
	// substituted, or two adjacent ones transposed: it fails its check, and
	// the record is appended unresolved.
	Mistyped float64 `json:"mistyped"`
	// Missing rows carry no identifier, only the name, birth date and sex
	// (a person) and usually the phone and address: appended unresolved.
	Missing float64 `json:"missing"`
	// Duplicate rows are sent twice in the same file, the copy a few rows
	// after the original.
	Duplicate float64 `json:"duplicate"`
	// Resent rows are sent again, unchanged, at the start of the source's
	// next file (the next year's).
	Resent float64 `json:"resent"`
	// Broken rows cannot be records and must be quarantined: an impossible
	// date, an amount that is not a number, an enum code the spec does not
	// map, a missing record id, an extra column (CSV, TSV, XLSX) or a line
	// cut short (NDJSON). Broken rows are never mistyped, missing or copied.
	Broken float64 `json:"broken"`
}

// DefaultNoise is the noise of the exports unless AgencyOptions say
// otherwise.
var DefaultNoise = Noise{Mistyped: 0.02, Missing: 0.05, Duplicate: 0.004, Resent: 0.004, Broken: 0.001}

// AgencyOptions tune WriteAgencies.
type AgencyOptions struct {
	// Noise is the noise; nil means DefaultNoise, &Noise{} none.
	Noise *Noise
	// Progress, when not nil, is called every few thousand events with the
	// number of events written so far.
	Progress func(events int64)
}

// Broken-row reasons, as the manifest and the truth name them.
const (
	BrokenDate         = "impossible_date"   // 2023-02-30, in the source's style
	BrokenAmount       = "bad_amount"        // an amount that is not a number
	BrokenCode         = "unknown_code"      // an enum code the spec does not map
	BrokenRecordID     = "missing_record_id" // the source's record id left empty
	BrokenExtraColumn  = "extra_column"      // a value right of the header's last column
	BrokenTruncatedRow = "truncated_line"    // an NDJSON line cut short: not JSON
)

// Manifest describes what WriteAgencies wrote; it is also written to
// manifest.json in the directory.
type Manifest struct {
	Dir    string    `json:"dir"`
	Seed   int64     `json:"seed"`
	People int       `json:"people"`
	Orgs   int       `json:"orgs"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Noise  Noise     `json:"noise"`
	// Truth is the truth file's name in Dir: one line per row written (see
	// TruthHeader).
	Truth   string          `json:"truth"`
	Events  int64           `json:"events"`
	Rows    int64           `json:"rows"`
	Sources []*SourceExport `json:"sources"`
}

// SourceExport is one agency's export: its spec, its files, and the noise
// injected into them. What an ingest of all its files through the spec
// should report follows: Appended = Events - Broken total (Unresolved of
// them = Mistyped + Missing), Duplicates = Duplicates + Resent, Quarantined
// = the Broken total.
type SourceExport struct {
	Source   string        `json:"source"`
	Agency   string        `json:"agency"`
	Format   string        `json:"format"`
	Encoding string        `json:"encoding"`
	BOM      bool          `json:"bom,omitempty"` // the files start with a UTF-8 byte-order mark
	Spec     string        `json:"spec"`          // the spec's file name in Dir
	Kinds    []string      `json:"kinds"`
	Files    []*ExportFile `json:"files"`
	// Events is the number of the city's events sent by this agency: each
	// in exactly one original row (broken or not).
	Events int64 `json:"events"`
	// Rows is the number of rows written: Events + Duplicates + Resent.
	Rows       int64            `json:"rows"`
	Mistyped   int64            `json:"mistyped"`
	Missing    int64            `json:"missing"`
	Duplicates int64            `json:"duplicates"`
	Resent     int64            `json:"resent"`
	Broken     map[string]int64 `json:"broken"`
}

// BrokenRows is the number of broken rows of all reasons.
func (s *SourceExport) BrokenRows() int64 {
	var n int64
	for _, v := range s.Broken {
		n += v
	}
	return n
}

// ExportFile is one file of an export.
type ExportFile struct {
	Name string `json:"name"` // in Dir
	Year int    `json:"year"`
	Rows int64  `json:"rows"`
}

// TruthHeader is the header of truth.csv. Each line is one row written:
//
//	file, row         where it is (row as ingest numbers it: the line for
//	                  CSV, TSV and NDJSON, the sheet row for XLSX, the
//	                  record's ordinal for JSON and XML)
//	source, source_record_id, kind
//	                  the record it carries (the true record id even when
//	                  the row lost it)
//	subject_kind, subject_index, subject_id
//	                  whom it is really about
//	id_written        the identifier as the row carries it
//	id_noise          "", "mistyped" or "missing"
//	copy_of           "" for an original row; "FILE:ROW" of the original
//	                  for a duplicate or a re-sent row
//	copy              "", "duplicate" (same file) or "resent" (a later file)
//	broken            "" or the reason the row is broken (Broken…)
var TruthHeader = []string{"file", "row", "source", "source_record_id", "kind", "subject_kind", "subject_index", "subject_id", "id_written", "id_noise", "copy_of", "copy", "broken"}

// WriteAgencies writes the exports of every agency of city into dir (made
// if missing): for each source its spec (SOURCE.yaml) and one file per
// year (SOURCE-YEAR.EXT), plus truth.csv and manifest.json. Each event of
// city.Events() is in exactly one original row of one export.
func WriteAgencies(ctx context.Context, city *City, dir string, opts AgencyOptions) (*Manifest, error) {
	noise := DefaultNoise
	if opts.Noise != nil {
		noise = *opts.Noise
	}
	for _, p := range []float64{noise.Mistyped, noise.Missing, noise.Duplicate, noise.Resent, noise.Broken} {
		if !(p >= 0 && p <= 1) {
			return nil, fmt.Errorf("synth: noise rates must be between 0 and 1: %+v", noise)
		}
	}
	if noise.Mistyped+noise.Missing+noise.Broken > 1 {
		return nil, fmt.Errorf("synth: mistyped + missing + broken exceed 1: %+v", noise)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	cfg := city.Config()
	m := &Manifest{Dir: dir, Seed: cfg.Seed, People: cfg.People, Orgs: cfg.Orgs, Start: cfg.Start, End: cfg.End, Noise: noise, Truth: "truth.csv"}
	w := &agencyWriter{c: city, dir: dir, noise: noise, key: hash2(city.key, kAgencies)}
	w.tMistyped = prob(noise.Mistyped)
	w.tMissing = prob(noise.Mistyped + noise.Missing)
	w.tBroken = prob(noise.Broken)
	w.tDup = prob(noise.Duplicate)
	w.tResent = prob(noise.Resent)
	w.now = cfg.End.AddDate(1, 0, 0)

	tf, err := os.Create(filepath.Join(dir, m.Truth))
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	defer tf.Close()
	w.truth = bufio.NewWriterSize(tf, 256<<10)
	w.writeTruth(TruthHeader)

	for i, a := range agencies {
		spec, err := ingest.ParseSpec(a.name+".yaml", []byte(a.spec))
		if err != nil {
			return nil, fmt.Errorf("synth: the spec of %s: %w", a.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, a.name+".yaml"), []byte(a.spec), 0o644); err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
		exp := &SourceExport{Source: a.name, Agency: spec.Agency, Format: a.format, Encoding: a.encoding, BOM: a.bom,
			Spec: a.name + ".yaml", Kinds: a.kinds, Broken: map[string]int64{}}
		if exp.Encoding == "" {
			exp.Encoding = "utf-8" // XLSX: UTF-8 inside
		}
		if len(exp.Kinds) == 0 {
			for _, k := range credo.Kinds() {
				if k.Source == a.source {
					exp.Kinds = append(exp.Kinds, k.Name)
				}
			}
		}
		m.Sources = append(m.Sources, exp)
		w.srcs = append(w.srcs, &sourceState{a: a, idx: i, spec: spec, exp: exp})
	}

	n, err := w.run(ctx, city, opts.Progress)
	for _, s := range w.srcs {
		if err == nil {
			err = w.closeFile(s)
		} else if s.out != nil {
			s.out.close()
		}
		// Rows waiting to be re-sent in a next file that never came are
		// not written.
		s.resend = nil
		m.Events += s.exp.Events
		m.Rows += s.exp.Rows
	}
	if err != nil {
		return nil, err
	}
	if opts.Progress != nil {
		opts.Progress(n)
	}
	if err := w.truth.Flush(); err != nil {
		return nil, fmt.Errorf("synth: truth: %w", err)
	}
	if err := tf.Close(); err != nil {
		return nil, fmt.Errorf("synth: truth: %w", err)
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(mb, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	return m, nil
}

// kAgencies keys the exports' noise.
const kAgencies uint64 = 0x6167656e63696573

// agencyWriter is one run of WriteAgencies. It works in two stages: the
// goroutine reading the city's events routes each one, draws its noise and
// renders its row into a batch; a second goroutine writes the batches'
// rows to the files, with their copies and their truth.
type agencyWriter struct {
	c     *City
	dir   string
	noise Noise
	key   uint64
	now   time.Time // for identifier checks: after every birth

	tMistyped, tMissing, tBroken, tDup, tResent uint64

	srcs  []*sourceState
	truth *bufio.Writer
	rc    rowCtx
	line  []byte
}

// sourceState is one agency's export in progress.
type sourceState struct {
	a    *agency
	idx  int
	spec *ingest.Spec
	exp  *SourceExport

	n uint64 // events routed here, for the noise draws (first stage)

	// The second stage's.
	out    exportWriter
	file   *ExportFile
	year   int
	rows   int64      // rows in the current file
	dups   []*pending // duplicates waiting to be written in this file
	resend []*pending // rows to send again in the next file
}

// pending is a row to write again, with its truth.
type pending struct {
	due   int64 // write after the file has this many rows (duplicates)
	vals  []string
	raw   []byte
	truth [13]string
}

// rowBatch is rows rendered by the first stage for the second.
type rowBatch struct {
	items []rowItem
	vals  []string // the items' values, end to end
	raw   []byte   // the items' raw text, end to end
}

type rowItem struct {
	src    *sourceState
	year   int
	v0, v1 int // values in rowBatch.vals (CSV, TSV, XLSX)
	r0, r1 int // raw text in rowBatch.raw (JSON, NDJSON, XML)
	truth  [13]string
	dup    int  // > 0: send again in the same file after this many rows
	resend bool // send again in the next file
}

// run streams the city's events through both stages and returns how many
// there were.
func (w *agencyWriter) run(ctx context.Context, city *City, progress func(int64)) (int64, error) {
	full := make(chan *rowBatch, 2)
	free := make(chan *rowBatch, 4)
	for range cap(free) {
		free <- &rowBatch{}
	}
	done := make(chan error, 1)
	var failed atomic.Bool
	go func() {
		var err error
		for b := range full {
			for i := range b.items {
				if err != nil {
					break
				}
				err = w.put(b, &b.items[i])
			}
			if err != nil {
				failed.Store(true)
			}
			free <- b
		}
		done <- err
	}()
	finish := func(err error) (int64, error) {
		close(full)
		if e := <-done; e != nil {
			err = e
		}
		return 0, err
	}
	var n int64
	b := <-free
	b.items, b.vals, b.raw = b.items[:0], b.vals[:0], b.raw[:0]
	for ev := range city.Events() {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return finish(err)
			}
			if failed.Load() {
				return finish(nil)
			}
			if progress != nil && n > 0 {
				progress(n)
			}
		}
		n++
		s := w.route(ev)
		if s == nil {
			return finish(fmt.Errorf("synth: no agency exports records of source %q, kind %q", ev.Record.Source, ev.Record.Kind))
		}
		w.render(s, ev, b)
		if len(b.items) == 1024 {
			full <- b
			b = <-free
			b.items, b.vals, b.raw = b.items[:0], b.vals[:0], b.raw[:0]
		}
	}
	full <- b
	_, err := finish(nil)
	return n, err
}

// route finds the agency that sends ev.
func (w *agencyWriter) route(ev *Event) *sourceState {
	r := &ev.Record
	for _, s := range w.srcs {
		if s.a.source == r.Source && (len(s.a.kinds) == 0 || slices.Contains(s.a.kinds, r.Kind)) {
			return s
		}
	}
	return nil
}

// render draws ev's noise and renders its row into b.
func (w *agencyWriter) render(s *sourceState, ev *Event, b *rowBatch) {
	s.exp.Events++
	rg := newRNG(hash2(w.key, uint64(s.idx)<<48|s.n))
	s.n++

	r := &w.rc
	r.reset(w.c, ev, s.a)
	u := rg.next()
	switch {
	case u < w.tBroken:
		r.brk = s.a.chooseBroken(r, rg.next())
	case u-w.tBroken < w.tMistyped:
		r.idNoise = "mistyped"
		r.id = mistype(r.trueID, &rg, r.person, w.now)
	case u-w.tBroken < w.tMissing:
		r.idNoise = "missing"
		r.id = ""
		r.dropPhone = rg.intn(4) == 0
	}
	r.chinese = rg.intn(100) < 3 // a few amounts in Chinese numerals
	r.variant = rg.next()
	s.a.render(r)
	if r.brk == BrokenExtraColumn {
		r.vals = append(r.vals, "补录")
	}
	if r.brk != "" {
		s.exp.Broken[r.brk]++
	}
	switch r.idNoise {
	case "mistyped":
		s.exp.Mistyped++
	case "missing":
		s.exp.Missing++
	}
	it := rowItem{src: s, year: r.y}
	it.truth = [13]string{2: s.a.name, 3: ev.Record.SourceRecordID, 4: ev.Record.Kind,
		5: ev.Subject.String(), 6: strconv.Itoa(ev.Index), 7: r.trueID, 8: r.id, 9: r.idNoise, 12: r.brk}
	it.v0 = len(b.vals)
	b.vals = append(b.vals, r.vals...)
	it.v1 = len(b.vals)
	it.r0, it.r1 = -1, -1
	if !s.a.tabular() {
		it.r0 = len(b.raw)
		b.raw = append(b.raw, r.raw...)
		it.r1 = len(b.raw)
	}
	if r.brk == "" {
		if rg.next() < w.tDup {
			it.dup = 1 + rg.intn(30)
		}
		it.resend = rg.next() < w.tResent
	}
	b.items = append(b.items, it)
}

// put writes one rendered row to its file (opening the next year's when
// the year changes), and schedules its copies.
func (w *agencyWriter) put(b *rowBatch, it *rowItem) error {
	s := it.src
	if s.out == nil || it.year != s.year {
		if err := w.closeFile(s); err != nil {
			return err
		}
		if err := w.openFile(s, it.year); err != nil {
			return err
		}
	}
	vals := b.vals[it.v0:it.v1]
	var raw []byte
	if it.r0 >= 0 {
		raw = b.raw[it.r0:it.r1]
	}
	t := &it.truth
	if err := w.writeRow(s, vals, raw, t); err != nil {
		return err
	}
	if it.dup > 0 || it.resend {
		orig := t[0] + ":" + t[1]
		if it.dup > 0 {
			p := &pending{due: s.rows + int64(it.dup), vals: slices.Clone(vals), raw: slices.Clone(raw), truth: *t}
			p.truth[10], p.truth[11] = orig, "duplicate"
			s.dups = append(s.dups, p)
		}
		if it.resend {
			p := &pending{vals: slices.Clone(vals), raw: slices.Clone(raw), truth: *t}
			p.truth[10], p.truth[11] = orig, "resent"
			s.resend = append(s.resend, p)
		}
	}
	return w.flushDups(s, false)
}

// flushDups writes the duplicates that are due (all of them at the end of
// a file).
func (w *agencyWriter) flushDups(s *sourceState, all bool) error {
	for len(s.dups) > 0 {
		i := 0
		if !all {
			i = slices.IndexFunc(s.dups, func(p *pending) bool { return p.due <= s.rows })
			if i < 0 {
				return nil
			}
		}
		p := s.dups[i]
		s.dups = slices.Delete(s.dups, i, i+1)
		s.exp.Duplicates++
		if err := w.writeRow(s, p.vals, p.raw, &p.truth); err != nil {
			return err
		}
	}
	return nil
}

// writeRow writes one row and its truth line.
func (w *agencyWriter) writeRow(s *sourceState, vals []string, raw []byte, t *[13]string) error {
	if err := s.out.write(vals, raw); err != nil {
		return fmt.Errorf("synth: writing %s: %w", s.file.Name, err)
	}
	s.rows++
	s.file.Rows++
	s.exp.Rows++
	t[0] = s.file.Name
	t[1] = strconv.FormatInt(s.a.rowNum(s.rows), 10)
	w.writeTruth(t[:])
	return nil
}

func needsQuotes(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

// writeTruth writes one line of truth.csv (RFC 4180).
func (w *agencyWriter) writeTruth(fields []string) {
	l := w.line[:0]
	for i, f := range fields {
		if i > 0 {
			l = append(l, ',')
		}
		if needsQuotes(f) {
			l = append(l, '"')
			l = append(l, strings.ReplaceAll(f, `"`, `""`)...)
			l = append(l, '"')
		} else {
			l = append(l, f...)
		}
	}
	l = append(l, '\n')
	w.truth.Write(l)
	w.line = l
}

func (w *agencyWriter) openFile(s *sourceState, year int) error {
	name := fmt.Sprintf("%s-%d.%s", s.a.name, year, s.a.ext())
	f, err := os.Create(filepath.Join(w.dir, name))
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	var out exportWriter
	if s.a.format == "xlsx" {
		out, err = newXLSXWriter(f, s.a, year)
	} else {
		out, err = newTextWriter(f, s.a, s.spec, year)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("synth: %s: %w", name, err)
	}
	s.out, s.year, s.rows = out, year, 0
	s.file = &ExportFile{Name: name, Year: year}
	s.exp.Files = append(s.exp.Files, s.file)
	// What the last file's rows are sent again first.
	resend := s.resend
	s.resend = nil
	for _, p := range resend {
		s.exp.Resent++
		if err := w.writeRow(s, p.vals, p.raw, &p.truth); err != nil {
			return err
		}
	}
	return nil
}

func (w *agencyWriter) closeFile(s *sourceState) error {
	if s.out == nil {
		return nil
	}
	if err := w.flushDups(s, true); err != nil {
		return err
	}
	err := s.out.close()
	s.out = nil
	if err != nil {
		return fmt.Errorf("synth: writing %s: %w", s.file.Name, err)
	}
	return nil
}

// mistype changes one character of id, or swaps two adjacent different
// ones, so that it fails its check.
func mistype(id string, r *rng, person bool, now time.Time) string {
	b := []byte(id)
	for range 100 {
		copy(b, id)
		i := r.intn(len(b) - 1)
		if r.intn(2) == 0 && b[i] != b[i+1] {
			b[i], b[i+1] = b[i+1], b[i]
		} else {
			if b[i] < '0' || b[i] > '9' {
				continue // keep letters: a digit for a digit is the usual slip
			}
			b[i] = '0' + byte((int(b[i]-'0')+1+r.intn(9))%10)
		}
		s := string(b)
		var res ident.Result
		if person {
			res = ident.CheckPersonAt(s, now)
		} else {
			res = ident.CheckOrganization(s)
		}
		if !res.Valid() {
			return s
		}
	}
	return id[:len(id)-1] // cannot happen: the check characters catch every such slip
}

// exportWriter writes the rows of one file.
type exportWriter interface {
	write(vals []string, raw []byte) error
	close() error
}

// textWriter writes CSV, TSV, JSON, NDJSON and XML through ingest's row
// writer, in the spec's format and encoding.
type textWriter struct {
	f  *os.File
	rw *ingest.RowWriter
}

func newTextWriter(f *os.File, a *agency, spec *ingest.Spec, year int) (*textWriter, error) {
	if a.bom {
		if _, err := f.WriteString("\ufeff"); err != nil {
			return nil, err
		}
	}
	if a.preamble != nil {
		// The lines above the header, in the file's encoding; the row
		// writer then writes the header right after them.
		var enc io.Writer = f
		var tw *transform.Writer
		switch spec.Encoding {
		case "gb18030":
			tw = transform.NewWriter(f, simplifiedchinese.GB18030.NewEncoder())
		case "gbk":
			tw = transform.NewWriter(f, simplifiedchinese.GBK.NewEncoder())
		}
		if tw != nil {
			enc = tw
		}
		for _, l := range a.preamble(year) {
			if _, err := io.WriteString(enc, l+"\r\n"); err != nil {
				return nil, err
			}
		}
		if tw != nil {
			if err := tw.Close(); err != nil {
				return nil, err
			}
		}
		sp, o := *spec, *spec.CSV
		o.HeaderRow = 0
		sp.CSV = &o
		spec = &sp
	}
	rw, err := ingest.NewRowWriter(f, spec, a.header)
	if err != nil {
		return nil, err
	}
	return &textWriter{f: f, rw: rw}, nil
}

func (t *textWriter) write(vals []string, raw []byte) error {
	if raw != nil {
		return t.rw.Write(ingest.Row{Raw: raw})
	}
	return t.rw.Write(ingest.Row{Values: vals})
}

func (t *textWriter) close() error {
	err := t.rw.Close()
	if e := t.f.Close(); err == nil {
		err = e
	}
	return err
}

// xlsxWriter writes a workbook as an office's spreadsheet looks: a merged
// title row, a blank line, then the header, with dates as date-formatted
// serial numbers and amounts as numbers, as the agency's columns say.
type xlsxWriter struct {
	f     *os.File
	a     *agency
	xf    *excelize.File
	sw    *excelize.StreamWriter
	row   int
	date  int // style ids
	money int
	cells []any
}

func newXLSXWriter(f *os.File, a *agency, year int) (*xlsxWriter, error) {
	x := &xlsxWriter{f: f, a: a, xf: excelize.NewFile()}
	fixed := time.Date(year+1, 1, 15, 9, 0, 0, 0, time.UTC).Format(time.RFC3339)
	if err := x.xf.SetDocProps(&excelize.DocProperties{Creator: a.agencyName(), Created: fixed, Modified: fixed, LastModifiedBy: a.agencyName()}); err != nil {
		return nil, err
	}
	sheet := a.sheet
	if err := x.xf.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	var err error
	dateFmt := "yyyy-mm-dd"
	if x.date, err = x.xf.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return nil, err
	}
	if x.money, err = x.xf.NewStyle(&excelize.Style{NumFmt: 4}); err != nil { // #,##0.00
		return nil, err
	}
	title, err := x.xf.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return nil, err
	}
	if x.sw, err = x.xf.NewStreamWriter(sheet); err != nil {
		return nil, err
	}
	x.row = 1
	if a.title != nil {
		if err := x.sw.SetRow("A1", []any{excelize.Cell{StyleID: title, Value: a.title(year)}}); err != nil {
			return nil, err
		}
		last, _ := excelize.CoordinatesToCellName(len(a.header), 1)
		if err := x.sw.MergeCell("A1", last); err != nil {
			return nil, err
		}
	}
	x.row = a.headerRow()
	if err := x.setRow(a.header, false); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *xlsxWriter) setRow(vals []string, typed bool) error {
	x.cells = x.cells[:0]
	for i, v := range vals {
		var c any = v
		if v == "" {
			c = nil // no cell, as a spreadsheet leaves an empty one
		} else if typed && i < len(x.a.cellTypes) && v != "" {
			switch x.a.cellTypes[i] {
			case 'd':
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					c = excelize.Cell{StyleID: x.date, Value: f}
				}
			case 'm':
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					c = excelize.Cell{StyleID: x.money, Value: f}
				}
			case 'n':
				if n, err := strconv.Atoi(v); err == nil {
					c = n
				}
			}
		}
		x.cells = append(x.cells, c)
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	x.row++
	return x.sw.SetRow(cell, x.cells)
}

func (x *xlsxWriter) write(vals []string, _ []byte) error { return x.setRow(vals, true) }

func (x *xlsxWriter) close() error {
	err := x.sw.Flush()
	if err == nil {
		bw := bufio.NewWriterSize(x.f, 256<<10)
		if err = x.xf.Write(bw); err == nil {
			err = bw.Flush()
		}
	}
	if e := x.xf.Close(); err == nil {
		err = e
	}
	if e := x.f.Close(); err == nil {
		err = e
	}
	return err
}

// agency is one source: how its rows look, and its spec.
type agency struct {
	name     string   // the source's name in credo (the spec's source:)
	source   string   // the synthetic city's Record.Source it sends
	kinds    []string // the kinds it sends of that source (all when empty)
	format   string
	encoding string
	bom      bool
	// preamble, for CSV: lines above the header (a title, an export time);
	// the spec's csv.header_row is the line after them.
	preamble func(year int) []string
	spec     string // the source spec, YAML
	header   []string
	// XLSX: the sheet, the title row (nil: none, the header on row 1), the
	// cell type of each column ('d' a date serial, 'm' money, 'n' a whole
	// number, other: text).
	sheet     string
	title     func(year int) string
	cellTypes string
	// broken lists the ways its rows break, for Noise.Broken.
	broken []string
	render func(r *rowCtx)
}

func (a *agency) ext() string { return a.format }

func (a *agency) tabular() bool { return a.format == "csv" || a.format == "tsv" || a.format == "xlsx" }

func (a *agency) agencyName() string {
	for _, l := range strings.Split(a.spec, "\n") {
		if v, ok := strings.CutPrefix(l, "agency: "); ok {
			return v
		}
	}
	return a.name
}

// headerRow is the header's row: after an XLSX title and a blank line, or
// after a CSV preamble.
func (a *agency) headerRow() int {
	switch {
	case a.title != nil:
		return 3
	case a.preamble != nil:
		return 1 + len(a.preamble(2000))
	}
	return 1
}

// rowNum is the number ingest gives the k-th row written (1-based).
func (a *agency) rowNum(k int64) int64 {
	switch a.format {
	case "csv", "tsv", "xlsx":
		return k + int64(a.headerRow()) // the header's line (or sheet row), then the rows
	}
	return k // NDJSON lines, JSON and XML ordinals
}

// chooseBroken picks how a row breaks, among the ways that apply to it.
func (a *agency) chooseBroken(r *rowCtx, u uint64) string {
	ways := make([]string, 0, len(a.broken))
	for _, b := range a.broken {
		if b == BrokenAmount && !r.hasAmount() {
			continue
		}
		ways = append(ways, b)
	}
	return ways[u%uint64(len(ways))]
}

// rowCtx is one row being rendered: the event, and the noise on it.
type rowCtx struct {
	c      *City
	ev     *Event
	rec    *credo.Record
	person bool
	trueID string
	// id is the identifier as the row carries it.
	id        string
	idNoise   string
	dropPhone bool
	brk       string
	chinese   bool   // write the amount in Chinese numerals, if whole
	variant   uint64 // a free draw for the source's own variations

	y, mo, d, hh, mi, ss int // occurred, China time
	by, bm, bd           int // birth date (persons)

	vals []string
	raw  []byte
}

func (r *rowCtx) reset(c *City, ev *Event, a *agency) {
	*r = rowCtx{c: c, ev: ev, rec: &ev.Record, vals: r.vals[:0], raw: r.raw[:0]}
	r.person = ev.Subject == credo.Person
	r.trueID = ev.Record.Subject.ID
	r.id = r.trueID
	t := ev.Record.OccurredAt.In(China)
	var mo time.Month
	r.y, mo, r.d = t.Date()
	r.mo = int(mo)
	r.hh, r.mi, r.ss = t.Clock()
	if bd := ev.Record.Identity.BirthDate; r.person && len(bd) == 10 {
		r.by, _ = strconv.Atoi(bd[:4])
		r.bm, _ = strconv.Atoi(bd[5:7])
		r.bd, _ = strconv.Atoi(bd[8:10])
	}
	if a.format == "csv" || a.format == "tsv" || a.format == "xlsx" {
		r.raw = nil
	} else {
		r.vals = nil
	}
}

// attr returns an attribute's value ("" when absent).
func (r *rowCtx) attr(key string) string {
	v, ok := r.rec.Attributes.Get(key)
	if !ok {
		return ""
	}
	return v.String()
}

func (r *rowCtx) hasAmount() bool {
	_, ok := r.rec.Attributes.Get("amount")
	return ok
}

// amount returns the amount in yuan, and whether there is one.
func (r *rowCtx) amount() (float64, bool) {
	v, ok := r.rec.Attributes.Get("amount")
	return v.Float(), ok
}

// recordID is the source's record id, or "" on a row broken that way.
func (r *rowCtx) recordID() string {
	if r.brk == BrokenRecordID {
		return ""
	}
	return r.rec.SourceRecordID
}

// code is the agency's code for the row, or one its spec does not know on
// a row broken that way.
func (r *rowCtx) code(code, unknown string) string {
	if r.brk == BrokenCode {
		return unknown
	}
	return code
}

func (r *rowCtx) name() string    { return r.rec.Identity.Name }
func (r *rowCtx) address() string { return r.rec.Identity.Address }

func (r *rowCtx) phone() string {
	if r.dropPhone {
		return ""
	}
	return r.rec.Identity.Phone
}

// sex writes a person's sex with the agency's two codes.
func (r *rowCtx) sex(male, female string) string {
	switch {
	case !r.person:
		return ""
	case r.rec.Identity.Sex == credo.Male:
		return male
	case r.rec.Identity.Sex == credo.Female:
		return female
	}
	return ""
}

// Date styles.
const (
	dsISO        = iota // 2024-03-05
	dsSlash             // 2024/3/5
	dsSlashPad          // 2024/03/05
	dsCompact           // 20240305
	dsDot               // 2024.03.05
	dsChinese           // 2024年3月5日
	dsChinesePad        // 2024年03月05日
	dsChineseNum        // 二〇二四年三月五日
	dsExcel             // 45356 (serial day)
	dsRFC3339           // 2024-03-05T08:12:00+08:00
	dsDateTime          // 2024-03-05 08:12:00
	dsMinute            // 2024-03-05 08:12
	dsLocalT            // 2024-03-05T08:12:00
)

// when is the occurred date in style, or an impossible one (the 30th of
// February, or the 31st of a short month) on a row broken that way.
func (r *rowCtx) when(style int) string {
	y, m, d := r.y, r.mo, r.d
	if r.brk == BrokenDate {
		if r.variant&1 == 0 {
			m, d = 2, 30
		} else {
			m, d = []int{4, 6, 9, 11}[r.variant>>1&3], 31
		}
		if style == dsExcel {
			return formatDate(dsISO, y, m, d, 0, 0, 0)
		}
	}
	return formatDate(style, y, m, d, r.hh, r.mi, r.ss)
}

// birth is a person's birth date in style ("" for an organisation).
func (r *rowCtx) birth(style int) string {
	if !r.person || r.by == 0 {
		return ""
	}
	return formatDate(style, r.by, r.bm, r.bd, 0, 0, 0)
}

func formatDate(style, y, m, d, hh, mi, ss int) string {
	var b [40]byte
	o := b[:0]
	pad := func(o []byte, n, w int) []byte {
		if w == 4 {
			return appendPadded(o, n, 4)
		}
		if n < 10 && w == 2 {
			o = append(o, '0')
		}
		return strconv.AppendInt(o, int64(n), 10)
	}
	ymd := func(o []byte, sep string, w int) []byte {
		o = pad(o, y, 4)
		o = append(o, sep...)
		o = pad(o, m, w)
		o = append(o, sep...)
		return pad(o, d, w)
	}
	hms := func(o []byte, sec bool) []byte {
		o = pad(o, hh, 2)
		o = append(o, ':')
		o = pad(o, mi, 2)
		if sec {
			o = append(o, ':')
			o = pad(o, ss, 2)
		}
		return o
	}
	switch style {
	case dsISO:
		o = ymd(o, "-", 2)
	case dsSlash:
		o = ymd(o, "/", 1)
	case dsSlashPad:
		o = ymd(o, "/", 2)
	case dsCompact:
		o = ymd(o, "", 2)
	case dsDot:
		o = ymd(o, ".", 2)
	case dsChinese, dsChinesePad:
		w := 1
		if style == dsChinesePad {
			w = 2
		}
		o = pad(o, y, 4)
		o = append(o, "年"...)
		o = pad(o, m, w)
		o = append(o, "月"...)
		o = pad(o, d, w)
		o = append(o, "日"...)
	case dsChineseNum:
		for _, c := range strconv.Itoa(y) {
			o = append(o, chineseDigits[c-'0']...)
		}
		o = append(o, "年"...)
		o = appendChineseSmall(o, m)
		o = append(o, "月"...)
		o = appendChineseSmall(o, d)
		o = append(o, "日"...)
	case dsExcel:
		o = strconv.AppendInt(o, unixDay(y, m, d)+25569, 10)
	case dsRFC3339:
		o = ymd(o, "-", 2)
		o = append(o, 'T')
		o = hms(o, true)
		o = append(o, "+08:00"...)
	case dsDateTime:
		o = ymd(o, "-", 2)
		o = append(o, ' ')
		o = hms(o, true)
	case dsMinute:
		o = ymd(o, "-", 2)
		o = append(o, ' ')
		o = hms(o, false)
	case dsLocalT:
		o = ymd(o, "-", 2)
		o = append(o, 'T')
		o = hms(o, true)
	}
	return string(o)
}

var chineseDigits = [10]string{"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// appendChineseSmall writes 1 to 99 as dates write them: 五, 十二, 三十一.
func appendChineseSmall(o []byte, n int) []byte {
	if n >= 20 {
		o = append(o, chineseDigits[n/10]...)
	}
	if n >= 10 {
		o = append(o, "十"...)
	}
	if n%10 != 0 || n < 10 {
		o = append(o, chineseDigits[n%10]...)
	}
	return o
}

// Amount styles.
const (
	asPlain   = iota // 1234.5 (as the number is)
	asFixed          // 1234.50
	asYuan           // 1234.5元
	asSign           // ¥1,234.50
	asWan            // 1.2万元 from ten thousand on, when it is whole hundreds; else 1234.5元
	asChinese        // 一千二百三十四元 when whole; else 1234.5元
)

// badAmounts are what an amount field holds when the row is broken that way.
var badAmounts = []string{"待定", "见决定书", "12.3.4", "1,23", "NaN元", "--"}

// money writes the amount in style ("" when the record has none); a few
// whole amounts come in Chinese numerals whatever the style, when the
// agency writes by hand (chineseToo).
func (r *rowCtx) money(style int, chineseToo bool) string {
	if r.brk == BrokenAmount {
		return badAmounts[r.variant>>8%uint64(len(badAmounts))]
	}
	f, ok := r.amount()
	if !ok {
		return ""
	}
	if chineseToo && r.chinese {
		style = asChinese
	}
	return formatAmount(style, f)
}

func formatAmount(style int, f float64) string {
	fen := int64(f*100 + 0.5)
	if f < 0 {
		fen = int64(f*100 - 0.5)
	}
	whole := fen%100 == 0
	switch style {
	case asFixed:
		return strconv.FormatFloat(f, 'f', 2, 64)
	case asYuan:
		return strconv.FormatFloat(f, 'f', -1, 64) + "元"
	case asSign:
		return "¥" + groupThousands(strconv.FormatFloat(f, 'f', 2, 64))
	case asWan:
		if fen >= 1_000_000 && fen%10_000 == 0 {
			return strconv.FormatFloat(float64(fen/10_000)/100, 'f', -1, 64) + "万元"
		}
		return strconv.FormatFloat(f, 'f', -1, 64) + "元"
	case asChinese:
		if whole && fen > 0 && fen < 100_000_000*100 {
			return string(appendChineseInt(nil, fen/100)) + "元"
		}
		return strconv.FormatFloat(f, 'f', -1, 64) + "元"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// groupThousands puts commas in the whole part of a decimal.
func groupThousands(s string) string {
	i := strings.IndexByte(s, '.')
	if i < 0 {
		i = len(s)
	}
	start := 0
	if s != "" && s[0] == '-' {
		start = 1
	}
	if i-start <= 3 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:start])
	for j := start; j < i; j++ {
		if j > start && (i-j)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[j])
	}
	b.WriteString(s[i:])
	return b.String()
}

// appendChineseInt writes 1 ≤ n < 10^8 in Chinese numerals, as a person
// writes an amount: 一千二百, 六万零八百, 十五万, 一万零一十五.
func appendChineseInt(o []byte, n int64) []byte {
	hi, lo := n/10_000, n%10_000
	if hi > 0 {
		o = appendChineseSection(o, hi, true)
		o = append(o, "万"...)
		if lo > 0 {
			if lo < 1000 {
				o = append(o, "零"...)
			}
			o = appendChineseSection(o, lo, false)
		}
		return o
	}
	return appendChineseSection(o, lo, true)
}

// appendChineseSection writes 1 to 9999; leading says it starts the number
// (十五, not 一十五).
func appendChineseSection(o []byte, n int64, leading bool) []byte {
	units := [4]string{"千", "百", "十", ""}
	div := int64(1000)
	started, zero := false, false
	for i := 0; i < 4; i++ {
		dgt := n / div % 10
		div /= 10
		if dgt == 0 {
			zero = started
			continue
		}
		if zero {
			o = append(o, "零"...)
			zero = false
		}
		// 十五, not 一十五, at the start; but a bare 十 (10, 十万) is
		// written 一十, which ingest.ParseAmount reads (it does not read
		// a bare 十).
		if !(i == 2 && dgt == 1 && !started && leading && n%10 != 0) {
			o = append(o, chineseDigits[dgt]...)
		}
		o = append(o, units[i]...)
		started = true
	}
	return o
}

// jsonObj builds a JSON object, with nested objects, without reflection.
type jsonObj struct {
	b     []byte
	first bool
}

func (j *jsonObj) begin(b []byte) { j.b = append(b, '{'); j.first = true }

// key writes a member's name: the names are the agencies' own, plain ASCII.
func (j *jsonObj) key(k string) {
	if !j.first {
		j.b = append(j.b, ',')
	}
	j.first = false
	j.b = append(j.b, '"')
	j.b = append(j.b, k...)
	j.b = append(j.b, '"', ':')
}

// str writes a string member; an empty value writes "" (as agencies do).
func (j *jsonObj) str(k, v string) {
	j.key(k)
	for i := 0; i < len(v); i++ {
		if jsonPlain[v[i]] == 0 {
			j.b = appendJSONString(j.b, v)
			return
		}
	}
	j.b = append(j.b, '"')
	j.b = append(j.b, v...)
	j.b = append(j.b, '"')
}

// jsonPlain marks the bytes that a JSON string (as encoding/json writes
// it) holds as they are: not control characters, quotes, backslashes,
// HTML's <>&, or the lead byte of U+2028 and U+2029 (E2), which
// appendJSONString escapes.
var jsonPlain = func() (t [256]uint8) {
	for c := 0x20; c < 256; c++ {
		t[c] = 1
	}
	for _, c := range []byte{'"', '\\', '<', '>', '&', 0xe2} {
		t[c] = 0
	}
	return t
}()

// opt writes a string member only when v is not empty.
func (j *jsonObj) opt(k, v string) {
	if v != "" {
		j.str(k, v)
	}
}

// num writes a member as a JSON number when v is one, else as a string;
// nothing when v is empty.
func (j *jsonObj) num(k, v string) {
	if v == "" {
		return
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "NnIi") {
		j.key(k)
		j.b = append(j.b, v...)
		return
	}
	j.str(k, v)
}

func (j *jsonObj) open(k string) { j.key(k); j.b = append(j.b, '{'); j.first = true }
func (j *jsonObj) close()        { j.b = append(j.b, '}'); j.first = false }

// xmlEl builds XML elements.
type xmlEl struct{ b []byte }

func (x *xmlEl) text(s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			x.b = append(x.b, "&amp;"...)
		case '<':
			x.b = append(x.b, "&lt;"...)
		case '>':
			x.b = append(x.b, "&gt;"...)
		case '"':
			x.b = append(x.b, "&quot;"...)
		default:
			x.b = append(x.b, c)
		}
	}
}

// leaf writes <name>v</name> (an empty element when v is empty).
func (x *xmlEl) leaf(name, v string) {
	x.b = append(x.b, '<')
	x.b = append(x.b, name...)
	if v == "" {
		x.b = append(x.b, "/>"...)
		return
	}
	x.b = append(x.b, '>')
	x.text(v)
	x.b = append(x.b, "</"...)
	x.b = append(x.b, name...)
	x.b = append(x.b, '>')
}

// open writes <name a="v" …> from attribute pairs.
func (x *xmlEl) open(name string, attrs ...string) {
	x.b = append(x.b, '<')
	x.b = append(x.b, name...)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.b = append(x.b, ' ')
		x.b = append(x.b, attrs[i]...)
		x.b = append(x.b, `="`...)
		x.text(attrs[i+1])
		x.b = append(x.b, '"')
	}
	x.b = append(x.b, '>')
}

func (x *xmlEl) close(name string) {
	x.b = append(x.b, "</"...)
	x.b = append(x.b, name...)
	x.b = append(x.b, '>')
}
