package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/decide"
	"github.com/credo-org/credo/pebble"
	"github.com/credo-org/credo/policy"
	"github.com/credo-org/credo/server"
)

// demoTable loads the decision table from the ledger and tallies the
// grade distribution of each policy from the same standings.
func demoTable(ctx context.Context, s *pebble.Store, prgs []*policy.Program) (*decide.Table, []*gradeDistribution, error) {
	table, err := decide.New(prgs)
	if err != nil {
		return nil, nil, err
	}
	dists := make([]*gradeDistribution, len(prgs))
	byJ := map[string]*gradeDistribution{}
	for i, p := range prgs {
		d := &gradeDistribution{Jurisdiction: p.Jurisdiction, PolicyVersion: p.VersionID(), Grades: map[string]int64{}, Lists: map[string]int64{}}
		for _, b := range p.Policy().Grades {
			d.order = append(d.order, b.Grade)
		}
		dists[i], byJ[p.Jurisdiction] = d, d
	}
	tally := func(yield func(*credo.Standing, error) bool) {
		for st, err := range decide.FromLedger(ctx, s, prgs, time.Now()) {
			if err == nil {
				if d := byJ[st.Jurisdiction]; d != nil {
					d.Subjects++
					d.Grades[st.Grade]++
					if !slices.Contains(d.order, st.Grade) {
						d.order = append(d.order, st.Grade)
					}
					for _, m := range st.Lists {
						d.Lists[m.List]++
					}
				}
			}
			if !yield(st, err) {
				return
			}
		}
	}
	if err := table.Load(ctx, tally, 0); err != nil {
		return nil, nil, err
	}
	return table, dists, nil
}

// demoConsumers are the demo's consuming services, one per family of
// measures; each gets the actions of its family that some policy covers.
var demoConsumers = []struct {
	name    string
	actions []string
}{
	{"demo-airline", []string{"flight.book", "rail.g_train", "rail.soft_sleeper", "rail.first_class", "travel.holiday"}},
	{"demo-hotel", []string{"hotel.star"}},
	{"demo-bank", []string{"loan.apply"}},
	{"demo-landlord", []string{"rental.deposit"}},
	{"demo-school", []string{"school.private_enroll"}},
	{"demo-employer", []string{"employment.screening", "civil_service.hire", "company.officer_appoint"}},
	{"demo-hospital", []string{"hospital.priority"}},
	{"demo-utility", []string{"utility.heating", "metro.fare", "bike.deposit", "library.borrow"}},
	{"demo-platform", []string{"dating.boost"}},
	{"demo-procurement", []string{"procurement.bid", "bidding.tender", "subsidy.apply", "inspection.plan"}},
}

// demoServe registers the demo consumers (new keys each run), prints them
// with curl examples, and serves until ctx ends.
func demoServe(ctx context.Context, e *env, s *pebble.Store, table *decide.Table, prgs []*policy.Program, addr string) error {
	now := time.Now().UTC()
	type keyed struct{ name, key, actions string }
	var keys []keyed
	for _, dc := range demoConsumers {
		var actions []string
		for _, a := range dc.actions {
			if table.HasAction(a) {
				actions = append(actions, a)
			}
		}
		if len(actions) == 0 {
			continue
		}
		// registered anew, or re-keyed on a later run
		key, _, err := credo.RegisterKey(ctx, s, dc.name, credo.RoleConsumer, actions, credo.SubjectRef{}, true, nil, now)
		if err != nil {
			return err
		}
		keys = append(keys, keyed{dc.name, key, strings.Join(actions, ",")})
	}
	opKey, _, err := credo.RegisterKey(ctx, s, "demo-operator", credo.RoleOperator, nil, credo.SubjectRef{}, true, nil, now)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("demo: listen on %s: %w", addr, err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "\ndemo consumers (new keys each run; credo keeps only their hashes):\n")
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", k.name, k.key, k.actions)
	}
	fmt.Fprintf(w, "  demo-operator\t%s\t(operator: any action, any subject's actions, the consumer registry)\n", opKey)
	w.Flush()
	listed, clean, org := demoSubjects(ctx, s, table)
	air := keys[0].key
	fmt.Fprintf(e.stdout, "\ntry (a deny is HTTP 200 with \"decision\": false):\n")
	ex := func(key, body string) {
		fmt.Fprintf(e.stdout, "  curl -s %s/access/v1/evaluation -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d '%s'\n", base, key, body)
	}
	if listed != "" {
		ex(air, `{"subject": {"type": "person", "id": "`+listed+`"}, "action": {"name": "flight.book"}}`)
	}
	if clean != "" {
		ex(air, `{"subject": {"type": "person", "id": "`+clean+`"}, "action": {"name": "flight.book"}}`)
		fmt.Fprintf(e.stdout, "  curl -s %s/access/v1/evaluations -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d '{\"action\": {\"name\": \"rail.g_train\"}, \"evaluations\": [{\"subject\": {\"type\": \"person\", \"id\": \"%s\"}}, {\"subject\": {\"type\": \"person\", \"id\": \"%s\"}}]}'\n", base, air, clean, listed)
	}
	if org != "" {
		fmt.Fprintf(e.stdout, "  curl -s %s/v1/organizations/%s/check\n", base, org)
	}
	if listed != "" {
		fmt.Fprintf(e.stdout, "  curl -s %s/v1/subjects/person/%s/inquiries -H 'Authorization: Bearer %s'\n", base, listed, opKey)
		fmt.Fprintf(e.stdout, "  curl -s %s/v1/subjects/person/%s/notices/NOTICE -H 'Authorization: Bearer %s'   (NOTICE: the first answer's notice_id)\n", base, listed, opKey)
		fmt.Fprintf(e.stdout, "  credo subject inquiries %s --data %s   (after stopping the server)\n", listed, s.Dir())
	}
	// a consumer registered while serving (the CLI's consumer add waits for
	// the data directory); rotate, so that the example works on every run
	action, _, _ := strings.Cut(keys[0].actions, ",")
	fmt.Fprintf(e.stdout, "  curl -s -X POST %s/v1/consumers -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d '{\"name\": \"demo-travel-agency\", \"actions\": [\"%s\"], \"rotate\": true}'\n", base, opKey, action)
	fmt.Fprintf(e.stdout, "  curl -s %s/.well-known/authzen-configuration\n\nserving on %s until interrupted (Ctrl-C)\n", base, base)
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	head, err := s.Head(ctx)
	if err != nil {
		return err
	}
	return serveAll(ctx, logger, s, ln, table, prgs, head.Seq, 10*time.Second, server.DefaultMaxBodyBytes)
}

// demoSubjects picks, for the examples, a person on a list, a person on
// none and an organisation with records.
func demoSubjects(ctx context.Context, s *pebble.Store, table *decide.Table) (listed, clean, org string) {
	n := 0
	for r, err := range s.Scan(ctx, 0) {
		if err != nil || n > 200_000 || (listed != "" && clean != "" && org != "") {
			break
		}
		n++
		if !r.Subject.Resolved() {
			continue
		}
		if r.Subject.Kind == credo.Organization {
			if org == "" {
				org = r.Subject.ID
			}
			continue
		}
		sums, ok := table.Lookup(r.Subject)
		if !ok {
			continue
		}
		onList := false
		for _, sm := range sums {
			if slices.Contains(sm.Lists, "dishonest_debtor") {
				onList = true
			}
		}
		switch {
		case onList && listed == "":
			listed = r.Subject.ID
		case !onList && clean == "":
			clean = r.Subject.ID
		}
	}
	return listed, clean, org
}
