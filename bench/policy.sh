#!/usr/bin/env bash
# The policy speed benchmarks (issue 5, "Speed"), in one run: a full
# recompute of every standing under the rongcheng pack (what publishing a
# version does) over N subjects with 10 records each already in the store,
# beside the same scoring as one PostgreSQL CREATE TABLE … AS SELECT over
# the same records; then the incremental and CEL figures from Go benchmarks.
#
#   bench/policy.sh                       N=1000000: 1,000,000 subjects, 10,000,000 records
#   N=100000 RUNS=1 bench/policy.sh       smaller, quicker
#   NOPG=1                                skip PostgreSQL
#
# credo: the records are appended through the ledger, then the scoring
# projection is built (what `credo score`/`credo ingest` keep extending as
# records arrive: reported as the ingest-side cost, not timed in the
# recompute); then score.Recompute under a new version of the rongcheng
# pack each run (read the projection, what each rule makes of each
# distinct tuple once, aggregate per subject over every core, store the
# standings with their index entries and history as ingested tables), the
# median of RUNS, with its CPU time and phases.
# PostgreSQL (Debian's packages, installed when missing) runs from a
# throwaway cluster in a temp dir with its defaults; the records are COPYed
# in first (not timed), then CREATE TABLE standings AS SELECT … is timed,
# RUNS times (fresh table each time). The machine may be shared: the load
# average is printed with the table.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
RUNS=${RUNS:-3}

work=$(mktemp -d "${TMPDIR:-/tmp}/credo-policy-bench.XXXXXX")
chmod 755 "$work"
. bench/pg.sh

echo "credo policy benchmarks — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$N subjects, $((N * 10)) records"

CREDO_POLICY_OUT=$work CREDO_POLICY_SUBJECTS=$N CREDO_POLICY_RUNS=$RUNS \
  go test -run '^(TestPolicyRecompute|TestPolicySQL)$' -count=1 -timeout 2h -v ./bench/ >"$work/credo.txt"
credo=$(awk '$1=="credo_full_recompute_s" {print $2}' "$work/credo.txt")
grep -E '^(setup|projection|run):' "$work/credo.txt" | sed 's/^/  credo /'
rm -rf "$work/data"

pg=
if [ -z "${NOPG:-}" ]; then
  pgstart
  psql -c "CREATE TABLE records (subject text, kind text, occurred_at timestamp, amount numeric, cycles int)"
  psql -c "COPY records FROM '$work/records.csv' WITH (FORMAT csv)"
  psql -c "VACUUM ANALYZE records"
  psql -c "CHECKPOINT"
  for _ in $(seq "$RUNS"); do
    psql -c "SET client_min_messages = warning; DROP TABLE IF EXISTS standings; CHECKPOINT"
    start=$(date +%s.%N)
    psql -f "$work/ctas.sql"
    end=$(date +%s.%N)
    echo "$end - $start" | bc | tee -a "$work/pg.txt" | sed 's/^/  PostgreSQL run: /;s/$/ s/'
  done
  pg=$(median <"$work/pg.txt")
  [ "$(psql -At -c 'SELECT count(*) FROM standings')" = "$N" ] || { echo "CTAS: wrong row count" >&2; exit 1; }
  echo "  grades, credo vs PostgreSQL (PostgreSQL knows no one-act, repeat or cap rules):"
  psql -At -F' ' -c "SELECT grade, count(*) FROM standings GROUP BY grade ORDER BY grade" | sed 's/^/    PostgreSQL /'
  grep '^credo_grade' "$work/credo.txt" | sed 's/^credo_grade/    credo/'
  pgstop
fi

echo
printf '%-60s %10s %10s %8s\n' "full recompute, $N subjects / $((N * 10)) records (s)" credo PostgreSQL ratio
if [ -n "$pg" ]; then
  printf '%-60s %10.2f %10.2f %8.2f  must ≥ 5, aim ≥ 20\n' "" "$credo" "$pg" "$(echo "$pg / $credo" | bc -l)"
else
  printf '%-60s %10.2f %10s\n' "" "$credo" "-"
fi
echo
echo "incremental and CEL (go test -bench, 20,000 subjects):"
go test -run XXX -bench 'BenchmarkPolicy(Incremental|RuleEval)' -benchtime 2000x -count=1 ./bench/ | grep -E '^Benchmark'
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (on $(nproc) cores: other work on the machine slows both sides)"
