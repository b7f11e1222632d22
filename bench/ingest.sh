#!/usr/bin/env bash
# The ingest speed benchmarks (issue 3, "Speed"), end to end, beside
# PostgreSQL's COPY of the same file, in one run; prints a table and ratios.
#
#   bench/ingest.sh                    1,000,000-row CSV (~190 MB), GB18030, XLSX
#   ROWS=300000 XLSX_ROWS=50000 RUNS=1 bench/ingest.sh   smaller, quicker
#   BIG=1 bench/ingest.sh              also a ~5 GB CSV: peak RSS must stay < 300 MB
#   BIG_BYTES=5000000000  NOPG=1       (size of the big file; skip PostgreSQL)
#   SIDE_ROWS=300000                   rows for the two sides measured apart
#
# Every credo figure is `credo ingest --source SPEC FILE --data DIR` into a
# fresh data directory (wall time, rows/s, peak RSS from /usr/bin/time), the
# median of RUNS runs. The two sides of an ingest, which overlap on two
# cores, are also measured apart (Go benchmarks, SIDE_ROWS rows): reading
# and mapping alone (no ledger), and the ledger's appends of the same
# records alone (no reading), with the CPU time a row took. PostgreSQL (from Debian's packages, installed when
# missing) runs from a throwaway cluster in a temp dir, fsync on (defaults),
# and COPYs the same CSV into a table keyed on the record id and into one
# without any index, RUNS times each (fresh table each time). The machine
# may be shared: the load average is printed with the table.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}
XLSX_ROWS=${XLSX_ROWS:-200000}
RUNS=${RUNS:-3}
BIG_BYTES=${BIG_BYTES:-5000000000}
SIDE_ROWS=${SIDE_ROWS:-300000}
specs=$PWD/bench/testdata

work=$(mktemp -d "${TMPDIR:-/tmp}/credo-ingest-bench.XXXXXX")
chmod 755 "$work"
. bench/pg.sh

echo "credo ingest benchmarks — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"

go build -o "$work/credo" ./cmd/credo
CREDO_INGEST_OUT=$work CREDO_INGEST_ROWS=$ROWS CREDO_INGEST_XLSX_ROWS=$XLSX_ROWS \
  go test -run '^TestIngestFiles$' -count=1 -v ./bench/ >"$work/gen.txt"
csv=$work/traffic.csv
csvmb=$(du -m "$csv" | cut -f1)

# ingest NAME SPEC FILE [DATA]: one run of credo ingest into DATA (a fresh
# directory unless given), appending "wall_s rss_kb" to $work/NAME.txt.
ingest() {
  local name=$1 spec=$2 file=$3 data=${4:-$work/data}
  [ -n "${4:-}" ] || rm -rf "$data"
  local rc=0
  /usr/bin/time -f '%e %M' -o "$work/time.txt" \
    "$work/credo" ingest --source "$spec" "$file" --data "$data" >"$work/out.txt" 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then
    echo "credo ingest $file: exit status $rc" >&2
    cat "$work/out.txt" >&2
    exit 1
  fi
  tail -1 "$work/time.txt" >>"$work/$name.txt"
}

# rate NAME ROWS: median rows/s of NAME's runs; peak NAME: the largest RSS in MB.
rate() { awk -v n="$2" '{print n/$1}' "$work/$1.txt" | median; }
secs() { awk '{print $1}' "$work/$1.txt" | median; }
peak() { awk '{print $2/1024}' "$work/$1.txt" | sort -g | tail -1; }

for _ in $(seq "$RUNS"); do
  ingest csv "$specs/traffic_csv.yaml" "$csv"
done
grep -q "appended *$ROWS\$" "$work/out.txt" || { echo "credo ingest: not every row appended:" >&2; cat "$work/out.txt" >&2; exit 1; }
# Again into the last data directory: every row is already in the ledger.
for _ in $(seq "$RUNS"); do
  ingest dup "$specs/traffic_csv.yaml" "$csv" "$work/data"
done
grep -q "already in the ledger *$ROWS\$" "$work/out.txt" || { echo "credo re-ingest: not every row a duplicate:" >&2; cat "$work/out.txt" >&2; exit 1; }
for _ in $(seq "$RUNS"); do
  ingest gb "$specs/traffic_gb18030.yaml" "$work/traffic_gb18030.csv"
done
for _ in $(seq "$RUNS"); do
  ingest xlsx "$specs/traffic_xlsx.yaml" "$work/traffic.xlsx"
done
rm -rf "$work/data"

# The sides apart, and together, in the Go benchmarks (bench/ingest_test.go).
go test -run '^$' -bench '^BenchmarkIngest(Parse)?(CSV|GB18030)$|^BenchmarkIngestAppendCSV$' \
  -benchtime "${SIDE_ROWS}x" ./bench/ >"$work/sides.txt"
# side BENCH UNIT: that benchmark's figure.
side() { awk -v b="$1" -v u="$2" '$1 ~ "^"b"(-[0-9]+)?$" {for(i=1;i<NF;i++) if($(i+1)==u) print $i}' "$work/sides.txt"; }

# PostgreSQL: a throwaway cluster, unix socket in the temp dir.
pgkey= pgplain=
if [ -z "${NOPG:-}" ]; then
  pgstart
  cols="decision_no text, name text, id_number char(18), sex text, phone text, plate text,
        occurred_at timestamp, place text, code text, violation text, fine numeric(12,2), points int"
  copyrun() { # copyrun NAME KEY: one COPY into a fresh table, its seconds to $work/NAME.txt
    psql -c "SET client_min_messages = warning; DROP TABLE IF EXISTS t; CREATE TABLE t ($cols${2:+, PRIMARY KEY (decision_no)}); CHECKPOINT;"
    local start end
    start=$(date +%s.%N)
    psql -c "COPY t FROM '$csv' WITH (FORMAT csv, HEADER true)"
    end=$(date +%s.%N)
    echo "$end - $start" | bc >>"$work/$1.txt"
    [ "$(psql -At -c 'SELECT count(*) FROM t')" = "$ROWS" ] || { echo "COPY: wrong row count" >&2; exit 1; }
  }
  for _ in $(seq "$RUNS"); do
    copyrun pgkey key
    copyrun pgplain ""
  done
  pgkey=$(awk -v n="$ROWS" '{print n/$1}' "$work/pgkey.txt" | median)
  pgplain=$(awk -v n="$ROWS" '{print n/$1}' "$work/pgplain.txt" | median)
  pgstop
fi

big=
if [ -n "${BIG:-}" ]; then
  CREDO_INGEST_OUT=$work CREDO_INGEST_BIG_BYTES=$BIG_BYTES \
    go test -run '^TestIngestFiles$' -count=1 -v ./bench/ >"$work/genbig.txt"
  bigrows=$(awk '$1=="rows" && $2=="big.csv" {print $3}' "$work/genbig.txt")
  bigmb=$(du -m "$work/big.csv" | cut -f1)
  ingest big "$specs/traffic_csv.yaml" "$work/big.csv"
  rm -rf "$work/big.csv" "$work/data"
  big=1
fi

csvrate=$(rate csv "$ROWS")
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo
printf '%-58s %12s %12s %8s %s\n' "ingest benchmark ($ROWS rows, median of $RUNS)" "credo" "reference" "ratio" ""
printf '%-58s %12s %12s %8s %s\n' "----" "----" "----" "----" ""
row() { # row LABEL CREDO REF [NOTE]
  local ratio=""
  if [ -n "$3" ] && [ "$3" != "-" ] && [ "${3%%[!0-9.]*}" = "$3" ]; then ratio=$(echo "$2 / $3" | bc -l | xargs printf '%.2f'); fi
  printf '%-58s %12.0f %12s %8s %s\n' "$1" "$2" "$3" "$ratio" "${4:-}"
}
if [ -n "$pgkey" ]; then
  row "CSV UTF-8 ${csvmb} MB vs COPY into keyed table (rows/s)" "$csvrate" "$(printf '%.0f' "$pgkey")" "must ≥ 1.0"
  row "CSV UTF-8 ${csvmb} MB vs COPY into unindexed table (rows/s)" "$csvrate" "$(printf '%.0f' "$pgplain")" "aim ≥ 1.0"
else
  row "CSV UTF-8 ${csvmb} MB (rows/s)" "$csvrate" "-"
fi
row "CSV UTF-8 again: every row a duplicate (rows/s)" "$(rate dup "$ROWS")" "-"
row "CSV GB18030 (rows/s)" "$(rate gb "$ROWS")" "300000" "target ≥ 1.0"
# Issue 3 sets GB18030's 300,000 and XLSX's 100,000 rows/s on a machine
# where COPY into the keyed table ran at about 300,000 rows/s: beside
# this run's COPY, the same targets at this machine's pace.
if [ -n "$pgkey" ]; then
  row "  GB18030 vs COPY into keyed table (rows/s)" "$(rate gb "$ROWS")" "$(printf '%.0f' "$pgkey")" "at this machine's pace: target ≥ 1.0 (300,000/300,000 on the issue's)"
fi
row "XLSX, $XLSX_ROWS rows (rows/s)" "$(rate xlsx "$XLSX_ROWS")" "100000" "target ≥ 1.0"
row "peak RSS, CSV ingest of $ROWS rows (MB)" "$(peak csv)" "-"
row "sides apart, $SIDE_ROWS rows: CSV read+map alone (rows/s)" "$(side BenchmarkIngestParseCSV rows/s)" "-" "$(side BenchmarkIngestParseCSV cpu-ns/row) CPU ns/row"
row "  GB18030 read+map alone (rows/s)" "$(side BenchmarkIngestParseGB18030 rows/s)" "-" "$(side BenchmarkIngestParseGB18030 cpu-ns/row) CPU ns/row"
row "  ledger appends of the CSV's records alone (rows/s)" "$(side BenchmarkIngestAppendCSV rows/s)" "-" "$(side BenchmarkIngestAppendCSV cpu-ns/row) CPU ns/row"
row "  both, overlapped: CSV ingest (rows/s)" "$(side BenchmarkIngestCSV rows/s)" "-" "$(side BenchmarkIngestCSV cpu-ns/row) CPU ns/row"
row "  both, overlapped: GB18030 ingest (rows/s)" "$(side BenchmarkIngestGB18030 rows/s)" "-" "$(side BenchmarkIngestGB18030 cpu-ns/row) CPU ns/row"
if [ -n "$big" ]; then
  row "peak RSS, CSV ingest of ${bigmb} MB, $bigrows rows (MB)" "$(peak big)" "300" "must ≤ 1.0"
  row "  its rate (rows/s)" "$(rate big "$bigrows")" "-"
fi
echo
echo "seconds per run: credo csv $(secs csv), duplicates $(secs dup), gb18030 $(secs gb), xlsx $(secs xlsx)$( [ -z "$pgkey" ] || echo ", COPY keyed $(awk '{print $1}' "$work/pgkey.txt" | median), unindexed $(awk '{print $1}' "$work/pgplain.txt" | median)")"
echo "load average at the end: $load (on $(nproc) cores: other work on the machine slows both sides)"
echo "credo: credo ingest --source bench/testdata/traffic_*.yaml FILE --data DIR, fresh DIR (ends synced);"
[ -z "$pgkey" ] || echo "COPY: PostgreSQL $("$pgbin/postgres" --version 2>/dev/null | awk '{print $3}') defaults (fsync on), COPY t FROM 'FILE' (FORMAT csv, HEADER), fresh table."
