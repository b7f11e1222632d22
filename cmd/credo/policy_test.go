package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credo-org/credo/policies"
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
