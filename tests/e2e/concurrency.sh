#!/bin/sh
# Queries in a loop while the recorder writes every 0.2 s: no query fails
# (no "database is locked" reaches a user) and the recorder misses no sample.
# Whether the queries hold the recorder up is measured against a control: a
# second recorder, same cadence, same machine, same moment, no queries. A
# loaded machine makes both late; readers in the way would make only the
# queried one late.
. "$(dirname "$0")/../lib.sh"

db="$TMP/conc.db"
"$PROCHIST" record --db "$db" --interval 0.2 --count 40 --quiet &
rec=$!
"$PROCHIST" record --db "$TMP/control.db" --interval 0.2 --count 40 --quiet &
ctl=$!
# Queries start once the first sample is stored: before it, "no samples in
# this window" is the right answer (a busy machine can take a while).
wait_samples "$db" 1
fails=0
runs=0
while kill -0 $rec 2>/dev/null; do
    for cmd in "top --since 1m" "peak --since 1m" "apps --since 1m" "status"; do
        if ! "$PROCHIST" $cmd --db "$db" --format json >/dev/null 2>>"$TMP/q.err"; then
            fails=$((fails + 1))
        fi
        runs=$((runs + 1))
    done
done
wait $rec
check "concurrency: recorder exits 0" [ $? -eq 0 ]
echo "# $runs queries while recording, $fails failed"
check "concurrency: no query failed ($runs run)" [ "$fails" -eq 0 ]
[ "$fails" -eq 0 ] || sort "$TMP/q.err" | uniq -c | sort -rn | head -5 | sed 's/^/#   /'
check "concurrency: no 'locked' error" sh -c '! grep -qi locked "$1"' sh "$TMP/q.err"
n=$(sqlite3 "$db" "select count(*) from sample")
check "concurrency: all 40 samples stored" [ "$n" -eq 40 ]
wait $ctl
late_sql="select count(*) from sample where interval_ns > 300000000"
late=$(sqlite3 "$db" "$late_sql")
late_ctl=$(sqlite3 "$TMP/control.db" "$late_sql")
echo "# samples late by half an interval or more: $late with queries, $late_ctl in the control"
check "concurrency: queries do not make samples late ($late late, control $late_ctl)" [ "$late" -le $((late_ctl + 3)) ]
