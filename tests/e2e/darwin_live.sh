#!/bin/sh
# macOS, live: a workload with a known CPU time and footprint runs under
# /usr/bin/time -l while the recorder samples at 0.2 s. prochist's CPU must
# be within 10% of the workload's own getrusage, its peak footprint within
# 10% of the "peak memory footprint" /usr/bin/time -l reports, and
# `prochist doctor` must exit 0. (Runs in the GitHub Actions workflow on
# macos-14 arm64 and macos-13 x86_64; skipped elsewhere.)
. "$(dirname "$0")/../lib.sh"
need_darwin darwin_live "proc_pid_rusage, phys_footprint and /usr/bin/time -l"

capture "$PROCHIST" doctor
check darwin_live_doctor_exit_0 [ "$rc" -eq 0 ]
echo "# doctor:"; sed 's/^/#   /' "$TMP/out"
capture "$PROCHIST" doctor --format json
check darwin_live_doctor_json_ok [ "$(jq -r .ok "$TMP/out")" = true ]
check darwin_live_doctor_reads_rusage \
    [ "$(jq -r '.sources[] | select(.source == "rusage flavor") | .state' "$TMP/out")" != missing ]

db="$TMP/live.db"
"$PROCHIST" record --db "$db" --interval 0.2 --count 30 --quiet &
rec=$!
wait_samples "$db" 1
/usr/bin/time -l "$HELPERS/hog" 800 96 1500 >"$TMP/hog.out" 2>"$TMP/time.err"
wait $rec
check darwin_live_recorder_exit_0 [ $? -eq 0 ]

pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$TMP/hog.out")
cpu_ns=$(sed -n 's/.*cpu_ns=\([0-9]*\).*/\1/p' "$TMP/hog.out")
peak=$(awk '/peak memory footprint/ { print $1 }' "$TMP/time.err")
echo "# hog: pid ${pid:-?}, getrusage ${cpu_ns:-?} ns, /usr/bin/time -l peak footprint ${peak:-?} B"

got_cpu=$(sqlite3 "$db" "select coalesce(sum(coalesce(cpu_user_ns, 0) + coalesce(cpu_system_ns, 0)), 0)
                         from proc_sample join process using (proc) where pid = ${pid:-0}")
got_peak=$(sqlite3 "$db" "select coalesce(max(footprint_lifetime_max_bytes), 0)
                          from proc_sample join process using (proc) where pid = ${pid:-0}")
echo "# prochist: cpu ${got_cpu} ns, peak footprint ${got_peak} B"
check darwin_live_cpu_within_10pct_of_getrusage within "${got_cpu:-0}" "${cpu_ns:-0}" 10
check darwin_live_time_reports_footprint [ -n "$peak" ]
check darwin_live_peak_footprint_within_10pct_of_time within "${got_peak:-0}" "${peak:-0}" 10
n=$(sqlite3 "$db" "select count(*) from proc_sample join process using (proc)
                   where pid = ${pid:-0} and state in (82, 83)") # 'R' or 'S'
check darwin_live_state_is_running_or_sleeping [ "${n:-0}" -gt 0 ]
