#!/bin/sh
# End to end on the live machine: a child burns a known amount of CPU and
# writes a known number of bytes with fsync; the recorder samples it at
# 0.2 s; `top --by process` must report both within 10% of what the child
# measured with getrusage.
. "$(dirname "$0")/../lib.sh"

db="$TMP/live.db"
"$PROCHIST" record --db "$db" --interval 0.2 --count 30 --quiet &
rec=$!
sleep 0.6
"$HELPERS/burn" 600 8388608 "$TMP/burnfile" 1500 >"$TMP/burn.out"
wait $rec
check "live: recorder exits 0 after --count" [ $? -eq 0 ]

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
ivl=$(sqlite3 "$db" "select count(*) from sample where interval_ns is not null and (interval_ns < 150000000 or interval_ns > 1000000000)")
[ "$ivl" = 0 ] || echo "# intervals: $(sqlite3 "$db" "select sample || ':' || interval_ns from sample" | tr '\n' ' ')"
check "live: sample intervals follow the 0.2 s cadence" [ "$ivl" = 0 ]
