#!/bin/sh
# bench/decide.sh: credo's decision API beside OPA serving the same measure
# (flight.book, bench/testdata/decide.rego) over the same standings, driven
# by the same Go load generator (TestLoadGen) in the same run, on loopback,
# in turns (credo, OPA, credo, OPA: ROUNDS=2 rounds of DURATION each).
# Prints throughput, p50/p99, each server's CPU time a request and
# resident memory of both, and the ratios; then credo's rate in batches of
# 100, and the issue's targets at this machine's pace (OPA's rate against
# the 17,000/s the issue gives for its machine).
# Resident memory (MB) is read holding the standings, before any request
# (what each needs to hold 1,000,000 subjects) — in all, and its anonymous
# part (the heap, without the executable's pages) — and after the runs
# (credo's then includes the audit trail's write buffer: every decision is
# written; OPA records none). OPA holds the national standings, all its
# Rego reads; credo's table holds every jurisdiction's. The load generator
# (TestLoadGen, see loadgen in decide_http_test.go) keeps one request in
# flight per keep-alive connection, requests made once, responses read and
# dropped.
#
#   bench/decide.sh [SUBJECTS] [DURATION]     (1000000, 10s)
#
# CONNS sets the connections (10, wrk's default). With WRK=1, wrk (the
# Debian package) then drives each server once more, for DURATION, with
# the same bodies (bench/testdata/wrk-bodies.lua), and its figures are
# printed too: wrk is a single event loop in C, and on two shared cores its
# latencies' tail is longer than the Go generator's.
#
# OPA comes from $PATH, or is built with
# go install github.com/open-policy-agent/opa@v1.22.3.
set -eu
cd "$(dirname "$0")/.."
subjects=${1:-1000000}
dur=${2:-10s}
conns=${CONNS:-10}  # wrk's default
work=$(mktemp -d)
trap 'touch "$work/stop"; [ -n "${opa_pid:-}" ] && kill "$opa_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

opa=$(command -v opa || true)
if [ -z "$opa" ]; then
	echo "building OPA v1.22.3 (go install) …" >&2
	go install github.com/open-policy-agent/opa@v1.22.3
	opa="$(go env GOPATH)/bin/opa"
fi

echo "credo: a decision table of $subjects subjects …" >&2
go test -c -o "$work/bench.test" ./bench
CREDO_FIXTURE_DIR=$work CREDO_BENCH_HTTP_SUBJECTS=$subjects "$work/bench.test" -test.run '^TestDecideFixture$' -test.timeout 0 >"$work/credo.log" 2>&1 &
credo_pid=$!
while [ ! -s "$work/url" ]; do
	kill -0 "$credo_pid" 2>/dev/null || { cat "$work/credo.log"; exit 1; }
	sleep 1
done
echo "OPA: the same standings …" >&2
"$opa" run --server --addr 127.0.0.1:8181 --log-level error bench/testdata/decide.rego "$work/data.json" >"$work/opa.log" 2>&1 &
opa_pid=$!
until curl -sf http://127.0.0.1:8181/health >/dev/null 2>&1; do
	kill -0 "$opa_pid" 2>/dev/null || { cat "$work/opa.log"; exit 1; }
	sleep 1
done

rss() { awk '/^VmRSS/ {print $2/1024}' "/proc/$1/status"; }
anon() { awk '/^RssAnon/ {print $2/1024}' "/proc/$1/status"; }
credo_idle=$(rss "$credo_pid") credo_anon=$(anon "$credo_pid")
opa_idle=$(rss "$opa_pid") opa_anon=$(anon "$opa_pid")
load() { # url bodies headers
	CREDO_LOADGEN_URL=$1 CREDO_LOADGEN_BODIES=$2 CREDO_LOADGEN_HEADERS=$3 CREDO_LOADGEN_CONNS=$conns CREDO_LOADGEN_DURATION=$dur \
		"$work/bench.test" -test.run '^TestLoadGen$' -test.count 1 | grep '^requests/s'
}
# CPU seconds (user and system) a process has used so far
cpu() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
field() { echo "$1" | awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) print $(i+1)}'; }
# Each is driven in turns, credo, OPA, credo, OPA ($ROUNDS rounds, 2 by
# default), so that what else the machine runs weighs on both alike; the
# rates are the rounds' mean, the percentiles their worst, and each
# server's CPU time a request (its own process alone) the steadiest figure.
rounds=${ROUNDS:-2}
credo_url="$(cat "$work/url")/access/v1/evaluation" credo_hdr="Authorization: Bearer $(cat "$work/key")"
credo_cpu0=$(cpu "$credo_pid") opa_cpu0=$(cpu "$opa_pid")
credo_all="" opa_all=""
i=0
while [ "$i" -lt "$rounds" ]; do
	credo_all="$credo_all
$(load "$credo_url" "$work/credo.ndjson" "$credo_hdr")"
	opa_all="$opa_all
$(load http://127.0.0.1:8181/v1/data/credo/result "$work/opa.ndjson" "")"
	i=$((i + 1))
done
credo_cpu=$(awk -v a="$credo_cpu0" -v b="$(cpu "$credo_pid")" 'BEGIN {print b - a}')
opa_cpu=$(awk -v a="$opa_cpu0" -v b="$(cpu "$opa_pid")" 'BEGIN {print b - a}')
credo_rss=$(rss "$credo_pid") opa_rss=$(rss "$opa_pid")
# credo's batches of 100 (OPA's API has none), over 3 connections each
# blocking a thread of the generator (see dialBlocking)
batch_out=$(CREDO_LOADGEN_BLOCKING=1 CREDO_LOADGEN_URL="$(cat "$work/url")/access/v1/evaluations" CREDO_LOADGEN_BODIES="$work/batch.ndjson" \
	CREDO_LOADGEN_HEADERS="$credo_hdr" CREDO_LOADGEN_CONNS=3 CREDO_LOADGEN_DURATION=$dur \
	"$work/bench.test" -test.run '^TestLoadGen$' -test.count 1 | grep '^requests/s')
# mean rate, worst p50 and p99, total errors, and CPU µs a request over the rounds
summary() { # runs cpu-seconds duration-seconds-a-round
	echo "$1" | awk -v cpu="$2" -v d="$3" 'NF {
		for (i = 1; i < NF; i++) v[$i] = $(i+1)
		n++; rate += v["requests/s"]; err += v["errors"]
		if (v["p50-ms"] > p50) p50 = v["p50-ms"]
		if (v["p99-ms"] > p99) p99 = v["p99-ms"]
	} END { printf "requests/s %.0f p50-ms %.3f p99-ms %.3f errors %d cpu-us %.1f\n", rate/n, p50, p99, err, cpu*1e6/(rate*d) }'
}
secs=$(echo "$dur" | awk '/ms$/ {print $0/1000; next} /s$/ {print $0+0; next} /m$/ {print $0*60; next} {print $0+0}')
credo_out=$(summary "$credo_all" "$credo_cpu" "$secs")
opa_out=$(summary "$opa_all" "$opa_cpu" "$secs")

printf '%-8s %10s %8s %8s %12s %10s %10s %10s\n' "" "evals/s" "p50 ms" "p99 ms" "CPU µs/eval" "RSS idle" "anon idle" "RSS after"
printf '%-8s %10s %8s %8s %12s %10.0f %10.0f %10.0f\n' credo "$(field "$credo_out" requests/s)" "$(field "$credo_out" p50-ms)" "$(field "$credo_out" p99-ms)" "$(field "$credo_out" cpu-us)" "$credo_idle" "$credo_anon" "$credo_rss"
printf '%-8s %10s %8s %8s %12s %10.0f %10.0f %10.0f\n' OPA "$(field "$opa_out" requests/s)" "$(field "$opa_out" p50-ms)" "$(field "$opa_out" p99-ms)" "$(field "$opa_out" cpu-us)" "$opa_idle" "$opa_anon" "$opa_rss"
awk -v c="$(field "$credo_out" requests/s)" -v o="$(field "$opa_out" requests/s)" -v cp="$(field "$credo_out" p99-ms)" -v op="$(field "$opa_out" p99-ms)" \
	-v cc="$(field "$credo_out" cpu-us)" -v oc="$(field "$opa_out" cpu-us)" \
	-v ci="$credo_idle" -v oi="$opa_idle" -v ca="$credo_anon" -v oa="$opa_anon" -v cm="$credo_rss" -v om="$opa_rss" \
	'BEGIN { printf "credo/OPA throughput %.1fx (must ≥ 3x, aim ≥ 5x); p99 %.2f of OPA'"'"'s (must < 1); CPU a request %.2f of OPA'"'"'s\nmemory (must ≤ 0.05 of OPA'"'"'s): RSS idle %.3f, anonymous idle %.3f, RSS after the runs %.3f\n", c/o, cp/op, cc/oc, ci/oi, ca/oa, cm/om }'
if [ -n "${WRK:-}" ] && ! command -v wrk >/dev/null 2>&1; then
	echo "WRK=1: wrk is not installed (apt-get install wrk)" >&2
elif [ -n "${WRK:-}" ]; then
	wrkrun() { # name url bodies headers
		WRK_BODIES=$3 WRK_HEADERS=$4 wrk -t2 -c"$conns" -d"$dur" --latency -s bench/testdata/wrk-bodies.lua "$2" |
			awk -v n="$1" '/^ +99%/ {p99 = $2} /^ +50%/ {p50 = $2} /^Requests\/sec/ {r = $2} /Non-2xx/ {e = $NF}
				END {printf "wrk %-6s requests/s %.0f p50 %s p99 %s non-2xx %d\n", n, r, p50, p99, e}'
	}
	wrkrun credo "$credo_url" "$work/credo.ndjson" "$credo_hdr"
	wrkrun OPA http://127.0.0.1:8181/v1/data/credo/result "$work/opa.ndjson" ""
fi
# The issue's absolute targets were set where OPA served 17,000
# evaluations/s; OPA's rate in this run gives this machine's pace, and the
# targets at it.
awk -v o="$(field "$opa_out" requests/s)" -v c="$(field "$credo_out" requests/s)" -v p99="$(field "$credo_out" p99-ms)" \
	-v b="$(field "$batch_out" requests/s)" -v bp99="$(field "$batch_out" p99-ms)" 'BEGIN {
	pace = o / 17000
	printf "credo batches of 100: %.0f decisions/s, p99 %.2f ms a batch\n", b * 100, bp99
	printf "this machine'"'"'s pace by OPA: %.2f of the issue'"'"'s (17,000/s); at it the targets are %.0f single evaluations/s (credo %.0f: %s) at p99 <= 2 ms (credo %.2f: %s), and %.0f decisions/s in batches (credo %.0f: %s)\n",
		pace, 50000 * pace, c, (c >= 50000 * pace ? "met" : "not met"), p99, (p99 <= 2 ? "met" : "not met"), 1000000 * pace, b * 100, (b * 100 >= 1000000 * pace ? "met" : "not met")
}'
echo "(errors: credo $(field "$credo_out" errors), batches $(field "$batch_out" errors), OPA $(field "$opa_out" errors); $subjects subjects, $conns connections, $rounds rounds of $dur each, in turns, on one machine)"
