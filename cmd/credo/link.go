package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo/resolve"
)

type linkFlags struct {
	spec    string
	out     string
	pairs   string
	skipBad bool
}

func newLinkCmd(e *env) *cobra.Command {
	var f linkFlags
	c := &cobra.Command{
		Use:   "link --spec SPEC.yaml FILE [FILE2] --out OUT.csv",
		Short: "Find the records that are the same entity: deduplicate one CSV file, or link two",
		Long: `link is credo's record-linkage engine standing alone (Fellegi–Sunter, with m
and u fitted without labels, term-frequency adjustment, blocking and a
clustering guard). With one file it finds the records of that file that
are the same entity; with two, the records of the second that are the same
entity as a record of the first.

The spec names the id column, the columns to compare and how, the blocking
rules and, optionally, the thresholds (see docs/link.md). CSV values are
trimmed. OUT.csv has one row per input record:

  file     1 or 2 (only when two files are linked)
  id       the record's id
  cluster  records with the same cluster are the same entity
  weight   the record's best match weight (empty when compared with no one)
  match    the id of that best match
  status   linked, review or unlinked

--pairs writes the linked and review pairs with the weight of each field,
the explanation of every link. A summary (records, pairs compared, links,
review, time per stage, peak memory) goes to standard error, or as JSON to
standard output with --json.

Rows with too few or too many columns, empty ids and ids repeated in a file
are errors, each reported with its row; --skip-bad leaves such rows out and
goes on.`,
		Example: `  credo link --spec testdata/febrl/febrl.yaml testdata/febrl/dataset4a.csv testdata/febrl/dataset4b.csv --out /tmp/out.csv
  credo link --spec people.yaml people.csv --out clusters.csv --pairs pairs.csv --json`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLink(cmd.Context(), e, f, args)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.spec, "spec", "", "the linkage spec (YAML)")
	fl.StringVar(&f.out, "out", "", "the output CSV: one row per record")
	fl.StringVar(&f.pairs, "pairs", "", "also write the linked and review pairs, explained, to this CSV")
	fl.BoolVar(&f.skipBad, "skip-bad", false, "leave out bad rows (reported) instead of failing")
	_ = c.MarkFlagRequired("spec")
	_ = c.MarkFlagRequired("out")
	return addJSON(c, e)
}

// linkFile is one input file read.
type linkFile struct {
	Path     string `json:"path"`
	Records  int    `json:"records"`
	Rejected int    `json:"rejected_rows"`
	ids      []string
}

type linkRule struct {
	Rule  string `json:"rule"`
	Pairs int64  `json:"pairs"`
}

type linkSummary struct {
	Files          []*linkFile        `json:"files"`
	Records        int                `json:"records"`
	PairsCompared  int64              `json:"pairs_compared"`
	Rules          []linkRule         `json:"blocking"`
	SkippedBlocks  int                `json:"skipped_blocks"`
	SkippedRecords int                `json:"skipped_block_records"`
	RandomPairs    int                `json:"random_pairs"`
	Links          int                `json:"links"`
	RecordsLinked  int                `json:"records_linked"`
	Clusters       int                `json:"clusters_of_several"`
	Review         int                `json:"review_pairs"`
	Refused        int                `json:"refused_by_cluster_guard"`
	Thresholds     resolve.Thresholds `json:"thresholds"`
	Stages         []resolve.Stage    `json:"stages"`
	Seconds        float64            `json:"seconds"`
	PeakMemoryMB   float64            `json:"peak_memory_mb"`
	Problems       []string           `json:"problems,omitempty"`
	Out            string             `json:"out"`
	Model          *resolve.Model     `json:"model,omitempty"`
}

// maxReported is how many bad rows are listed before "and N more".
const maxReported = 20

func runLink(ctx context.Context, e *env, f linkFlags, args []string) error {
	start := time.Now()
	data, err := os.ReadFile(f.spec)
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	spec, err := resolve.ParseSpec(data)
	if err != nil {
		return fmt.Errorf("link: %s: %w", f.spec, err)
	}
	cfg, err := spec.Config()
	if err != nil {
		return fmt.Errorf("link: %s: %w", f.spec, err)
	}
	l, err := resolve.New(cfg)
	if err != nil {
		return fmt.Errorf("link: %s: %w", f.spec, err)
	}
	// Check every file's header before reading any row.
	readers := make([]*linkReader, len(args))
	for i, path := range args {
		r, err := openLinkReader(path, spec.Columns())
		if err != nil {
			return fmt.Errorf("link: %w", err)
		}
		defer r.close()
		readers[i] = r
	}
	sum := &linkSummary{Out: f.out}
	stage := func(name string, t0 time.Time) {
		d := time.Since(t0)
		sum.Stages = append(sum.Stages, resolve.Stage{Name: name, Duration: d, Seconds: math.Round(d.Seconds()*1000) / 1000})
	}
	t0 := time.Now()
	var problems []string
	for src, r := range readers {
		lf := &linkFile{Path: r.path}
		sum.Files = append(sum.Files, lf)
		seen := map[string]int{}
		vals := make([]string, len(cfg.Fields))
		for {
			row, line, err := r.next()
			if err == io.EOF {
				break
			}
			bad := func(format string, a ...any) {
				lf.Rejected++
				problems = append(problems, fmt.Sprintf("%s:%d: %s", r.path, line, fmt.Sprintf(format, a...)))
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad("%v", pe.Err)
				if len(problems) > 10*maxReported && !f.skipBad {
					break // enough to say the file is not what the spec expects
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("link: %w", err)
			}
			if len(row) != len(r.header) {
				bad("%d columns, the header has %d", len(row), len(r.header))
				continue
			}
			id := strings.TrimSpace(row[r.cols[0]])
			if id == "" {
				bad("column %q: empty id", spec.ID)
				continue
			}
			if first, dup := seen[id]; dup {
				bad("column %q: id %q already on line %d", spec.ID, id, first)
				continue
			}
			seen[id] = line
			for k := range vals {
				vals[k] = strings.TrimSpace(row[r.cols[k+1]])
			}
			if _, err := l.Add(src, vals); err != nil {
				return fmt.Errorf("link: %s:%d: %w", r.path, line, err)
			}
			lf.ids = append(lf.ids, id)
			lf.Records++
		}
		sum.Records += lf.Records
	}
	stage("read", t0)
	if len(problems) > 0 {
		shown := problems
		if len(shown) > maxReported {
			shown = append(shown[:maxReported:maxReported], fmt.Sprintf("… and %d more", len(problems)-maxReported))
		}
		if !f.skipBad {
			return exitError{code: 1, msg: fmt.Sprintf("link: %d bad rows (--skip-bad leaves them out):\n  %s", len(problems), strings.Join(shown, "\n  "))}
		}
		sum.Problems = shown
		for _, p := range shown {
			fmt.Fprintln(e.stderr, "credo: link: skipped", p)
		}
	}

	res, err := l.Run(ctx)
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	sum.Stages = append(sum.Stages, res.Stages...)

	t0 = time.Now()
	two := len(readers) == 2
	// Record k of the linker is record k of file 1, then of file 2.
	where := func(k int) (file int, id string) {
		if k < len(sum.Files[0].ids) {
			return 1, sum.Files[0].ids[k]
		}
		return 2, sum.Files[1].ids[k-len(sum.Files[0].ids)]
	}
	if err := writeLinkOut(f.out, two, res, where); err != nil {
		return fmt.Errorf("link: %w", err)
	}
	if f.pairs != "" {
		if err := writeLinkPairs(f.pairs, two, res, where); err != nil {
			return fmt.Errorf("link: %w", err)
		}
	}
	stage("write", t0)

	sum.PairsCompared = res.Pairs
	for r, rule := range l.Blocking() {
		sum.Rules = append(sum.Rules, linkRule{Rule: strings.Join(rule, " & "), Pairs: res.RulePairs[r]})
	}
	sum.SkippedBlocks, sum.SkippedRecords = res.SkippedBlocks, res.SkippedRecords
	sum.RandomPairs = res.RandomPairs
	sum.Links, sum.RecordsLinked, sum.Clusters = len(res.Links), res.Linked, res.Clusters
	sum.Review, sum.Refused = len(res.Reviews), res.Refused
	sum.Thresholds = res.Thresholds
	sum.Seconds = math.Round(time.Since(start).Seconds()*1000) / 1000
	sum.PeakMemoryMB = math.Round(float64(resolve.PeakRSS())/(1<<20)*10) / 10
	if e.json {
		sum.Model = &res.Model
		return writeJSON(e.stdout, sum)
	}
	printLinkSummary(e.stderr, sum)
	return nil
}

func printLinkSummary(w io.Writer, s *linkSummary) {
	for _, f := range s.Files {
		fmt.Fprintf(w, "%-28s %d records", f.Path, f.Records)
		if f.Rejected > 0 {
			fmt.Fprintf(w, ", %d bad rows left out", f.Rejected)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "pairs compared   %d (of %s possible)\n", s.PairsCompared, possible(s))
	for _, r := range s.Rules {
		fmt.Fprintf(w, "  block %-22s %d\n", r.Rule, r.Pairs)
	}
	if s.SkippedBlocks > 0 {
		fmt.Fprintf(w, "  %d blocks larger than max_block skipped (%d records)\n", s.SkippedBlocks, s.SkippedRecords)
	}
	fmt.Fprintf(w, "thresholds       link ≥ %.2f, review ≥ %.2f\n", s.Thresholds.Link, s.Thresholds.Review)
	fmt.Fprintf(w, "links            %d pairs; %d records linked in %d clusters\n", s.Links, s.RecordsLinked, s.Clusters)
	fmt.Fprintf(w, "review           %d pairs (%d refused by the cluster guard)\n", s.Review, s.Refused)
	fmt.Fprint(w, "time            ")
	for _, st := range s.Stages {
		fmt.Fprintf(w, " %s %.2fs", st.Name, st.Seconds)
	}
	fmt.Fprintf(w, "; total %.2fs\n", s.Seconds)
	fmt.Fprintf(w, "peak memory      %.1f MB\n", s.PeakMemoryMB)
	fmt.Fprintf(w, "wrote            %s\n", s.Out)
}

func possible(s *linkSummary) string {
	var n float64
	if len(s.Files) == 2 {
		n = float64(s.Files[0].Records) * float64(s.Files[1].Records)
	} else {
		n = float64(s.Records) * float64(s.Records-1) / 2
	}
	return strconv.FormatFloat(n, 'f', 0, 64)
}

func writeLinkOut(path string, two bool, res *resolve.Result, where func(int) (int, string)) error {
	return writeCSVFile(path, func(w *csv.Writer) error {
		head := []string{"id", "cluster", "weight", "match", "status"}
		if two {
			head = append([]string{"file"}, head...)
		}
		if err := w.Write(head); err != nil {
			return err
		}
		row := make([]string, 0, len(head))
		for k := range res.Records {
			file, id := where(k)
			row = row[:0]
			if two {
				row = append(row, strconv.Itoa(file))
			}
			weight, match := "", ""
			if b := res.BestWith[k]; b >= 0 {
				weight = strconv.FormatFloat(float64(res.Best[k]), 'f', 3, 32)
				_, match = where(int(b))
			}
			row = append(row, id, strconv.FormatUint(uint64(res.Cluster[k]), 10), weight, match, res.Status[k].String())
			if err := w.Write(row); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeLinkPairs writes each link and review pair with its explanation:
// the level and weight of every field.
func writeLinkPairs(path string, two bool, res *resolve.Result, where func(int) (int, string)) error {
	return writeCSVFile(path, func(w *csv.Writer) error {
		head := []string{"id_a", "id_b", "weight", "decision"}
		if two {
			head = []string{"file_a", "id_a", "file_b", "id_b", "weight", "decision"}
		}
		ex := res.Explain(0, 0)
		for _, fw := range ex.Fields {
			head = append(head, fw.Field)
		}
		if err := w.Write(head); err != nil {
			return err
		}
		emit := func(p resolve.Pair, decision string) error {
			fa, ia := where(int(p.A))
			fb, ib := where(int(p.B))
			var row []string
			if two {
				row = []string{strconv.Itoa(fa), ia, strconv.Itoa(fb), ib}
			} else {
				row = []string{ia, ib}
			}
			e := res.Explain(int(p.A), int(p.B))
			row = append(row, strconv.FormatFloat(e.Weight, 'f', 3, 64), decision)
			for _, fw := range e.Fields {
				cell := fmt.Sprintf("%s (%+.2f)", fw.Level, fw.Weight)
				if fw.TF != 0 {
					cell = fmt.Sprintf("%s (%+.2f, value %+.2f)", fw.Level, fw.Weight, fw.TF)
				}
				row = append(row, cell)
			}
			return w.Write(row)
		}
		for _, p := range res.Links {
			if err := emit(p, "link"); err != nil {
				return err
			}
		}
		for _, p := range res.Reviews {
			if err := emit(p, "review"); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeCSVFile writes a CSV file through a temporary file renamed into
// place, so that a failed run leaves no half-written output.
func writeCSVFile(path string, fill func(*csv.Writer) error) error {
	tmp := path + ".tmp"
	fh, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(fh, 1<<16)
	w := csv.NewWriter(bw)
	err = fill(w)
	if err == nil {
		w.Flush()
		err = w.Error()
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// linkReader reads the rows of one CSV file.
type linkReader struct {
	path   string
	fh     *os.File
	r      *csv.Reader
	header []string
	cols   []int // the column of the id, then of each field
	empty  bool
}

// openLinkReader opens a CSV file and checks that its header has every
// column the spec reads. An empty file has no rows and no header to check.
func openLinkReader(path string, want []string) (*linkReader, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(fh, 1<<16)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	lr := &linkReader{path: path, fh: fh, r: r}
	head, err := r.Read()
	if err == io.EOF {
		lr.empty = true
		return lr, nil
	}
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	lr.header = make([]string, len(head))
	at := map[string]int{}
	for i, h := range head {
		h = strings.TrimSpace(h)
		lr.header[i] = h
		if _, dup := at[h]; !dup {
			at[h] = i
		}
	}
	var missing []string
	for _, c := range want {
		i, ok := at[c]
		if !ok {
			missing = append(missing, strconv.Quote(c))
		}
		lr.cols = append(lr.cols, i)
	}
	if len(missing) > 0 {
		fh.Close()
		return nil, fmt.Errorf("%s: no column %s in the header (it has %s)", path, strings.Join(missing, ", "), strings.Join(lr.header, ", "))
	}
	return lr, nil
}

// next returns the next row and its line; io.EOF at the end.
func (lr *linkReader) next() ([]string, int, error) {
	if lr.empty {
		return nil, 0, io.EOF
	}
	for {
		row, err := lr.r.Read()
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, pe.StartLine, err
			}
			return nil, 0, fmt.Errorf("%s: %w", lr.path, err)
		}
		line, _ := lr.r.FieldPos(0) // only after a good read: it panics otherwise
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue // a blank line
		}
		return row, line, nil
	}
}

func (lr *linkReader) close() { lr.fh.Close() }
