#!/bin/sh
# End to end on the live machine: a child burns a known amount of CPU and
# writes a known number of bytes with fsync; the recorder samples it at
# 0.2 s; `top --by process` must report both within 10% of what the child
# measured with getrusage.
. "$(dirname "$0")/../lib.sh"

db="$TMP/live.db"
"$PROCHIST" record --db "$db" --interval 0.2 --quiet &
rec=$!
# The child is born after the first sample (an older process would get a
# baseline row, not its CPU since birth); it lingers after its work until
# two samples have read it, then is told to end, and two more samples see
# its end. Conditions, not sleeps: a loaded machine may take seconds.
wait_samples "$db" 1 600 || fail "live: the recorder stores a first sample"
"$HELPERS/burn" 600 8388608 "$TMP/burnfile" 600000 >"$TMP/burn.out" &
burner=$!
end_burner "$db" $burner "$TMP/burn.out"
kill -TERM $rec
wait $rec
check "live: recorder exits 0 on SIGTERM" [ $? -eq 0 ]
"$PROCHIST" record --db "$TMP/count.db" --interval 0.05 --count 3 --quiet
check "live: recorder exits 0 after --count" [ $? -eq 0 ]
check "live: --count 3 stores 3 samples" [ "$(sqlite3 "$TMP/count.db" 'select count(*) from sample')" = 3 ]

burn_pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$TMP/burn.out")
cpu_ns=$(sed -n 's/.*cpu_ns=\([0-9]*\).*/\1/p' "$TMP/burn.out")
written=$(sed -n 's/.*written=\([0-9]*\).*/\1/p' "$TMP/burn.out")

capture "$PROCHIST" top --db "$db" --by process --since 5m --format json --limit 1000
check "live: top --format json exits 0" [ "$rc" -eq 0 ]
row=$(jq -c --argjson pid "$burn_pid" '.rows[] | select(.pid == $pid)' "$TMP/out")
if [ -z "$row" ]; then
    fail "live: the burning child has a row" "pid $burn_pid not in: $(head -c 400 "$TMP/out")"
else
    ok "live: the burning child has a row"
    got_cpu=$(echo "$row" | jq '.cpu_s * 1e9')
    echo "# child: getrusage ${cpu_ns} ns CPU, wrote ${written} B; prochist: $(echo "$row" | jq -c '{cpu_s, disk_write_bytes}')"
    if within "$got_cpu" "$cpu_ns" 10; then ok "live: CPU within 10% of getrusage"
    else fail "live: CPU within 10% of getrusage" "prochist ${got_cpu} ns, child ${cpu_ns} ns"; fi
    got_w=$(echo "$row" | jq '.disk_write_bytes')
    if within "$got_w" "$written" 10; then ok "live: disk writes within 10% of bytes written"
    else fail "live: disk writes within 10% of bytes written" "prochist ${got_w}, child ${written}"; fi
    check "live: name is the executable's" [ "$(echo "$row" | jq -r .name)" = burn ]
fi

# The database is readable by sqlite3 through the documented views.
n=$(sqlite3 "$db" "select count(*) from v_proc_sample where pid = $burn_pid and cpu_s > 0")
check "live: v_proc_sample shows the child's CPU rows" [ "${n:-0}" -gt 0 ]
# The cadence itself (a grid, missed ticks skipped) is ph_next_tick's, tested
# in tests/unit/test_recorder.c: here, on a machine that may be loaded (a
# sample that takes longer than 0.2 s makes the next ticks missed), only
# that the recorder never samples faster than asked: the median interval.
median=$(sqlite3 "$db" "select interval_ns from sample where interval_ns is not null order by interval_ns
                        limit 1 offset (select count(interval_ns) / 2 from sample)")
echo "# intervals: median ${median} ns; shortest $(sqlite3 "$db" 'select min(interval_ns) from sample') ns, longest $(sqlite3 "$db" 'select max(interval_ns) from sample') ns"
check "live: never faster than asked (median interval ${median} ns >= 150 ms)" [ "${median:-0}" -ge 150000000 ]

# Status and io of a process that runs are read through fds kept while it
# runs: they stay that process's and give fresh figures. A shell writes 2
# bytes at a time (its own write(2)s: /proc/PID/io's wchar and syscw) over
# many samples, then becomes `sleep` (exec: the same process) and stays;
# what prochist recorded since its birth is what its io says at the end.
fdb="$TMP/fresh.db"
"$PROCHIST" record --db "$fdb" --interval 0.2 --quiet &
rec=$!
wait_samples "$fdb" 1 600 || fail "live: a second recorder stores a first sample"
sh -c 'i=0; while [ $i -lt 600000 ]; do echo x; i=$((i + 1)); done >"$1"; : >"$2"; exec sleep 120' sh \
    "$TMP/fresh.out" "$TMP/fresh.done" &
writer=$!
_n=0
until [ -e "$TMP/fresh.done" ] || [ $_n -ge 1200 ]; do sleep 0.1; _n=$((_n + 1)); done
have=$(sqlite3 -readonly "$fdb" 'select count(*) from sample')
wait_samples "$fdb" $((have + 3)) 600
kill -TERM $rec
wait $rec
wchar=$(sed -n 's/^wchar: //p' "/proc/$writer/io")
syscw=$(sed -n 's/^syscw: //p' "/proc/$writer/io")
kill $writer
wait $writer 2>/dev/null
got=$(sqlite3 -readonly "$fdb" "select sum(s.syscall_write_bytes) || ' ' || sum(s.syscalls_write) || ' ' ||
        sum(s.syscall_write_bytes > 0) from proc_sample s join process p on p.proc = s.proc where p.pid = $writer")
check "live: io read over many samples adds up to the process's own (wchar, syscw, rows: $got; io: $wchar $syscw)" \
    sh -c 'set -- $1 $2 $3; [ "$1" = "$4" ] && [ "$2" = "$5" ] && [ "$3" -ge 3 ]' sh "$got" "$wchar" "$syscw"
