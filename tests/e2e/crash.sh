#!/bin/sh
# kill -9 the recorder at random moments, many times, while a process burns
# a known amount of CPU: the database stays intact, every sample is whole,
# and the restarted recorders together account the CPU once (state is kept
# with every sample, so a crash loses nothing).
. "$(dirname "$0")/../lib.sh"

db="$TMP/crash.db"
KILLS=${CRASH_KILLS:-25}
"$HELPERS/burn" 2500 0 "$TMP/x" 800 >"$TMP/burn.out" 2>&1 &
burner=$!
i=0
seed=7
while [ $i -lt "$KILLS" ]; do
    "$PROCHIST" record --db "$db" --interval 0.05 --quiet 2>>"$TMP/rec.err" &
    rec=$!
    seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
    sleep "0.$(( 5 + seed % 30 ))"
    kill -9 $rec 2>/dev/null
    wait $rec 2>/dev/null
    i=$((i + 1))
done
wait $burner
# One more, clean, to see the burner's end.
"$PROCHIST" record --db "$db" --interval 0.1 --count 5 --quiet
echo "# $KILLS kill -9s survived"
check "crash: integrity_check after $KILLS kills" [ "$(sqlite3 "$db" 'pragma integrity_check')" = ok ]
bad=$(sqlite3 "$db" "select count(*) from sample s where rows_written <> (select count(*) from proc_sample p where p.sample = s.sample)")
check "crash: every stored sample is whole" [ "$bad" = 0 ]
samples=$(sqlite3 "$db" "select count(*) from sample")
check "crash: samples were stored between kills" [ "$samples" -gt "$KILLS" ]
pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$TMP/burn.out")
cpu_ns=$(sed -n 's/.*cpu_ns=\([0-9]*\).*/\1/p' "$TMP/burn.out")
seen=$(sqlite3 "$db" "select coalesce(sum(coalesce(cpu_user_ns,0) + coalesce(cpu_system_ns,0)), 0)
                      from proc_sample join process using (proc) where pid = $pid")
echo "# burner: measured ${cpu_ns} ns, recorded ${seen} ns across crashes"
if within "$seen" "$cpu_ns" 10; then ok "crash: CPU across $KILLS crashes counted once, within 10%"
else fail "crash: CPU across $KILLS crashes counted once, within 10%" "recorded $seen ns, measured $cpu_ns ns"; fi
