#!/usr/bin/env bash
# make bench: what the recorder costs, what the database weighs, how fast
# queries answer, side by side with atop and with a read-and-parse floor.
# Prints a markdown report (also written to build/bench.md); docs/performance.md
# keeps a copy of a run with the machine it ran on.
#
# Environment: BUILD (build dir), BENCH_DAYS (generated history, default 7;
# 30 takes about 15 minutes here),
# BENCH_SAMPLES (live samples per measurement, default 20), BENCH_IDLE
# (extra idle processes, default 1000), BENCH_REPEAT (runs per live
# measurement, the median kept; default 3).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$PWD/$BUILD ;; esac
BIN="$B/prochist"
GEN="$B/gen-history"
FLOOR="$B/floor"
DAYS=${BENCH_DAYS:-7}
N=${BENCH_SAMPLES:-20}
IDLE=${BENCH_IDLE:-1000}
REPEAT=${BENCH_REPEAT:-3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ph-bench-XXXXXX")
IDLE_PIDS=""
TICKERS=""
cleanup() {
    [ -n "$IDLE_PIDS" ] && kill $IDLE_PIDS 2>/dev/null
    [ -n "$TICKERS" ] && kill $TICKERS 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
out="$BUILD/bench.md"
: >"$out"
say() { echo "$*" | tee -a "$out"; }
log() { echo "bench: $*" >&2; }

if ! command -v atop >/dev/null 2>&1; then
    log "installing atop (Debian package) for the comparison"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq atop >/dev/null 2>&1 ||
        log "atop could not be installed: its columns will be empty"
fi

nprocs() { ls /proc | grep -c '^[0-9]'; }
# CPU seconds (user + sys) of this shell's waited-for children: `times` must
# run in the shell that waited (a pipe or $(...) would fork a fresh one).
child_cpu() { awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"; }

# recorder_once LABEL [ALWAYS_SCAN]: runs prochist record at 1 s on the live
# machine. Sets: rec_ms (CPU per sample), rec_us (per process-sample),
# rec_coll_us, rec_store_us, rec_rows, rec_bytes_row, rec_hwm_kib, rec_procs,
# rec_skipped.
# Nothing else runs meanwhile (the peak RSS comes from the recorder itself):
# a poll loop here would start processes, and a new PID makes the recorder
# scan /proc again (ALWAYS_SCAN=1 measures that case).
recorder_once() {
    local db="$TMP/live-${1// /_}.db"
    rm -f "$db"*
    # Keyframes (every process's gauges, at each 10-minute wall-clock
    # boundary) would land in one run of twenty in four: wait them out. Their
    # cost, amortized, is in docs/performance.md.
    local left=$(( 600 - $(date +%s) % 600 ))
    if [ "$left" -lt $((N + 10)) ]; then
        log "waiting ${left} s for the keyframe boundary to pass"
        sleep $((left + 1))
    fi
    "$BIN" record --db "$db" --count 3 --interval 0.2 --quiet # baseline
    # Exit records off: this measures the cost per process-sample; their
    # own cost is the churn section's (as root the benchmark's helpers would
    # otherwise add their exit rows here).
    PROCHIST_ALWAYS_SCAN=${2:-0} PROCHIST_NO_EXITS=1 PROCHIST_PROFILE=1 \
        "$BIN" record --db "$db" --count "$N" --interval 1 --quiet 2>"$TMP/prof"
    read -r rec_ms rec_procs rec_rows <<<"$(sqlite3 -separator ' ' "$db" "select round(avg(recorder_cpu_ns)/1e6, 3), round(avg(procs)), round(avg(rows_written), 1) from sample where sample > 4")"
    rec_us=$(awk -v m="$rec_ms" -v p="$rec_procs" 'BEGIN { printf "%.2f", m * 1000 / p }')
    read -r s c st <<<"$(sed -n 's/profile: samples \([0-9]*\) collect_ns \([0-9]*\) store_ns \([0-9]*\).*/\1 \2 \3/p' "$TMP/prof")"
    rec_skipped=$(sed -n 's/.* listings_skipped \([0-9]*\).*/\1/p' "$TMP/prof")
    rec_hwm_kib=$(sed -n 's/.* maxrss_kib \([0-9]*\).*/\1/p' "$TMP/prof")
    rec_coll_us=$(awk -v s="$s" -v c="$c" -v p="$rec_procs" 'BEGIN { printf "%.2f", c / s / p / 1000 }')
    rec_store_us=$(awk -v s="$s" -v c="$st" -v p="$rec_procs" 'BEGIN { printf "%.2f", c / s / p / 1000 }')
    local rows bytes
    rows=$(sqlite3 "$db" "select count(*) from proc_sample")
    bytes=$(sqlite3 "$db" "select sum(pgsize) from dbstat where name in ('proc_sample', 'sample', 'sample_ts')")
    rec_bytes_row=$(awk -v b="$bytes" -v r="$rows" 'BEGIN { printf "%.0f", b / r }')
}

# recorder LABEL [ALWAYS_SCAN]: recorder_once REPEAT times (BENCH_REPEAT,
# default 3; this VM's runs of the same thing differ by up to 20%), keeping
# the median run by CPU per sample; rec_range is the range of us/process.
recorder() {
    local i
    : >"$TMP/runs"
    for i in $(seq "$REPEAT"); do
        recorder_once "$@"
        echo "$rec_ms $rec_us $rec_procs $rec_rows $rec_coll_us $rec_store_us $rec_skipped $rec_hwm_kib $rec_bytes_row" >>"$TMP/runs"
    done
    read -r rec_ms rec_us rec_procs rec_rows rec_coll_us rec_store_us rec_skipped rec_hwm_kib rec_bytes_row \
        <<<"$(sort -n "$TMP/runs" | sed -n "$(( (REPEAT + 1) / 2 ))p")"
    rec_range=$(sort -n "$TMP/runs" | awk 'NR == 1 { lo = $2 } { hi = $2 } END { printf "%s-%s", lo, hi }')
}

# atop_run: atop -w at 1 s for N samples. Sets atop_ms, atop_bytes.
atop_run() {
    atop_ms=""
    atop_bytes=""
    command -v atop >/dev/null 2>&1 || return
    rm -f "$TMP/atop.raw"
    local cpu
    (atop -w "$TMP/atop.raw" 1 "$N" >/dev/null 2>&1; times >"$TMP/times")
    cpu=$(child_cpu "$TMP/times")
    atop_ms=$(awk -v c="$cpu" -v n="$N" 'BEGIN { printf "%.3f", c * 1000 / n }')
    atop_bytes=$(stat -c %s "$TMP/atop.raw")
}

measure() { # LABEL [ALWAYS_SCAN]
    log "live recorder, $1 ($(nprocs) processes)"
    recorder "$1" "${2:-0}"
    local ratio="-" per_proc_atop="-" atop_row="-" floor_stat="-" floor_full="-"
    atop_ms=""
    if [ "${2:-0}" = 0 ]; then
        log "atop, $1"
        atop_run
        floor_stat=$("$FLOOR" stat "$N" 1000 | awk '{ print $3 }')
        floor_full=$("$FLOOR" full 5 1000 | awk '{ print $3 }')
    fi
    if [ -n "$atop_ms" ]; then
        ratio=$(awk -v a="$atop_ms" -v p="$rec_ms" 'BEGIN { printf "%.1fx", a / p }')
        per_proc_atop=$(awk -v a="$atop_ms" -v n="$rec_procs" 'BEGIN { printf "%.2f", a * 1000 / n }')
        atop_row=$(awk -v b="$atop_bytes" -v n="$N" -v p="$rec_procs" 'BEGIN { printf "%.0f", b / n / p }')
    fi
    say "| $1 | $rec_procs | $rec_skipped/$N | $rec_ms | $rec_us | $rec_range | $rec_coll_us | $rec_store_us | $floor_stat | $floor_full | ${atop_ms:--} | $per_proc_atop | $ratio | $rec_rows | $rec_bytes_row | ${atop_row} | $((rec_hwm_kib / 1024)).$(( (rec_hwm_kib % 1024) * 10 / 1024 )) |"
    if [ "${2:-0}" = 0 ]; then
        eval "m_${1//[^a-z]/_}_bytes_sample=$(awk -v r="$rec_rows" -v b="$rec_bytes_row" 'BEGIN { print r * b }')"
        eval "m_${1//[^a-z]/_}_atop_sample=$(awk -v b="${atop_bytes:-0}" -v n="$N" 'BEGIN { print b / n }')"
    fi
}

say "# prochist benchmark"
say ""
say "Machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r), $(date -u +%Y-%m-%d)."
say ""
say "## Recorder cost (live, 1 s interval, $N samples each)"
say ""
say "CPU is user + system time of the process. prochist's comes from its own accounting"
say "(median of $REPEAT runs of $N samples, with the range of the runs)"
say "(sample.recorder_cpu_ns: everything between two samples, including SQLite and rollups),"
say "split by PROCHIST_PROFILE=1 into collection (reading /proc) and storage. atop's is"
say "its total CPU over the run divided by samples. The floor reads and parses the same files"
say "with no storage: 'stat' is one pread of a kept stat fd per process, 'full' opens, reads"
say "and closes stat, status, io and schedstat. 'scans skipped': samples whose listing"
say "of /proc was skipped because no PID had been allocated since the last scan; the"
say "'always scan' row forces the scan (PROCHIST_ALWAYS_SCAN=1), which is what a machine"
say "that starts a process between every two samples costs."
say ""
say "| processes | n | scans skipped | prochist ms/sample | us/process | us/process, $REPEAT runs | collect us/proc | store us/proc | floor stat us/proc | floor full us/proc | atop ms/sample | atop us/proc | atop/prochist | rows/sample | bytes/row | atop bytes/proc-sample | prochist RSS MiB |"
say "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
measure "machine"
log "starting $IDLE idle processes"
for i in $(seq "$IDLE"); do
    sleep 3600 &
    IDLE_PIDS="$IDLE_PIDS $!"
done
sleep 1
measure "plus idle"
measure "plus idle, always scan" 1
kill $IDLE_PIDS 2>/dev/null
wait $IDLE_PIDS 2>/dev/null
IDLE_PIDS=""

# Every process ran: the collection of a process that ran, against the
# floor that opens, reads and parses the same four files.
say ""
say "## Processes that ran (1 s interval, $N samples)"
say ""
say "$IDLE processes each waking every 100 ms, so that nearly every process runs"
say "between two samples and prochist reads all its files. 'collect/floor' is"
say "prochist's collection per process against the full floor on the same processes."
say ""
say "| processes | rows/sample | collect us/proc | floor full us/proc | collect/floor | store us/proc | store/collect |"
say "|---|---|---|---|---|---|---|"
log "starting $IDLE processes that run every 100 ms"
"$B/helpers/tickers" "$IDLE" 100 $((REPEAT * (2 * N + 20) + 60)) &
TICKERS=$!
sleep 2
recorder "ran"
floor_full=$("$FLOOR" full 5 1000 | awk '{ print $3 }')
kill $TICKERS 2>/dev/null
wait $TICKERS 2>/dev/null
TICKERS=""
say "| $rec_procs | $rec_rows | $rec_coll_us | $floor_full | $(awk -v c="$rec_coll_us" -v f="$floor_full" 'BEGIN { printf "%.2f", c / f }') | $rec_store_us | $(awk -v c="$rec_coll_us" -v s="$rec_store_us" 'BEGIN { printf "%.2f", s / c }') |"

say ""
say "Per day at the default 5 s interval, from the per-sample sizes above (prochist raw"
say "rows before rollups; atop's raw log at the same interval on the same processes):"
say ""
for k in machine plus_idle; do
    b=$(eval echo "\${m_${k}_bytes_sample:-0}")
    a=$(eval echo "\${m_${k}_atop_sample:-0}")
    say "- $k: prochist $(awk -v b="$b" 'BEGIN { printf "%.1f MiB", b * 17280 / 1048576 }')/day, atop $(awk -v a="$a" 'BEGIN { printf "%.1f MiB", a * 17280 / 1048576 }')/day ($(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.2f", b / a; else printf "-" }') of atop)"
done

say ""
say "## Generated history: $DAYS days"
say ""
log "generating $DAYS days of history (400 processes, 60 busy, churn, 5 s samples)"
now=$(date +%s)
start=$(( (now - DAYS * 86400) / 60 * 60 ))
t0=$(date +%s%N)
"$GEN" "$TMP/hist.db" --days "$DAYS" --start "$start" >"$TMP/gen.out"
t1=$(date +%s%N)
g() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/gen.out"; }
db="$TMP/hist.db"
size=$(stat -c %s "$db")
say "400 processes alive, 60 usually busy, 0.5 short-lived processes started per sample, pids"
say "reused, 5 s samples, default retention (raw 2d, minute 30d, hour 400d), written"
say "through the real sampler, store, rollups and pruning."
say ""
say "- generated in $(( (t1 - t0) / 1000000000 )) s: $(g samples) samples, $(g rows) raw rows, $(g processes) processes"
say "- storing samples: $(awk -v c="$(g sample_cpu_s)" -v n="$(g samples)" 'BEGIN { printf "%.3f ms", c * 1000 / n }') CPU per sample"
say "- rollups and retention: $(awk -v c="$(g maint_cpu_s)" -v d="$DAYS" 'BEGIN { printf "%.2f s", c / (d * 24) }') CPU per hour of history"
say "- database after $DAYS days: $(awk -v s="$size" 'BEGIN { printf "%.1f MiB", s / 1048576 }') ($(awk -v s="$size" -v d="$DAYS" 'BEGIN { printf "%.1f MiB", s / d / 1048576 }') per day of history)"
say ""
say "| tier | rows | MiB | bytes/row |"
say "|---|---|---|---|"
sqlite3 "$db" "select t, rows, round(bytes / 1048576.0, 1), round(1.0 * bytes / max(rows, 1)) from (
    select 'raw' as t, (select count(*) from proc_sample) as rows,
           (select sum(pgsize) from dbstat where name in ('proc_sample', 'sample', 'sample_ts')) as bytes
    union all select 'minute', (select count(*) from proc_minute),
           (select sum(pgsize) from dbstat where name in ('proc_minute', 'app_minute', 'sample_minute'))
    union all select 'hour', (select count(*) from proc_hour),
           (select sum(pgsize) from dbstat where name in ('proc_hour', 'app_hour', 'sample_hour'))
    union all select 'process', (select count(*) from process),
           (select sum(pgsize) from dbstat where name in ('process', 'sqlite_autoindex_process_1')))" |
    awk -F'|' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' | tee -a "$out"

say ""
say "## Query latency on the generated history (median of 5, wall clock, whole command)"
say ""
say "| query | ms | tiers |"
say "|---|---|---|"
q() { # LABEL ARGS...
    local label=$1
    shift
    local times=() tiers
    for i in 1 2 3 4 5; do
        local a b
        a=$(date +%s%N)
        "$BIN" "$@" --db "$db" --format json >"$TMP/q.json" 2>/dev/null
        b=$(date +%s%N)
        times+=($(( (b - a) / 100000 )))
    done
    tiers=$(jq -r '[.tiers[]?.tier] | unique | join("+")' "$TMP/q.json" 2>/dev/null)
    med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
    say "| $label | $(awk -v m="$med" 'BEGIN { printf "%.1f", m / 10 }') | ${tiers:--} |"
}
q "top --since 1h" top --since 1h
q "top --since 1d" top --since 1d
q "top --since 30d" top --since 30d
q "top --since 400d" top --since 400d
q "top --mem --since 30d" top --mem --since 30d
q "top --by process --since 30d" top --by process --since 30d
# Exit records: the recorder's cost under heavy process churn (a shell
# starting /bin/true back to back, ~1,000 processes a second here), with the
# taskstats listener (root) and without it (PROCHIST_NO_EXITS=1).
churn() { # NO_EXITS -> sets ch_n ch_ms ch_exits ch_coll ch_store
    local db="$TMP/churn-$1.db"
    rm -f "$db"*
    PROCHIST_NO_EXITS=$1 PROCHIST_PROFILE=1 "$BIN" record --db "$db" --interval 1 --count 16 --quiet 2>"$TMP/chprof" &
    local rec=$!
    sleep 0.5
    sh -c 'end=$(($(date +%s) + 14)); n=0; while [ $(date +%s) -lt $end ]; do /bin/true; n=$((n + 1)); done; echo $n' >"$TMP/churn.n"
    wait $rec
    ch_n=$(cat "$TMP/churn.n")
    ch_ms=$(sqlite3 "$db" "select round(sum(recorder_cpu_ns) / 1e6 / count(*), 2) from sample where recorder_cpu_ns >= 0")
    ch_exits=$(sqlite3 "$db" "select count(*) from proc_sample where kind = 4")
    read -r s c st <<<"$(sed -n 's/profile: samples \([0-9]*\) collect_ns \([0-9]*\) store_ns \([0-9]*\).*/\1 \2 \3/p' "$TMP/chprof")"
    ch_coll=$(awk -v c="$c" -v s="$s" 'BEGIN { printf "%.2f", c / s / 1e6 }')
    ch_store=$(awk -v c="$st" -v s="$s" 'BEGIN { printf "%.2f", c / s / 1e6 }')
}
if [ "$(id -u)" = 0 ]; then
    say ""
    say "## Exit records under process churn (1 s samples, 15 samples)"
    say ""
    say "| mode | processes started | exit rows | recorder CPU ms/sample | in-sample collect / store ms | CPU per exit row |"
    say "|---|---|---|---|---|---|"
    churn 1
    say "| children only (PROCHIST_NO_EXITS=1) | $ch_n | $ch_exits | $ch_ms | $ch_coll / $ch_store | - |"
    base=$ch_ms
    churn 0
    per=$(awk -v m="$ch_ms" -v b="$base" -v e="$ch_exits" 'BEGIN { if (e > 0) printf "%.1f us", (m - b) * 15 * 1000 / e; else print "-" }')
    say "| exit records (taskstats) | $ch_n | $ch_exits | $ch_ms | $ch_coll / $ch_store | $per |"
    say ""
    say "(each loop iteration starts two processes: /bin/true and the date of the loop test)"
fi
log "report written to $out"
