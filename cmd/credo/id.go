package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/credo-org/credo/ident"
)

func newIDCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "id",
		Short: "Validate resident identity numbers and unified social credit codes",
		Long: `The id commands work on the two identifiers credo ties records to: the
18-character resident identity number of GB 11643-1999 (persons) and the
18-character unified social credit code of GB 32100-2015 (organisations).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown command %q for %q; did you mean %q?",
					args[0], cmd.CommandPath(), cmd.CommandPath()+" check "+strings.Join(args, " "))
			}
			return cmd.Help()
		},
	}
	c.AddCommand(newIDCheckCmd(e))
	return c
}

func newIDCheckCmd(e *env) *cobra.Command {
	var kind string
	c := &cobra.Command{
		Use:   "check [ID...]",
		Short: "Check identifiers; with none given, read them one per line from stdin",
		Long: `Check validates each identifier and prints one line for it:

    <id> TAB valid TAB <kind>
    <id> TAB invalid TAB <kind> TAB <reason>

where kind is person, organization or unknown (for an invalid identifier, the
scheme it was judged under). Spaces and hyphens inside an identifier are
ignored and letters may be in either case. With no identifiers as arguments,
check reads them from standard input, one per line; surrounding white space
is trimmed and blank lines are skipped.

The exit status is 0 when every identifier is valid and 1 otherwise.`,
		Example: `  credo id check 11010519491231002X 91350100M000100Y43
  credo id check --json 110105-19491231-002x
  cut -d, -f3 people.csv | credo id check --kind person`,
		RunE: func(cmd *cobra.Command, args []string) error {
			check, err := idChecker(kind, time.Now())
			if err != nil {
				return err
			}
			return runIDCheck(cmd.Context(), e, check, args)
		},
	}
	c.Flags().StringVar(&kind, "kind", "auto", "scheme to check against: auto, person or organization")
	return addJSON(c, e)
}

// idChecker returns the check for --kind, as of now.
func idChecker(kind string, now time.Time) (func(string) ident.Result, error) {
	switch kind {
	case "auto", "":
		return func(s string) ident.Result { return ident.CheckAt(s, now) }, nil
	case "person":
		return func(s string) ident.Result { return ident.CheckPersonAt(s, now) }, nil
	case "organization", "organisation", "org":
		return ident.CheckOrganization, nil
	}
	return nil, fmt.Errorf("--kind %q: must be auto, person or organization", kind)
}

// idReport is one identifier's entry in the --json report.
type idReport struct {
	ID    string `json:"id"`
	Valid bool   `json:"valid"`
	Kind  string `json:"kind"`
	// Reason is the human-readable reason, empty when valid; Code is its
	// stable machine-readable name (see docs/identifiers.md).
	Reason   string `json:"reason"`
	Code     string `json:"code,omitempty"`
	Position int    `json:"position,omitempty"`
	// Normalized is the canonical form of a valid identifier.
	Normalized string `json:"normalized,omitempty"`
	// Line is the line of standard input the identifier came from.
	Line int `json:"line,omitempty"`
}

func runIDCheck(ctx context.Context, e *env, check func(string) ident.Result, args []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the reader goroutine, whatever way we leave
	w := bufio.NewWriter(e.stdout)
	var reports []idReport
	if e.json {
		reports = []idReport{} // an empty input gives [], not null
	}
	invalid := 0
	report := func(id string, line int) error {
		r := check(id)
		if !r.Valid() {
			invalid++
		}
		if e.json {
			reports = append(reports, newIDReport(id, r, line))
			return nil
		}
		_, err := io.WriteString(w, idLine(id, r))
		return err
	}

	if len(args) > 0 {
		for _, id := range args {
			if err := report(id, 0); err != nil {
				return err
			}
		}
	} else {
		if f, ok := e.stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				fmt.Fprintln(e.stderr, "reading identifiers from standard input, one per line (end with Ctrl-D)")
			}
		}
		lines := readLines(ctx, e.stdin)
		for {
			var l line
			select {
			case <-ctx.Done():
				w.Flush()
				return ctx.Err()
			case l = <-lines:
			}
			if l.err != nil {
				w.Flush()
				return fmt.Errorf("reading standard input: line %d: %w", l.n, l.err)
			}
			if l.eof {
				break
			}
			if err := report(l.text, l.n); err != nil {
				return err
			}
			// Keep an interactive user up to date; batch when piped.
			if len(lines) == 0 {
				if err := w.Flush(); err != nil {
					return err
				}
			}
		}
	}

	if e.json {
		if err := writeJSON(w, reports); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if invalid > 0 {
		return exitError{code: 1}
	}
	return nil
}

func newIDReport(id string, r ident.Result, line int) idReport {
	rep := idReport{ID: id, Valid: r.Valid(), Kind: r.Kind.String(), Line: line}
	if r.Valid() {
		rep.Normalized = ident.Normalize(id)
	} else {
		rep.Reason = reasonText(id, r)
		rep.Code = r.Reason.Code()
		rep.Position = r.Pos
	}
	return rep
}

// idLine is the text report of one identifier.
func idLine(id string, r ident.Result) string {
	if r.Valid() {
		return displayID(id) + "\tvalid\t" + r.Kind.String() + "\n"
	}
	return displayID(id) + "\tinvalid\t" + r.Kind.String() + "\t" + reasonText(id, r) + "\n"
}

// reasonText is the reason for r, naming the offending character.
func reasonText(id string, r ident.Result) string {
	if r.Reason == ident.Character && r.Pos > 0 {
		if c, ok := charAt(id, r.Pos); ok {
			return fmt.Sprintf("invalid character %s at position %d", c, r.Pos)
		}
	}
	return r.String()
}

// charAt quotes the pos-th character (1-based) of id once spaces and hyphens
// are removed, counting as ident does: a byte that is not UTF-8 is one
// character.
func charAt(id string, pos int) (string, bool) {
	n := 0
	for i, c := range id {
		if c == ' ' || c == '-' {
			continue
		}
		n++
		if n == pos {
			if c == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(id[i:]); size == 1 {
					return fmt.Sprintf(`'\x%02x'`, id[i]), true
				}
			}
			return strconv.QuoteRune(c), true
		}
	}
	return "", false
}

// maxDisplay is how many bytes of an identifier a text report shows; no
// valid identifier comes near it.
const maxDisplay = 64

// displayID is id as the text report shows it: as given, unless it is empty,
// too long, or holds characters that would break the line (tabs, control
// characters, bytes that are not UTF-8), in which case it is quoted, and cut
// short if need be.
func displayID(id string) string {
	cut := false
	if len(id) > maxDisplay {
		n := maxDisplay
		for n > 0 && !utf8.RuneStart(id[n]) {
			n--
		}
		id, cut = id[:n], true
	}
	plain := id != "" && utf8.ValidString(id) && !strings.HasPrefix(id, `"`)
	for _, c := range id {
		if !unicode.IsGraphic(c) || c == '\t' {
			plain = false
			break
		}
	}
	if !plain {
		id = strconv.Quote(id)
	}
	if cut {
		id += "…"
	}
	return id
}

// line is one line of standard input, or its end, or a read error.
type line struct {
	text string
	n    int
	eof  bool
	err  error
}

// readLines reads r line by line in a goroutine, so that the command can
// stop on ctx (Ctrl-C) even while a read blocks. Lines are trimmed of
// surrounding white space; blank lines are skipped; a byte-order mark at the
// start is dropped. Lines may be of any length.
func readLines(ctx context.Context, r io.Reader) <-chan line {
	out := make(chan line, 256)
	go func() {
		send := func(l line) bool {
			select {
			case out <- l:
				return true
			case <-ctx.Done():
				return false
			}
		}
		br := bufio.NewReaderSize(r, 64<<10)
		for n := 1; ; n++ {
			text, err := br.ReadString('\n')
			if n == 1 {
				text = strings.TrimPrefix(text, "\ufeff")
			}
			if t := strings.TrimSpace(text); t != "" {
				if !send(line{text: t, n: n}) {
					return
				}
			}
			if err == io.EOF {
				send(line{eof: true})
				return
			}
			if err != nil {
				send(line{n: n, err: err})
				return
			}
		}
	}()
	return out
}
