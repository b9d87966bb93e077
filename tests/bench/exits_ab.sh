#!/bin/bash
# exits_ab.sh OLD NEW churn|build [RUNS]: the exit-record cost of two
# prochist binaries heard on the same exits. Three recorders run at once
# at 1 s (OLD without exit records, OLD with, NEW with) beside one workload:
# tests/bench/churn.c at 200 /bin/true a second for 14 s, or `make -j2` of
# a fresh copy of this checkout's HEAD. Per run, each recorder's CPU
# (schedstat run time from outside, tests/bench/extcpu.c) over its samples
# 2 to the last; us per exit row = (with - without) / exit rows of that
# recorder. Needs root (taskstats) and build/extcpu, build/churn (make bench
# builds them). docs/performance.md, "exit records, third round".
set -u
[ $# -ge 3 ] || { echo "usage: exits_ab.sh OLD NEW churn|build [RUNS]" >&2; exit 2; }
OLD=$1 NEW=$2 W=$3 RUNS=${4:-3}
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/ph-ab-XXXXXX")
trap 'rm -rf "$T"' EXIT
# ext_ms DB TRACE: "CPU_MS INTERVALS" from the run time just before the
# timestamps of sample 2 and of the last sample
ext_ms() {
    sqlite3 "$1" "select ts_ns from sample where sample > 1 order by sample" >"$T/ts"
    awk 'FNR == NR { if ($1 != "#") { w[n] = $1; r[n] = $2; n++ }; next }
         { t[m++] = $1 }
         function run_at(x,   i, v) { v = -1; for (i = 0; i < n && w[i] <= x; i++) v = r[i]; return v }
         END { printf "%.3f %d", (run_at(t[m - 1]) - run_at(t[0])) / 1e6, m - 1 }' "$2" "$T/ts"
}
for i in $(seq "$RUNS"); do
    rm -f "$T"/*.db*
    PROCHIST_NO_EXITS=1 "$B/extcpu" "$T/tr-off" "$OLD" record --db "$T/off.db" --interval 1 --count 100000 --quiet 2>/dev/null &
    e1=$!
    PROCHIST_NO_EXITS=0 "$B/extcpu" "$T/tr-old" "$OLD" record --db "$T/old.db" --interval 1 --count 100000 --quiet 2>/dev/null &
    e2=$!
    PROCHIST_NO_EXITS=0 "$B/extcpu" "$T/tr-new" "$NEW" record --db "$T/new.db" --interval 1 --count 100000 --quiet 2>/dev/null &
    e3=$!
    sleep 2.5
    if [ "$W" = churn ]; then
        "$B/churn" 200 14 >/dev/null
    else
        rm -rf "$T/src"
        mkdir "$T/src"
        git archive HEAD | tar -x -C "$T/src"
        make -C "$T/src" BUILD="$T/src/build" -j2 prochist >/dev/null 2>&1
    fi
    load=$(cut -d' ' -f1 /proc/loadavg)
    sleep 1.5
    # each recorder is its extcpu's one child: stopped by its pid
    kill -TERM "$(cat /proc/$e1/task/$e1/children)" "$(cat /proc/$e2/task/$e2/children)" \
        "$(cat /proc/$e3/task/$e3/children)" 2>/dev/null
    wait $e1 $e2 $e3
    read -r off _ <<<"$(ext_ms "$T/off.db" "$T/tr-off")"
    read -r old _ <<<"$(ext_ms "$T/old.db" "$T/tr-old")"
    read -r new n <<<"$(ext_ms "$T/new.db" "$T/tr-new")"
    xo=$(sqlite3 "$T/old.db" "select count(*) from proc_sample where kind = 4 and sample > 2")
    xn=$(sqlite3 "$T/new.db" "select count(*) from proc_sample where kind = 4 and sample > 2")
    awk -v o="$off" -v a="$old" -v b="$new" -v xa="$xo" -v xb="$xn" -v s="$n" -v l="$load" -v w="$W" 'BEGIN {
        printf "%s: %d samples, exit rows old %d new %d; CPU ms without %.1f, old %.1f, new %.1f; us per exit row old %.1f new %.1f; share of a core old %.2f%% new %.2f%%; load %s\n",
            w, s, xa, xb, o, a, b, (xa ? (a - o) * 1000 / xa : 0), (xb ? (b - o) * 1000 / xb : 0), a / s / 10, b / s / 10, l }'
done
