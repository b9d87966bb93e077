#!/bin/sh
# kill -9 the recorder at random moments, many times, while a process burns
# a known amount of CPU: the database stays intact, every sample is whole,
# and the restarted recorders together account the CPU once, to within a
# clock tick (state is kept with every sample, so a crash loses nothing).
. "$(dirname "$0")/../lib.sh"

db="$TMP/crash.db"
KILLS=${CRASH_KILLS:-25}
start_recorder() {
    "$PROCHIST" record --db "$db" --interval 0.05 --quiet 2>>"$TMP/rec.err" &
    rec=$!
}
# The burner is born after the first recorder's first samples: all of its
# CPU is then due (a process already running at the first sample would get
# a baseline instead), so any loss or double count across crashes shows.
start_recorder
wait_samples "$db" 2
# It lingers (a long time) after its burn: it ends when told, below, while
# a recorder runs. A process that ends while no recorder runs loses what it
# burnt since its last reading (nothing can read it after its end), and on
# a loaded machine a restart can take longer than any fixed linger.
"$HELPERS/burn" 2500 0 "$TMP/x" 600000 >"$TMP/burn.out" 2>&1 &
burner=$!
i=0
seed=7
while [ $i -lt "$KILLS" ]; do
    # Each recorder stores a sample first (its start-up, quick_check
    # included, can take a while on a loaded machine), then is killed at a
    # random point of its cadence.
    if [ $i -gt 0 ]; then
        have=$(sqlite3 "$db" 'select count(*) from sample')
        start_recorder
        wait_samples "$db" $((have + 1))
    fi
    seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
    sleep "0.$(( 5 + seed % 30 ))"
    kill -9 $rec 2>/dev/null
    wait $rec 2>/dev/null
    i=$((i + 1))
done
# One more, clean, to see the burner's end: once its burn is done and a
# sample has read it since, it is told to end, and two more samples follow.
"$PROCHIST" record --db "$db" --interval 0.1 --quiet 2>>"$TMP/rec.err" &
rec=$!
end_burner "$db" $burner "$TMP/burn.out"
kill -TERM $rec
wait $rec
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
# Within two clock ticks (stat's user and system times are each rounded
# down; with exit records the runtime is exact): a lost or doubled sample
# interval is 50 ms of burn.
diff=$(awk -v a="$seen" -v b="$cpu_ns" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.0f", d }')
name="crash: CPU across $KILLS crashes counted once, within 20 ms (off by $diff ns)"
if [ "$diff" -le 20000000 ]; then ok "$name"
else fail "$name" "recorded $seen ns, measured $cpu_ns ns"; fi

# kill -9 during rollups: a history whose rollups never ran (a recorder back
# after 12 hours off), and recorders killed while they catch up on it. Then
# one clean run finishes, and every closed bucket must equal the raw rows it
# covers: none lost, none counted twice.
hdb="$TMP/catchup.db"
now=$(date +%s)
"$GEN" "$hdb" --hours 12 --alive 60 --busy 10 --churn 0.3 --seed 5 --no-maintain \
    --start $(( (now - 12 * 3600 - 120) / 60 * 60 )) >/dev/null
done_at() { sqlite3 "$hdb" "select coalesce((select value from meta where key = 'minute_done'), 0)" 2>/dev/null; }
k=0
: >"$TMP/progress"
while [ $k -lt 15 ]; do
    have=$(sqlite3 "$hdb" 'select count(*) from sample')
    "$PROCHIST" record --db "$hdb" --interval 0.05 --quiet 2>>"$TMP/rec.err" &
    rec=$!
    # Past its start-up (a sample stored) before the random kill, so the
    # kills land in the catch-up however slow the machine is.
    wait_samples "$hdb" $((have + 1))
    seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
    sleep "0.0$(( seed % 10 ))"
    kill -9 $rec 2>/dev/null
    wait $rec 2>/dev/null
    done_at >>"$TMP/progress"
    k=$((k + 1))
done
steps=$(sort -u "$TMP/progress" | wc -l)
final=$(sqlite3 "$hdb" "select value from meta where key = 'minute_done'")
"$PROCHIST" record --db "$hdb" --interval 0.05 --count 150 --quiet
end=$(sqlite3 "$hdb" "select value from meta where key = 'minute_done'")
echo "# rollups: minute_done took $steps distinct values over 15 kills"
check "crash: kills landed while rollups were catching up ($steps steps)" \
    sh -c '[ "$1" -ge 3 ] && [ "$2" -lt "$3" ]' sh "$steps" "${final:-0}" "${end:-0}"
check "crash: integrity_check after kills during rollups" [ "$(sqlite3 "$hdb" 'pragma integrity_check')" = ok ]
for tier in minute hour; do
    got=$(sqlite3 "$hdb" "select (select sum(cpu_user_ns) from proc_$tier) || ' ' || (select sum(disk_write_bytes) from proc_$tier)")
    want=$(sqlite3 "$hdb" "select (select sum(p.cpu_user_ns) from proc_sample p join sample using (sample)
                                    where ts_ns <= (select value from meta where key = '${tier}_done'))
                        || ' ' || (select sum(p.disk_write_bytes) from proc_sample p join sample using (sample)
                                    where ts_ns <= (select value from meta where key = '${tier}_done'))")
    echo "# $tier tier: cpu_user_ns and disk_write_bytes $got; raw rows of the closed buckets: $want"
    check "crash: $tier buckets equal their raw rows after kills during rollups" \
        sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' sh "$got" "$want"
done

# A writer killed in mid-transaction leaves a hot journal, which a read-only
# open may not roll back (what a recorder killed while creating its file
# leaves): the query tool says so and what repairs it, and a recorder started
# on it does repair it.
jdb="$TMP/journal.db"
"$PROCHIST" record --db "$jdb" --count 2 --interval 0.1 --quiet
sqlite3 "$jdb" "pragma journal_mode = delete" >/dev/null
mkfifo "$TMP/jfifo"
sqlite3 "$jdb" <"$TMP/jfifo" >"$TMP/jout" 2>&1 &
writer=$!
exec 9>"$TMP/jfifo" # held open: sqlite3 waits for more input inside its transaction
echo "pragma cache_size = 2; begin; update process set name = name || 'x';" >&9
echo "insert into meta(key, value) select 'junk' || value, randomblob(3000) from generate_series(1, 300);" >&9
echo "select 'statements-done';" >&9
n=0
until grep -q statements-done "$TMP/jout" || [ $n -ge 300 ]; do
    sleep 0.1; n=$((n + 1))
done
kill -9 $writer
wait $writer 2>/dev/null
exec 9>&-
check "crash: a killed writer left a hot journal" [ -s "$jdb-journal" ]
capture "$PROCHIST" top --db "$jdb" --since 1h
check "crash: a query of a file with a hot journal says what repairs it (rc $rc)" sh -c \
    '[ "$1" -eq 1 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q "unfinished write.*prochist record --db" "$2"' sh "$rc" "$TMP/err"
"$PROCHIST" record --db "$jdb" --count 1 --quiet
capture "$PROCHIST" top --db "$jdb" --since 1h
check "crash: a recorder repairs a file with a hot journal (rc $rc)" sh -c \
    '[ "$1" -eq 0 ] && ! sqlite3 "$2" "select 1 from meta where key like '"'"'junk%'"'"'" | grep -q 1' sh "$rc" "$jdb"
