package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo/synth"
)

type synthFlags struct {
	seed     int64
	people   int
	orgs     int
	years    int
	start    string
	what     string
	truth    bool
	out      string
	agencies string
}

func newSynthCmd(e *env) *cobra.Command {
	var f synthFlags
	c := &cobra.Command{
		Use:   "synth",
		Short: "Generate a synthetic city: its people, organisations and records, as NDJSON",
		Long: `synth generates Rongcheng, a synthetic Chinese city, and writes one of its
streams as NDJSON (one JSON object a line):

  events  the records its agencies produce over the years, in order of
          occurrence, as credo records (the field names of the ledger's
          JSON); with --truth each carries "truth":{"subject":"person",
          "index":123}, the person or organisation it is really about
  people  its residents: identity number, name and pinyin, sex, birth date,
          phone, address, household registration, driving licence
  orgs    its organisations: social credit code, name, type, industry,
          legal representative (a person's index), registration

The city is a pure function of the flags: the same --seed and sizes give
the same bytes. Memory stays constant from a thousand people to ten million.`,
		Example: `  credo synth --people 100000 > events.ndjson
  credo synth --seed 7 --people 1000 --what people --out people.ndjson
  credo synth --people 10000000 --years 5 --truth --out - | gzip > city.ndjson.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSynth(cmd.Context(), e, f)
		},
	}
	fl := c.Flags()
	fl.Int64Var(&f.seed, "seed", 1, "random seed: the same seed makes the same city")
	fl.IntVar(&f.people, "people", 100_000, fmt.Sprintf("population, 1 to %d", synth.MaxPeople))
	fl.IntVar(&f.orgs, "orgs", 0, "organisations (0: one for every 20 people)")
	fl.IntVar(&f.years, "years", 5, fmt.Sprintf("years of events, 1 to %d", synth.MaxYears))
	fl.StringVar(&f.start, "start", synth.DefaultStart.Format(time.DateOnly), "first day of events (YYYY-MM-DD, China time)")
	fl.StringVar(&f.what, "what", "events", "what to write: events, people or orgs")
	fl.BoolVar(&f.truth, "truth", false, "add to each event the index of its true subject")
	fl.StringVar(&f.out, "out", "-", "output file, or - for standard output")
	fl.StringVar(&f.agencies, "agencies", "", "instead: write each agency's exports (files, source specs, truth) into this directory")
	return c
}

func runSynth(ctx context.Context, e *env, f synthFlags) error {
	start, err := time.ParseInLocation(time.DateOnly, f.start, synth.China)
	if err != nil {
		return fmt.Errorf("synth: --start %q: want a date as YYYY-MM-DD", f.start)
	}
	if f.years < 1 || f.years > synth.MaxYears {
		return fmt.Errorf("synth: --years %d out of range 1..%d", f.years, synth.MaxYears)
	}
	switch f.what {
	case "events", "people", "orgs":
	default:
		return fmt.Errorf("synth: --what %q: want events, people or orgs", f.what)
	}
	if f.truth && f.what != "events" {
		return fmt.Errorf("synth: --truth applies to --what events only")
	}
	city, err := synth.New(synth.Config{Seed: f.seed, People: f.people, Orgs: f.orgs, Start: start, End: start.AddDate(f.years, 0, 0)})
	if err != nil {
		return err
	}

	var w io.Writer = e.stdout
	var file *os.File
	if f.out != "-" {
		if file, err = os.Create(f.out); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		defer file.Close()
		w = file
	}

	// The generator keeps little alive and makes a steady stream of
	// short-lived strings: at the default pace the collector would run every
	// few megabytes. Tripling the allowance (unless $GOGC says otherwise)
	// costs tens of megabytes at ten million people and saves most of
	// that work.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(300))
	}

	began := time.Now()
	if f.agencies != "" {
		m, err := writeAgencies(ctx, e, city, f.agencies)
		if err != nil {
			return err
		}
		printManifest(e, m, time.Since(began))
		return nil
	}
	var n int64
	switch f.what {
	case "events":
		n, err = writeEvents(ctx, e, city, w, f.truth)
	case "people":
		n, err = writeLines(ctx, e, w, city.People(), "people", func(b []byte, i int) []byte {
			p := city.Person(i)
			return synth.AppendPersonJSON(b, &p)
		})
	case "orgs":
		n, err = writeLines(ctx, e, w, city.Orgs(), "organisations", func(b []byte, j int) []byte {
			o := city.Org(j)
			return synth.AppendOrgJSON(b, &o)
		})
	}
	if err != nil {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		secs := time.Since(began).Seconds()
		fmt.Fprintf(e.stdout, "synth: wrote %d %s to %s in %.1fs (%.0f/s)\n", n, f.what, f.out, secs, float64(n)/max(secs, 1e-9))
	}
	return nil
}

// outBuf collects NDJSON lines and writes them in large pieces.
type outBuf struct {
	w   io.Writer
	b   []byte
	err error
}

const flushAt = 1 << 20

func (o *outBuf) flush() error {
	if o.err == nil && len(o.b) > 0 {
		if _, err := o.w.Write(o.b); err != nil {
			o.err = fmt.Errorf("synth: write: %w", err)
		}
	}
	o.b = o.b[:0]
	return o.err
}

// writeLines writes n objects, one a line.
func writeLines(ctx context.Context, e *env, w io.Writer, n int, what string, appendOne func([]byte, int) []byte) (int64, error) {
	out := outBuf{w: w, b: make([]byte, 0, flushAt+64<<10)}
	bar := e.newProgress(int64(n), what)
	defer bar.Done()
	for i := range n {
		out.b = append(appendOne(out.b, i), '\n')
		if len(out.b) >= flushAt {
			if err := out.flush(); err != nil {
				return int64(i), err
			}
			if err := ctx.Err(); err != nil {
				return int64(i), err
			}
			bar.Set(int64(i))
		}
	}
	return int64(n), out.flush()
}

// batchSize is how many events travel together from the generator to the
// encoder.
const batchSize = 1024

// writeEvents runs the generator and the JSON encoder on two goroutines:
// the generator copies each event into a batch (a struct copy suffices:
// what an event points to is never overwritten) and hands full batches
// over; batches come back for reuse once written.
func writeEvents(ctx context.Context, e *env, city *synth.City, w io.Writer, truth bool) (int64, error) {
	full := make(chan []synth.Event, 4)
	free := make(chan []synth.Event, 4)
	for range cap(free) {
		free <- make([]synth.Event, 0, batchSize)
	}
	stop := make(chan struct{})
	genDone := make(chan struct{})
	go func() {
		defer close(genDone)
		defer close(full)
		batch := <-free
		for ev := range city.Events() {
			batch = append(batch, *ev)
			if len(batch) == batchSize {
				select {
				case full <- batch:
				case <-stop:
					return
				}
				select {
				case batch = <-free:
				case <-stop:
					return
				}
			}
		}
		if len(batch) > 0 {
			select {
			case full <- batch:
			case <-stop:
			}
		}
	}()
	defer func() {
		close(stop)
		<-genDone
	}()

	out := outBuf{w: w, b: make([]byte, 0, flushAt+64<<10)}
	bar := e.newProgress(-1, "events")
	defer bar.Done()
	var n int64
	for batch := range full {
		for k := range batch {
			out.b = synth.AppendEventJSON(out.b, &batch[k], truth)
			out.b = append(out.b, '\n')
		}
		n += int64(len(batch))
		clear(batch) // let the strings go
		free <- batch[:0]
		if len(out.b) >= flushAt {
			if err := out.flush(); err != nil {
				return n, err
			}
			if err := ctx.Err(); err != nil {
				return n, err
			}
			bar.Set(n)
		}
	}
	if err := ctx.Err(); err != nil {
		return n, err
	}
	return n, out.flush()
}

// writeAgencies writes the city's agency exports with progress.
func writeAgencies(ctx context.Context, e *env, city *synth.City, dir string) (*synth.Manifest, error) {
	bar := e.newProgress(-1, "writing exports")
	defer bar.Done()
	m, err := synth.WriteAgencies(ctx, city, dir, synth.AgencyOptions{Progress: func(n int64) { bar.Set(n) }})
	if err != nil {
		return nil, fmt.Errorf("synth --agencies: %w", err)
	}
	return m, nil
}

func printManifest(e *env, m *synth.Manifest, took time.Duration) {
	fmt.Fprintf(e.stdout, "wrote %d sources' exports (%d events in %d rows) to %s in %s\n", len(m.Sources), m.Events, m.Rows, m.Dir, took.Round(time.Millisecond))
	for _, s := range m.Sources {
		enc := s.Encoding
		if s.BOM {
			enc += "+BOM"
		}
		fmt.Fprintf(e.stdout, "  %-22s %-7s %-8s %2d files %8d rows (mistyped ids %d, missing ids %d, copies %d, broken %d)  spec %s\n",
			s.Source, s.Format, enc, len(s.Files), s.Rows, s.Mistyped, s.Missing, s.Duplicates+s.Resent, s.BrokenRows(), s.Spec)
	}
	fmt.Fprintf(e.stdout, "truth: %s; manifest: manifest.json\n", m.Truth)
}
