package ingest

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/credo-org/credo"
)

// Ingester runs ingests of source files into a store.
type Ingester struct {
	Store credo.Store
	// Now is the clock: it stamps runs and bounds dates. time.Now when nil.
	Now func() time.Time
	Log *slog.Logger
	// BatchSize is the number of rows the reading side hands the ledger
	// side at a time; 1000 when 0. While the ledger side is busy (an append
	// is being synced), the batches that wait are merged into one append of
	// up to MaxBatch rows: one sync for all of them.
	BatchSize int
	// MaxBatch caps the rows of one merged append; 4 × BatchSize when 0.
	MaxBatch int
	// MaxExamples is how many quarantined rows the report shows; 20 when 0.
	MaxExamples int
}

// Progress is reported while a file is ingested.
type Progress struct {
	Rows       int64
	Bytes      int64
	TotalBytes int64
}

// Report is the data-quality report of one ingest: the stored run plus
// what a person fixing the source needs.
type Report struct {
	credo.Run
	Conflicts         int64              `json:"conflicts"`
	UnresolvedReasons map[string]int64   `json:"unresolved_reasons,omitempty"`
	FillRate          map[string]float64 `json:"fill_rate"`
	Examples          []Example          `json:"examples,omitempty"`
}

// Example is one quarantined row, for the report.
type Example struct {
	Row     int64    `json:"row"`
	ID      string   `json:"quarantine_id"`
	Reasons []string `json:"reasons"`
}

// ExitStatus is the ingest's exit status for the CLI: 0 when every row was
// appended or already there, 3 when some rows were quarantined, 1 when the
// file could not be read (at all, or to the end).
func (r *Report) ExitStatus() int {
	switch {
	case r.Status == "failed":
		return 1
	case r.Quarantined > 0:
		return 3
	}
	return 0
}

func (in *Ingester) now() time.Time {
	if in.Now != nil {
		return in.Now()
	}
	return time.Now()
}

func (in *Ingester) log() *slog.Logger {
	if in.Log != nil {
		return in.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (in *Ingester) newReport(source, file string) *Report {
	started := in.now()
	return &Report{Run: credo.Run{
		ID:      started.UTC().Format("20060102T150405.000000000") + "-" + source + "-" + randomSuffix(),
		Source:  source,
		File:    file,
		Started: started,
		Status:  "running",
		Reasons: map[string]int64{},
	}, UnresolvedReasons: map[string]int64{}}
}

// randomSuffix tells apart runs that start in the same nanosecond (or under
// a frozen clock).
func randomSuffix() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// fail ends rep as failed with err. The returned error is only the store's:
// a file that cannot be read is a report, not an error of the ingest.
func (in *Ingester) fail(ctx context.Context, rep *Report, err error) (*Report, error) {
	rep.Status, rep.Error, rep.Ended = "failed", err.Error(), in.now()
	return rep, in.Store.PutRun(ctx, &rep.Run)
}

// batch is what the reading side hands the writing side.
type batch struct {
	recs  []*credo.Record
	rows  []pendingRow            // the rows behind recs, quarantined if the ledger refuses them
	quar  []*credo.QuarantinedRow // rows that could not be mapped
	class [][]string              // per quarantined row: its reasons, counted by class
	unres []string                // per record: why it is unresolved
	read  int64
	bytes int64
	// wait, when the batch was handed to an AsyncAppender, waits for it to
	// be durable and gives its results.
	wait func() ([]credo.AppendResult, error)
}

// merge appends o, which was read after b, to b.
func (b *batch) merge(o *batch) {
	b.recs = append(b.recs, o.recs...)
	b.rows = append(b.rows, o.rows...)
	b.quar = append(b.quar, o.quar...)
	b.class = append(b.class, o.class...)
	b.unres = append(b.unres, o.unres...)
	b.read += o.read
	b.bytes = o.bytes
}

// pendingRow is what is kept of a row whose record is being appended: just
// enough to quarantine it if the ledger refuses the record (rarely), so
// that the quarantined row is only built then.
type pendingRow struct {
	num    int64
	srcID  string
	names  []string
	values []string
	raw    []byte
}

// quarantiner makes the quarantined rows of one run.
type quarantiner struct {
	source, file, digest, run string
	at                        time.Time
}

func (q *quarantiner) row(num int64, srcID string, names, values []string, raw []byte, reasons []string) *credo.QuarantinedRow {
	return &credo.QuarantinedRow{
		ID: credo.QuarantineID(q.source, q.digest, num), Source: q.source, File: q.file, Digest: q.digest,
		Row: num, SourceRecordID: srcID, Names: names, Values: values,
		Raw: string(raw), Reasons: reasons, Run: q.run, At: q.at,
	}
}

// IngestFile ingests one file under spec. It returns the report, and an
// error only when the store failed or ctx ended: a file that cannot be read
// is a report with status "failed" and the error in it.
func (in *Ingester) IngestFile(ctx context.Context, spec *Spec, path string, progress func(Progress)) (*Report, error) {
	rep := in.newReport(spec.Source, path)
	fail := func(err error) (*Report, error) { return in.fail(ctx, rep, err) }
	digest, size, err := fileDigest(path)
	if err != nil {
		return fail(&FileError{File: path, Err: err})
	}
	rep.Digest, rep.Bytes = digest, size
	if err := in.interruptStale(ctx, spec.Source, digest); err != nil {
		return rep, err
	}
	if err := in.Store.PutRun(ctx, &rep.Run); err != nil {
		return rep, err
	}
	r, err := Open(path, spec)
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	return in.ingest(ctx, spec, r, rep, credo.Provenance{File: digest}, progress, nil)
}

// Outcome is what became of one row: for the stream API, which answers
// line by line.
type Outcome struct {
	Row        int64    `json:"line"`
	Status     string   `json:"status"` // appended, duplicate, quarantined
	ID         string   `json:"id,omitempty"`
	Unresolved string   `json:"unresolved,omitempty"`
	Reasons    []string `json:"reasons,omitempty"`
}

// IngestStream ingests NDJSON lines (an API request's body) under spec's
// field mappings, whatever the spec's file format: the same validation,
// quarantine and idempotency as a file. requestID is the records'
// provenance and names the stream's quarantined rows. outcome, when not
// nil, receives each line's outcome in order.
func (in *Ingester) IngestStream(ctx context.Context, spec *Spec, body io.Reader, requestID string, outcome func(Outcome)) (*Report, error) {
	s := *spec
	s.Format, s.Encoding = "ndjson", "utf-8"
	s.CSV, s.XLSX, s.JSON, s.XML = nil, nil, nil, nil
	rep := in.newReport(spec.Source, "stream")
	rep.Digest = requestID
	if err := in.Store.PutRun(ctx, &rep.Run); err != nil {
		return rep, err
	}
	r, err := NewReader(body, "request "+requestID, &s)
	if err != nil {
		return in.fail(ctx, rep, err)
	}
	defer r.Close()
	return in.ingest(ctx, &s, r, rep, credo.Provenance{Request: requestID}, nil, outcome)
}

// ingest maps and appends every row of r and completes rep.
func (in *Ingester) ingest(ctx context.Context, spec *Spec, r Reader, rep *Report, prov credo.Provenance, progress func(Progress), outcome func(Outcome)) (*Report, error) {
	fail := func(err error) (*Report, error) { return in.fail(ctx, rep, err) }
	m, err := NewMapper(spec, in.Now)
	if err != nil {
		return fail(err)
	}
	if h := r.Header(); h != nil {
		if err := m.CheckHeader(h); err != nil {
			return fail(&FileError{File: rep.File, Err: err})
		}
		m.SetHeader(h)
	}
	readErr, err := in.run(ctx, spec, r, m, prov, rep, progress, outcome)
	if err != nil {
		return rep, err
	}
	rep.FillRate = m.FillRates(rep.Rows)
	if readErr != nil {
		return fail(readErr)
	}
	rep.Status, rep.Ended = "done", in.now()
	if rep.Quarantined > 0 {
		rep.Status = "quarantined"
	}
	in.log().Info("ingest", "run", rep.ID, "source", rep.Source, "file", rep.File, "status", rep.Status,
		"rows", rep.Rows, "appended", rep.Appended, "duplicates", rep.Duplicates, "quarantined", rep.Quarantined)
	return rep, in.Store.PutRun(ctx, &rep.Run)
}

// interruptStale marks earlier runs of the same file that never finished
// (the process was killed) as interrupted, so the run list tells the truth.
func (in *Ingester) interruptStale(ctx context.Context, source, digest string) error {
	var stale []*credo.Run
	for run, err := range in.Store.Runs(ctx) {
		if err != nil {
			return err
		}
		if run.Status == "running" && run.Source == source && run.Digest == digest {
			stale = append(stale, run)
		}
	}
	for _, run := range stale {
		run.Status, run.Error = "interrupted", "the ingest stopped before it finished; a later run of the same file completed it"
		if err := in.Store.PutRun(ctx, run); err != nil {
			return err
		}
	}
	return nil
}

func fileDigest(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// run reads and maps on this goroutine while another appends to the
// ledger. It returns the file's read error (if the file could not be read
// to the end) separately from a store error.
func (in *Ingester) run(ctx context.Context, spec *Spec, r Reader, m *Mapper, prov credo.Provenance, rep *Report, progress func(Progress), outcome func(Outcome)) (readErr, storeErr error) {
	size := in.BatchSize
	if size <= 0 {
		size = 1000
	}
	maxEx := in.MaxExamples
	if maxEx <= 0 {
		maxEx = 20
	}
	// What is in quarantine for this source now, to release what passes:
	// the rows' ids and source record ids, in sets of 2 bytes an id
	// whatever the size of the quarantine.
	qIDs, qSrc := newIDSet(), newIDSet()
	for q, err := range in.Store.Quarantined(ctx, spec.Source) {
		if err != nil {
			return nil, err
		}
		qIDs.add(q.ID)
		if q.SourceRecordID != "" {
			qSrc.add(q.SourceRecordID)
		}
	}

	maxBatch := in.MaxBatch
	if maxBatch <= 0 {
		maxBatch = 4 * size
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Room for the batches read while one append is synced: merged, they
	// make the next append.
	batches := make(chan *batch, max(2, maxBatch/size))
	done := make(chan error, 1)
	digest := prov.File
	if digest == "" {
		digest = prov.Request
	}
	qr := &quarantiner{source: spec.Source, file: filepath.Base(rep.File), digest: digest, run: rep.ID, at: in.now()}
	quarantine := func(row *Row, srcID string, reasons []string) *credo.QuarantinedRow {
		return qr.row(row.Num, srcID, row.Names, row.Values, row.Raw, reasons)
	}
	async, _ := in.Store.(credo.AsyncAppender)
	go func() {
		var err error
		// With an AsyncAppender one batch is in flight: the next is built
		// and applied while it is synced, and its results are filed after.
		var inFlight *batch
		finish := func() {
			if inFlight == nil {
				return
			}
			b := inFlight
			inFlight = nil
			if e := in.write(ctx, qr, b, rep, qIDs, qSrc, maxEx, outcome); e != nil && err == nil {
				err = e
				cancel()
				return
			}
			if err == nil && progress != nil {
				progress(Progress{Rows: rep.Rows, Bytes: b.bytes, TotalBytes: rep.Bytes})
			}
		}
		defer func() {
			finish()
			done <- err
		}()
		for b := range batches {
			if err != nil {
				continue
			}
			// Take along every batch already waiting, up to maxBatch rows.
		merge:
			for len(b.recs)+len(b.quar) < maxBatch {
				select {
				case o, ok := <-batches:
					if !ok {
						break merge
					}
					b.merge(o)
				default:
					break merge
				}
			}
			if async != nil && len(b.recs) > 0 {
				b.wait = async.AppendAsync(ctx, b.recs)
				finish()
				inFlight = b
				continue
			}
			finish()
			inFlight = b
			finish()
		}
	}()

	newBatch := func() *batch {
		return &batch{recs: make([]*credo.Record, 0, size), rows: make([]pendingRow, 0, size), unres: make([]string, 0, size)}
	}
	b := newBatch()
	send := func() bool {
		b.bytes = r.Offset()
		select {
		case batches <- b:
		case <-ctx.Done():
			return false
		}
		b = newBatch()
		return true
	}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var rowErr *RowError
		if errors.As(err, &rowErr) {
			b.read++
			b.quar = append(b.quar, quarantine(&rowErr.Row, "", []string{"row: " + rowErr.Reason}))
			b.class = append(b.class, []string{"row: " + withoutNumbers(rowErr.Reason)})
		} else if err != nil {
			readErr = err
			break
		} else {
			b.read++
			res := m.Map(&row, prov)
			if res.Record == nil {
				reasons := make([]string, len(res.Problems))
				classes := make([]string, len(res.Problems))
				for i, p := range res.Problems {
					reasons[i], classes[i] = p.String(), p.Class()
				}
				b.quar = append(b.quar, quarantine(&row, res.SourceRecordID, reasons))
				b.class = append(b.class, classes)
			} else {
				b.recs = append(b.recs, res.Record)
				// The values are kept in case the ledger refuses the
				// record (a Reader does not reuse them).
				b.rows = append(b.rows, pendingRow{num: row.Num, srcID: res.SourceRecordID, names: row.Names, values: row.Values, raw: row.Raw})
				b.unres = append(b.unres, res.Unresolved)
			}
		}
		if len(b.recs)+len(b.quar) >= size {
			if !send() {
				break
			}
		}
	}
	if ctx.Err() == nil && b.read > 0 {
		send()
	}
	close(batches)
	storeErr = <-done
	if storeErr == nil && ctx.Err() != nil {
		storeErr = ctx.Err()
	}
	return readErr, storeErr
}

// write appends one batch and files what the ledger refused.
func (in *Ingester) write(ctx context.Context, qr *quarantiner, b *batch, rep *Report, qIDs, qSrc *idSet, maxEx int, outcome func(Outcome)) error {
	source := qr.source
	rep.Rows += b.read
	var release, releaseSrc []string
	var outs []Outcome
	if len(b.recs) > 0 {
		var res []credo.AppendResult
		var err error
		if b.wait != nil {
			res, err = b.wait()
		} else {
			res, err = in.Store.Append(ctx, b.recs)
		}
		if err != nil {
			return err
		}
		for i, r := range res {
			row := &b.rows[i]
			refused := func(reasons []string) *credo.QuarantinedRow {
				return qr.row(row.num, row.srcID, row.names, row.values, row.raw, reasons)
			}
			switch r.Status {
			case credo.Appended:
				rep.Appended++
				if u := b.unres[i]; u != "" {
					rep.Unresolved++
					rep.UnresolvedReasons[u]++
				}
				if outcome != nil {
					outs = append(outs, Outcome{Row: row.num, Status: "appended", ID: r.ID, Unresolved: b.unres[i]})
				}
			case credo.Duplicate:
				rep.Duplicates++
				if outcome != nil {
					outs = append(outs, Outcome{Row: row.num, Status: "duplicate", ID: r.ID})
				}
			case credo.Conflict:
				rep.Conflicts++
				b.quar = append(b.quar, refused([]string{fmt.Sprintf("conflict: record %s is already in the ledger with different content; send a correction that refers to it instead", r.ID)}))
				b.class = append(b.class, []string{"conflict with a record already in the ledger"})
				continue
			case credo.Rejected:
				q := refused([]string{"record: " + r.Err.Error()})
				b.quar = append(b.quar, q)
				b.class = append(b.class, q.Reasons)
				continue
			}
			if qIDs.len() > 0 {
				// The store releases only what it holds: a row the set
				// takes for quarantined by mistake costs a lookup.
				if id := credo.QuarantineID(source, qr.digest, row.num); qIDs.has(id) {
					release = append(release, id)
				}
			}
			if qSrc.has(row.srcID) {
				releaseSrc = append(releaseSrc, row.srcID)
			}
		}
	}
	if len(b.quar) > 0 {
		if err := in.Store.PutQuarantined(ctx, b.quar); err != nil {
			return err
		}
		for i, q := range b.quar {
			rep.Quarantined++
			for _, c := range b.class[i] {
				rep.Reasons[c]++
			}
			if len(rep.Examples) < maxEx {
				rep.Examples = append(rep.Examples, Example{Row: q.Row, ID: q.ID, Reasons: q.Reasons})
			}
			if outcome != nil {
				outs = append(outs, Outcome{Row: q.Row, Status: "quarantined", ID: q.ID, Reasons: q.Reasons})
			}
		}
	}
	if outcome != nil {
		slices.SortFunc(outs, func(a, b Outcome) int { return cmp.Compare(a.Row, b.Row) })
		for _, o := range outs {
			outcome(o)
		}
	}
	if len(release)+len(releaseSrc) > 0 {
		n, err := in.Store.ReleaseQuarantined(ctx, source, release, releaseSrc)
		if err != nil {
			return err
		}
		rep.Released += int64(n)
	}
	return nil
}

// withoutNumbers replaces each run of digits in s with N, so that a reader's
// "7 fields where the header has 6" counts as one reason.
func withoutNumbers(s string) string {
	var b strings.Builder
	digits := false
	for _, r := range s {
		if r >= '0' && r <= '9' {
			if !digits {
				b.WriteByte('N')
			}
			digits = true
			continue
		}
		digits = false
		b.WriteRune(r)
	}
	return b.String()
}
