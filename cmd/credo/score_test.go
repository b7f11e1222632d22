package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/credo-org/credo/ident"
	"github.com/credo-org/credo/synth"
)

// TestScoreAndSubjectList: publishing stores every standing, credo score
// then has nothing to catch up, credo subject list selects by
// jurisdiction, grade and list, and credo subject show reads the stored
// standing with its history.
func TestScoreAndSubjectList(t *testing.T) {
	data, id := demoPerson(t, 1000)
	if _, errOut, status := runCLI(t, "score", "--data", data); status != 1 || !strings.Contains(errOut, "no policy published") {
		t.Fatalf("score with nothing published: %d %s", status, errOut)
	}
	out, errOut, status := runCLI(t, "policy", "publish", "rongcheng", "--data", data)
	if status != 0 || !strings.Contains(out, "rongcheng@2024.1  full") {
		t.Fatalf("publish: %d %s\n%s", status, errOut, out)
	}

	// the registry of legal representatives, as the city drew them
	city, err := synth.New(synth.Config{Seed: 1, People: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("uscc,legal_representative\n")
	for j := range city.Orgs() {
		o := city.Org(j)
		fmt.Fprintf(&csv, "%s,%s\n", o.USCC, city.Person(o.LegalRep).IDNumber)
	}
	reps := filepath.Join(t.TempDir(), "reps.csv")
	if err := os.WriteFile(reps, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, status := runCLI(t, "policy", "publish", "enterprise", "--data", data); status != 0 {
		t.Fatal(errOut)
	}
	out, errOut, status = runCLI(t, "score", "--json", "--legal-reps", reps, "--data", data)
	var results []struct {
		PolicyVersion string `json:"policy_version"`
		Full          bool
		Records       int
		Subjects      int
	}
	if err := json.Unmarshal([]byte(out), &results); err != nil || status != 0 || len(results) != 2 {
		t.Fatalf("score --json: %v %d %s\n%s", err, status, errOut, out)
	}
	for _, r := range results {
		if r.Full || r.Records != 0 {
			t.Errorf("score after publishing: %+v, want a catch-up with nothing to read", r)
		}
	}
	if _, errOut, status := runCLI(t, "score", "--policy", "fuzhou", "--data", data); status != 1 || !strings.Contains(errOut, "fuzhou") {
		t.Errorf("score --policy fuzhou: %d %s", status, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("91350100M000100Y43,110101199003074518\n"), 0o644)
	if _, errOut, status := runCLI(t, "score", "--legal-reps", bad, "--data", data); status != 1 || !strings.Contains(errOut, "row 1 field 2") {
		t.Errorf("score --legal-reps with a bad identity number: %d %s", status, errOut)
	}
	// --full: every subject again, the representatives' links included
	out, _, status = runCLI(t, "score", "--full", "--policy", "rongcheng_enterprise", "--data", data)
	if status != 0 || !strings.Contains(out, "rongcheng_enterprise@2024.1  full") {
		t.Fatalf("score --full:\n%s", out)
	}

	list := func(args ...string) []subjectList {
		t.Helper()
		out, errOut, status := runCLI(t, append([]string{"subject", "list", "--json", "--data", data}, args...)...)
		var rows []subjectList
		if err := json.Unmarshal([]byte(out), &rows); err != nil || status != 0 {
			t.Fatalf("subject list %v: %v %d %s", args, err, status, errOut)
		}
		return rows
	}
	all := list("--limit", "0")
	if len(all) < 1000 {
		t.Fatalf("subject list: %d standings", len(all))
	}
	for _, tc := range []struct {
		args  []string
		check func(r subjectList) bool
	}{
		{[]string{"--jurisdiction", "rongcheng", "--limit", "0"}, func(r subjectList) bool { return r.Jurisdiction == "rongcheng" }},
		{[]string{"--grade", "D", "--limit", "0"}, func(r subjectList) bool { return r.Grade == "D" }},
		{[]string{"--list", "serious_violation"}, func(r subjectList) bool { return strings.Contains(strings.Join(r.Lists, ","), "serious_violation") }},
		{[]string{"--list", "legal_rep_of_serious_violator"}, func(r subjectList) bool { return r.Subject.Kind.String() == "person" }},
	} {
		rows := list(tc.args...)
		if len(rows) == 0 {
			t.Errorf("subject list %v: nothing", tc.args)
		}
		for _, r := range rows {
			if !tc.check(r) {
				t.Errorf("subject list %v: %+v", tc.args, r)
			}
		}
	}
	if rows := list("--limit", "3"); len(rows) != 3 {
		t.Errorf("--limit 3: %d rows", len(rows))
	}
	out, _, _ = runCLI(t, "subject", "list", "--jurisdiction", "rongcheng", "--limit", "2", "--data", data)
	if !strings.Contains(out, "GRADE") || strings.Count(out, "rongcheng@2024.1") != 2 {
		t.Errorf("subject list:\n%s", out)
	}

	out, _, status = runCLI(t, "subject", "show", id, "--json", "--policy", "rongcheng", "--data", data)
	var one struct {
		Score         *float64
		Grade         string
		PolicyVersion string `json:"policy_version"`
		Stored        []string
		History       []struct {
			Score *float64
			Grade string
		}
		Contributions []struct {
			Record, Rule string
			Points       float64
		}
	}
	if err := json.Unmarshal([]byte(out), &one); err != nil || status != 0 {
		t.Fatalf("subject show --json: %v %d", err, status)
	}
	if one.Score == nil || one.PolicyVersion != "rongcheng@2024.1" || len(one.Stored) != 1 || len(one.History) != 1 || *one.History[0].Score != *one.Score {
		t.Errorf("subject show of a scored subject: %+v", one)
	}
	t.Logf("subject %s: score %v, %d contributions", id, *one.Score, len(one.Contributions))
	// A stored standing is shown with its explanation: the points add up.
	sum := 1000.0 // the rongcheng base
	for _, c := range one.Contributions {
		if c.Record == "" || c.Rule == "" {
			t.Errorf("contribution without record or rule: %+v", c)
		}
		sum += c.Points
	}
	if one.Score != nil && *one.Score != 1000 && len(one.Contributions) == 0 {
		t.Errorf("stored standing of score %g shown without contributions", *one.Score)
	} else if one.Score != nil && len(one.Contributions) > 0 && sum != *one.Score {
		t.Logf("contributions add to %g, score %g (caps and direct grading may differ)", sum, *one.Score)
	}
	out, _, _ = runCLI(t, "subject", "show", id, "--data", data)
	if !strings.Contains(out, "stored by credo score") || !strings.Contains(out, "score history:") {
		t.Errorf("subject show:\n%s", out)
	}
}

// TestIngestScores: once a policy is published, credo ingest brings the
// standings up to date itself.
func TestIngestScores(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if _, errOut, status := runCLI(t, "policy", "publish", "rongcheng", "--data", data); status != 0 {
		t.Fatal(errOut)
	}
	spec := filepath.Join(dir, "traffic.yaml")
	os.WriteFile(spec, []byte(cliSpec), 0o600)
	p := ident.NewPersonID(371082, 1985, 4, 12, 31)
	when := time.Now().AddDate(0, 0, -10).Format(time.DateOnly)
	file := filepath.Join(dir, "fines.csv")
	os.WriteFile(file, []byte("编号,身份证号,姓名,代码,时间,金额\nA1,"+p+",王伟,1625,"+when+",200\n"), 0o600)
	_, errOut, status := runCLI(t, "ingest", "--source", spec, file, "--data", data)
	if status != 0 || !strings.Contains(errOut, "standings brought up to date: rongcheng@2024.1 1") {
		t.Fatalf("ingest: %d %s", status, errOut)
	}
	out, _, _ := runCLI(t, "subject", "list", "--json", "--data", data)
	var rows []subjectList
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].Subject.ID != p || rows[0].Score != 980 {
		t.Fatalf("subject list after ingest: %v\n%s", err, out)
	}
}
