package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credo-org/credo"
	"github.com/credo-org/credo/policies"
	"github.com/credo-org/credo/synth"
)

// packCopy writes a shipped pack to dir, edited by the replacements
// old, new, … (each must apply).
func packCopy(t *testing.T, dir, pack, file string, repl ...string) string {
	t.Helper()
	_, data, err := policies.Read(pack)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i < len(repl); i += 2 {
		if !strings.Contains(s, repl[i]) {
			t.Fatalf("%s has no %q", pack, repl[i])
		}
		s = strings.Replace(s, repl[i], repl[i+1], 1)
	}
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPolicyCheck(t *testing.T) {
	out, errOut, status := runCLI(t, "policy", "check", "rongcheng", "national", "enterprise", "xiamen")
	if status != 0 || strings.Count(out, "ok ") != 4 {
		t.Fatalf("check of the shipped packs: %d %s\n%s", status, errOut, out)
	}
	bad := filepath.Join("..", "..", "policy", "testdata", "bad.yaml")
	out, _, status = runCLI(t, "policy", "check", "xiamen", bad)
	if status != 1 {
		t.Fatalf("check of bad.yaml: status %d, want 1\n%s", status, out)
	}
	for _, want := range []string{bad + ":7:3: missing score base", bad + ":25:17: CEL: undefined field 'amount'", "ok xiamen"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	out, _, status = runCLI(t, "policy", "check", "--json", bad, "rongcheng", "no-such-file.yaml")
	var reps []checkReport
	if err := json.Unmarshal([]byte(out), &reps); err != nil || status != 1 || len(reps) != 3 {
		t.Fatalf("check --json: %v %d\n%s", err, status, out)
	}
	if reps[0].OK || len(reps[0].Diagnostics) < 10 || reps[0].Diagnostics[0].Line != 7 || reps[0].Diagnostics[0].Column != 3 {
		t.Errorf("bad.yaml: %+v", reps[0])
	}
	if !reps[1].OK || reps[1].Jurisdiction != "rongcheng" || reps[1].Version != "2024.1" || len(reps[1].Diagnostics) != 0 {
		t.Errorf("rongcheng: %+v", reps[1])
	}
	if reps[2].OK || len(reps[2].Diagnostics) != 1 {
		t.Errorf("a missing file: %+v", reps[2])
	}
}

func TestPolicyTest(t *testing.T) {
	out, errOut, status := runCLI(t, "policy", "test", "rongcheng", "national", "enterprise", "xiamen")
	if status != 0 || strings.Contains(out, "FAIL") || !strings.Contains(out, "PASS xiamen: everyone starts at 600, fair") {
		t.Fatalf("test of the shipped packs: %d %s\n%s", status, errOut, out)
	}
	dir := t.TempDir()
	wrong := packCopy(t, dir, "xiamen", "wrong.yaml", "score: 600\n      grade: fair", "score: 601\n      grade: fair")
	out, _, status = runCLI(t, "policy", "test", wrong)
	if status != 1 || !strings.Contains(out, "FAIL "+wrong+":115: everyone starts at 600, fair") || !strings.Contains(out, "score: got 600, want 601") || !strings.Contains(out, "1 failed") {
		t.Fatalf("a failing test: status %d\n%s", status, out)
	}
	out, _, status = runCLI(t, "policy", "test", "--json", wrong, "xiamen")
	var reps []testReport
	if err := json.Unmarshal([]byte(out), &reps); err != nil || status != 1 || len(reps) != 2 {
		t.Fatalf("test --json: %v %d\n%s", err, status, out)
	}
	if reps[0].Failed != 1 || reps[0].Passed != 4 || reps[0].Tests[0].Pass || reps[0].Tests[0].Line != 115 || len(reps[0].Tests[0].Failures) == 0 {
		t.Errorf("wrong.yaml: %+v", reps[0])
	}
	if reps[1].Failed != 0 || reps[1].Passed != 5 {
		t.Errorf("xiamen: %+v", reps[1])
	}
	// a policy that fails check runs no test, and fails
	out, _, status = runCLI(t, "policy", "test", "--json", filepath.Join("..", "..", "policy", "testdata", "bad.yaml"))
	if status != 1 || !strings.Contains(out, `"diagnostics"`) {
		t.Errorf("test of bad.yaml: %d\n%s", status, out)
	}
}

func TestPolicyPublishListDiff(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	out, errOut, status := runCLI(t, "policy", "publish", "xiamen", "--data", data)
	if status != 0 || !strings.Contains(out, "published xiamen@2024.1") {
		t.Fatalf("publish: %d %s\n%s", status, errOut, out)
	}
	out, _, status = runCLI(t, "policy", "publish", "xiamen", "--data", data)
	if status != 0 || !strings.Contains(out, "already published with this content") {
		t.Fatalf("publish again: %d\n%s", status, out)
	}
	// other content under the same version: refused, naming it
	edited := packCopy(t, dir, "xiamen", "edited.yaml", "{at: 200, points:", "{at: 150, points:")
	_, errOut, status = runCLI(t, "policy", "publish", edited, "--data", data)
	if status != 1 || !strings.Contains(errOut, "xiamen@2024.1 is already published with other content") {
		t.Fatalf("publish other content: %d %s", status, errOut)
	}
	// a policy that fails check is not published
	_, errOut, status = runCLI(t, "policy", "publish", filepath.Join("..", "..", "policy", "testdata", "bad.yaml"), "--data", data)
	if status != 1 || !strings.Contains(errOut, "nothing published") {
		t.Fatalf("publish bad.yaml: %d %s", status, errOut)
	}
	v2 := packCopy(t, dir, "xiamen", "v2.yaml", `version: "2024.1"`, `version: "2025.1"`, "{at: 200, points:", "{at: 150, points:")
	if _, errOut, status = runCLI(t, "policy", "publish", v2, "--data", data); status != 0 {
		t.Fatalf("publish v2: %s", errOut)
	}
	runCLI(t, "policy", "publish", "rongcheng", "--data", data)

	out, _, status = runCLI(t, "policy", "list", "--json", "--data", data)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || status != 0 || len(rows) != 3 {
		t.Fatalf("list --json: %v %d\n%s", err, status, out)
	}
	if rows[0]["jurisdiction"] != "rongcheng" || rows[1]["version"] != "2024.1" || rows[2]["version"] != "2025.1" || len(rows[2]["digest"].(string)) != 64 || rows[2]["published_at"] == "" {
		t.Errorf("list: %v", rows)
	}
	out, _, _ = runCLI(t, "policy", "list", "--data", data)
	if !strings.Contains(out, "JURISDICTION") || strings.Count(out, "xiamen") < 2 {
		t.Errorf("list:\n%s", out)
	}

	out, errOut, status = runCLI(t, "policy", "diff", "xiamen@2024.1", "xiamen@2025.1", "--data", data)
	if status != 0 || !strings.Contains(out, "~ policy version changed") {
		t.Fatalf("diff: %d %s\n%s", status, errOut, out)
	}
	added := packCopy(t, dir, "xiamen", "added.yaml", "\nrules:\n", "\nrules:\n  - {name: extra_rule, kind: charity.blood_donation, points: 1}\n")
	out, _, status = runCLI(t, "policy", "diff", "--json", "xiamen", added)
	var d struct{ Changes []policyChange }
	if err := json.Unmarshal([]byte(out), &d); err != nil || status != 0 {
		t.Fatalf("diff --json: %v %d\n%s", err, status, out)
	}
	if len(d.Changes) != 1 || d.Changes[0].Section != "rules" || d.Changes[0].Name != "extra_rule" || d.Changes[0].Change != "added" {
		t.Errorf("diff adding a rule: %+v", d.Changes)
	}
	out, _, _ = runCLI(t, "policy", "diff", "rongcheng", "rongcheng")
	if !strings.Contains(out, "do not differ") {
		t.Errorf("diff of a pack with itself:\n%s", out)
	}
}

// demoPerson loads a small clean city into a new data directory and
// returns it with the person who has the most records.
func demoPerson(t *testing.T, people int) (data, id string) {
	t.Helper()
	data = filepath.Join(t.TempDir(), "data")
	if _, errOut, status := runCLI(t, "demo", "--clean", "--people", fmt.Sprint(people), "--data", data); status != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	city, err := synth.New(synth.Config{Seed: 1, People: people})
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for ev := range city.Events() {
		if ev.Record.Subject.Kind == credo.Person {
			n[ev.Record.Subject.ID]++
			if n[ev.Record.Subject.ID] > n[id] {
				id = ev.Record.Subject.ID
			}
		}
	}
	return data, id
}

func TestSubjectShowStanding(t *testing.T) {
	data, id := demoPerson(t, 2000)
	out, errOut, status := runCLI(t, "subject", "show", id, "--json", "--data", data)
	var file struct {
		Records   []struct{ ID string }
		Standings []struct {
			Score         *float64
			Grade         string
			GradeReason   struct{ By, Band string } `json:"grade_reason"`
			Lists         []struct{ List string }
			Contributions []struct {
				Record string
				Rule   string
				Points *float64
			}
			PolicyVersion string `json:"policy_version"`
		}
	}
	if err := json.Unmarshal([]byte(out), &file); err != nil || status != 0 {
		t.Fatalf("subject show --json: %v %d %s\n%s", err, status, errOut, out)
	}
	var versions []string
	ids := map[string]bool{}
	for _, r := range file.Records {
		ids[r.ID] = true
	}
	contributions := 0
	for _, st := range file.Standings {
		versions = append(versions, st.PolicyVersion)
		if st.Score == nil || st.Grade == "" || st.GradeReason.By == "" || st.Lists == nil {
			t.Errorf("standing under %s: %+v", st.PolicyVersion, st)
		}
		for _, c := range st.Contributions {
			contributions++
			if !ids[c.Record] || c.Rule == "" || c.Points == nil {
				t.Errorf("contribution %+v names no record of the subject", c)
			}
		}
	}
	// a person: every shipped pack that scores persons
	if strings.Join(versions, " ") != "rongcheng_enterprise@2024.1 national@2024.1 rongcheng@2024.1 xiamen@2024.1" || contributions == 0 {
		t.Fatalf("standings under %v with %d contributions", versions, contributions)
	}

	// one policy: its standing's keys at the top
	out, _, status = runCLI(t, "subject", "show", id, "--json", "--policy", "rongcheng", "--data", data)
	var one map[string]any
	if err := json.Unmarshal([]byte(out), &one); err != nil || status != 0 {
		t.Fatalf("--policy rongcheng: %v %d", err, status)
	}
	for _, k := range []string{"score", "grade", "grade_reason", "lists", "contributions", "policy_version", "records", "standings"} {
		if _, ok := one[k]; !ok {
			t.Errorf("--policy rongcheng --json lacks %q", k)
		}
	}
	if one["policy_version"] != "rongcheng@2024.1" {
		t.Errorf("policy_version %v", one["policy_version"])
	}

	// before the city began: the base score, nothing contributes
	out, _, status = runCLI(t, "subject", "show", id, "--json", "--policy", "rongcheng", "--as-of", "2020-12-31", "--data", data)
	one = nil
	if err := json.Unmarshal([]byte(out), &one); err != nil || status != 0 || one["score"] != 1000.0 || len(one["contributions"].([]any)) != 0 || one["grade"] != "A" {
		t.Errorf("as of 2020-12-31: %v %d %v %v", err, status, one["score"], one["contributions"])
	}
	if _, errOut, status := runCLI(t, "subject", "show", id, "--as-of", "yesterday", "--data", data); status != 1 || !strings.Contains(errOut, "YYYY-MM-DD") {
		t.Errorf("--as-of yesterday: %d %s", status, errOut)
	}

	// text: the standing after the records
	out, _, status = runCLI(t, "subject", "show", id, "--data", data)
	if status != 0 || !strings.Contains(out, "standing under rongcheng@2024.1 as of") || !strings.Contains(out, "RULE") || strings.Index(out, "standing under") < strings.Index(out, "OCCURRED") {
		t.Errorf("subject show:\n%s", out)
	}

	// once a version is published, it is what scores
	v2 := packCopy(t, t.TempDir(), "xiamen", "v2.yaml", `version: "2024.1"`, `version: "2025.1"`)
	if _, errOut, status := runCLI(t, "policy", "publish", v2, "--data", data); status != 0 {
		t.Fatal(errOut)
	}
	out, _, _ = runCLI(t, "subject", "show", id, "--json", "--data", data)
	one = nil
	json.Unmarshal([]byte(out), &one)
	if one["policy_version"] != "xiamen@2025.1" {
		t.Errorf("after publishing xiamen@2025.1, the standing is under %v", one["policy_version"])
	}
	out, _, _ = runCLI(t, "subject", "show", id, "--json", "--policy", "xiamen@2025.1", "--policy", "national", "--data", data)
	file.Standings = nil
	json.Unmarshal([]byte(out), &file)
	if len(file.Standings) != 2 || file.Standings[0].PolicyVersion != "xiamen@2025.1" || file.Standings[1].PolicyVersion != "national@2024.1" {
		t.Errorf("--policy xiamen@2025.1 --policy national: %+v", file.Standings)
	}
}

func TestDemoGradeDistribution(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	out, errOut, status := runCLI(t, "demo", "--people", "1000", "--data", data)
	if status != 0 {
		t.Fatalf("demo: %d %s", status, errOut)
	}
	i := strings.Index(out, "standings today under the shipped packs")
	if i < 0 || i < strings.Index(out, "records in the ledger") {
		t.Fatalf("demo prints no grade distribution after the totals:\n%s", out)
	}
	for _, want := range []string{"rongcheng@2024.1", "national@2024.1", "xiamen@2024.1", "rongcheng_enterprise@2024.1", "lists", "spending_restricted"} {
		if !strings.Contains(out[i:], want) {
			t.Errorf("grade distribution lacks %q:\n%s", want, out[i:])
		}
	}
	out, _, status = runCLI(t, "demo", "--people", "1000", "--json", "--data", data)
	var rep struct {
		Subjects  int64
		Standings []gradeDistribution
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || status != 0 || len(rep.Standings) != 4 {
		t.Fatalf("demo --json: %v %d\n%s", err, status, out)
	}
	for _, d := range rep.Standings {
		var n int64
		for _, c := range d.Grades {
			n += c
		}
		if d.Subjects == 0 || n != d.Subjects || d.Subjects > rep.Subjects {
			t.Errorf("%s: %d subjects, %d graded, %d in the ledger", d.PolicyVersion, d.Subjects, n, rep.Subjects)
		}
	}
}

func TestPolicyImpact(t *testing.T) {
	data, _ := demoPerson(t, 1000)
	dir := t.TempDir()
	v2 := packCopy(t, dir, "xiamen", "v2.yaml", `version: "2024.1"`, `version: "2025.1"`, "{at: 20, points: 10}", "{at: 5, points: 10}")
	if _, errOut, status := runCLI(t, "policy", "impact", v2, "--data", data); status != 1 || !strings.Contains(errOut, "no version of xiamen is published") {
		t.Fatalf("impact with nothing published: %d %s", status, errOut)
	}
	runCLI(t, "policy", "publish", "xiamen", "--data", data)
	out, errOut, status := runCLI(t, "policy", "impact", "--json", v2, "--data", data)
	var rep struct {
		From, To               string
		Subjects, ScoreChanged int
		Examples               []impactChange
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || status != 0 {
		t.Fatalf("impact --json: %v %d %s\n%s", err, status, errOut, out)
	}
	if rep.From != "xiamen@2024.1" || rep.To != "xiamen@2025.1" || rep.Subjects == 0 || len(rep.Examples) == 0 {
		t.Errorf("impact: %+v", rep)
	}
	out, _, _ = runCLI(t, "policy", "impact", "xiamen", "--data", data)
	if !strings.Contains(out, "0 change score, 0 change grade, 0 change list membership") {
		t.Errorf("impact of the published version itself:\n%s", out)
	}
}
