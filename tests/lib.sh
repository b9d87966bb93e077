# Shared helpers for the end-to-end tests (sourced). Each check prints
# "ok - NAME" or "not ok - NAME" with the reason on the next line, or
# "ok - NAME # SKIP reason" when it cannot run here (counted apart by
# tests/run.sh). A script runs alone as well (`sh tests/e2e/NAME.sh`, or
# `make check T=NAME`): what tests/run.sh would set defaults to the
# repository's build/ directory.
set -u
: "${TESTS_DIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${BUILD:=$(cd "$TESTS_DIR/.." && pwd)/build}"
: "${PROCHIST:=$BUILD/prochist}"
: "${HELPERS:=$BUILD/helpers}"
: "${GEN:=$BUILD/gen-history}"
export TESTS_DIR BUILD PROCHIST HELPERS GEN
[ -x "$PROCHIST" ] || { echo "not ok - $(basename "$0"): no binary at $PROCHIST (run make test's build first)"; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ph-e2e-XXXXXX")
cleanup() { [ -n "${PH_KEEP_TMP:-}" ] && { echo "# kept $TMP"; return; }; rm -rf "$TMP"; }
trap cleanup EXIT
trap "cleanup; exit 1" INT TERM HUP PIPE
ok() { echo "ok - $1"; }
fail() { echo "not ok - $1"; shift; [ $# -gt 0 ] && echo "#   $*"; return 0; }
# skip NAME REASON: a check (or group of checks) that cannot run here.
skip() { echo "ok - $1 # SKIP $2"; }
# check NAME COMMAND...: ok when the command succeeds.
check() {
    name=$1; shift
    if "$@"; then ok "$name"; else fail "$name" "failed: $*"; fi
}
# within VALUE EXPECTED PCT: |VALUE - EXPECTED| <= PCT% of EXPECTED
within() {
    awk -v v="$1" -v e="$2" -v p="$3" 'BEGIN { d = v - e; if (d < 0) d = -d; exit !(e > 0 && d <= e * p / 100) }'
}
# need_linux NAME WHY: on any other system, skip NAME "needs Linux (WHY)"
# (tests/run.sh counts and shows skips) and stop this script.
need_linux() {
    if [ "$(uname -s)" != Linux ]; then
        skip "$1" "needs Linux ($2)"
        exit 0
    fi
}
# need_darwin NAME WHY: the same for tests of the macOS collector.
need_darwin() {
    if [ "$(uname -s)" != Darwin ]; then
        skip "$1" "needs macOS ($2)"
        exit 0
    fi
}
# file_mode PATH: permission bits in octal ("600"), GNU or BSD stat.
file_mode() { stat -c %a "$1" 2>/dev/null || stat -f %Lp "$1"; }
# peak_rss_kib PID: the peak resident set of a live process in KiB (Linux
# VmHWM); elsewhere its current RSS from ps, a lower bound of the peak.
peak_rss_kib() {
    if [ -r "/proc/$1/status" ]; then awk '/VmHWM/ { print $2 }' "/proc/$1/status"
    else ps -o rss= -p "$1" 2>/dev/null | tr -d ' '; fi
}
# runs CMD capturing stdout, stderr and status into $TMP/out, $TMP/err, $rc
capture() {
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
}

# CPU of a process and its direct children in DB, ns: own + reaped
# children's (family_ns), or own only (own_ns). Usage: family_ns DB PID,
# PID a child of this script. The process is the one with that pid whose
# parent is this script, its children those of its pid born while it lived
# (to a clock tick): another suite beside this one may reuse these pids.
family_sql() { # PID SUM-EXPRESSION
    echo "with r as (select proc, pid, start_ns b, coalesce(gone_ns, 9223372036854775807) g
                       from process where pid = $1 and ppid = $$),
               f as (select proc from r union
                     select p.proc from process p join r on p.ppid = r.pid
                      where p.start_ns >= r.b - 20000000 and p.start_ns <= r.g)
          select coalesce(sum($2), 0) from proc_sample where proc in (select proc from f)"
}
family_ns() {
    sqlite3 "$1" "$(family_sql "$2" 'coalesce(cpu_user_ns,0) + coalesce(cpu_system_ns,0)
                     + coalesce(child_cpu_user_ns,0) + coalesce(child_cpu_system_ns,0)')"
}
own_ns() {
    sqlite3 "$1" "$(family_sql "$2" 'coalesce(cpu_user_ns,0) + coalesce(cpu_system_ns,0)')"
}
# The output of `times` in the shell that waited, in ns: its own and its
# children's CPU (times_ns FILE), or its children's only (child_times_ns FILE)
times_ns() {
    awk 'NR <= 2 { for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } }
         END { printf "%.0f", t * 1e9 }' "$1"
}
child_times_ns() {
    awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } }
         END { printf "%.0f", t * 1e9 }' "$1"
}
# wait_samples DB N [TRIES]: until DB holds N samples (a recorder writing it in the
# background), polling every 50 ms at most TRIES times (200: 10 s); 0 when it got there.
# Read-only: a poll before the recorder made the file must not create it.
wait_samples() {
    _w=0
    while [ "$(sqlite3 -readonly "$1" 'select count(*) from sample' 2>/dev/null || echo 0)" -lt "$2" ]; do
        [ $_w -ge "${3:-200}" ] && return 1
        sleep 0.05
        _w=$((_w + 1))
    done
    return 0
}
# end_burner DB PID OUT: a burn workload (tests/helpers/burn with a long
# linger) ends when told, while a recorder writes DB: once its report is in
# OUT and two samples have read it since, SIGTERM, then two more samples see
# its end. A workload that ended on a timer could end while no recorder runs
# (its last part then unread) on a loaded machine.
end_burner() {
    _n=0
    until grep -q cpu_ns= "$3" || [ $_n -ge 1200 ]; do sleep 0.1; _n=$((_n + 1)); done
    _have=$(sqlite3 -readonly "$1" 'select count(*) from sample')
    wait_samples "$1" $((_have + 2)) 600
    kill -TERM "$2"
    wait "$2" 2>/dev/null
    _have=$(sqlite3 -readonly "$1" 'select count(*) from sample')
    wait_samples "$1" $((_have + 2)) 600
}
# wait_log FILE PATTERN: wait (up to 20 s) until FILE has a line matching
# the extended regex PATTERN; 1 when it never came.
wait_log() {
    _w=0
    until grep -Eq "$2" "$1" 2>/dev/null; do
        [ $_w -ge 400 ] && return 1
        sleep 0.05
        _w=$((_w + 1))
    done
    return 0
}
# A bound on the recorder's peak RSS in KiB: NORMAL for a plain build; an
# ASan build keeps up to 256 MiB of freed memory in quarantine, so 512 MiB.
rss_limit_kib() {
    if grep -q __asan_init "$PROCHIST" 2>/dev/null; then echo 524288; else echo "$1"; fi
}
