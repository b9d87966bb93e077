#!/bin/sh
# Faults while recording: the disk fills (a file-size limit), the database
# is deleted or replaced under the recorder. The recorder keeps running,
# logs once, resumes; nothing crashes; what was stored stays intact.
. "$(dirname "$0")/../lib.sh"

# 1. Disk full: cap the recorder's file sizes, then lift the cap.
db="$TMP/full.db"
"$PROCHIST" record --db "$db" --interval 0.1 --count 60 2>"$TMP/full.log" &
rec=$!
wait_samples "$db" 3
if command -v prlimit >/dev/null 2>&1; then
    size=$(cat "$db" "$db-wal" 2>/dev/null | wc -c)
    prlimit --pid $rec --fsize=$((size / 2)):unlimited 2>/dev/null
    wait_log "$TMP/full.log" "could not write sample"
    capture "$PROCHIST" top --db "$db" --since 1m --format json
    check "faults: queries work while the disk is full" [ "$rc" -eq 0 ]
    prlimit --pid $rec --fsize=unlimited:unlimited
    wait $rec
    check "faults: recorder survives a full disk (exit 0)" [ $? -eq 0 ]
    n_fail=$(grep -c "could not write sample" "$TMP/full.log")
    check "faults: the write failure is logged once" [ "$n_fail" -eq 1 ]
    check "faults: recovery is logged" grep -q "writing samples again" "$TMP/full.log"
    check "faults: the database is intact" [ "$(sqlite3 "$db" 'pragma integrity_check')" = ok ]
    # Every sample the recorder finally stored is whole, and it reached its count.
    check "faults: 60 samples stored after recovery" [ "$(sqlite3 "$db" 'select count(*) from sample')" -eq 60 ]
else
    kill $rec
    wait $rec
    skip "faults: disk full" "prlimit (util-linux) missing"
fi

# 2. The database deleted under a running recorder.
db="$TMP/gone.db"
"$PROCHIST" record --db "$db" --interval 0.1 --count 30 2>"$TMP/gone.log" &
rec=$!
wait_samples "$db" 3
rm -f "$db" "$db-wal" "$db-shm"
wait $rec
check "faults: recorder survives its database being deleted" [ $? -eq 0 ]
check "faults: the deletion is logged" grep -q "removed or replaced" "$TMP/gone.log"
check "faults: a new database was started" [ "$(sqlite3 "$db" 'select count(*) > 0 from sample')" = 1 ]

# 3. Replaced by a foreign file: logged, retried, never written into.
db="$TMP/swap.db"
# No --count: on a loaded machine the recorder could be done before the
# swap; it runs until the refusal was logged and it is told to stop.
"$PROCHIST" record --db "$db" --interval 0.1 2>"$TMP/swap.log" &
rec=$!
wait_samples "$db" 3 600
rm -f "$db" "$db-wal" "$db-shm"
printf 'my notes, not a database\n' >"$db"
wait_log "$TMP/swap.log" "not a prochist database"
kill -TERM $rec
wait $rec
check "faults: recorder survives a foreign file in its place" [ $? -eq 0 ]
check "faults: the foreign file is refused and logged" grep -q "not a prochist database" "$TMP/swap.log"
check "faults: the foreign file is untouched" [ "$(cat "$db")" = "my notes, not a database" ]

# 4. Names with newlines, spaces and invalid UTF-8 survive to valid JSON.
db="$TMP/names.db"
cp "$HELPERS/spin" "$TMP/$(printf 'we\nird \377name')"
"$PROCHIST" record --db "$db" --interval 0.1 --count 8 --quiet &
rec=$!
sleep 0.3
"$TMP/$(printf 'we\nird \377name')" 300
wait $rec
capture "$PROCHIST" top --db "$db" --by process --since 1m --format json -n 1000
check "faults: odd names give valid JSON" jq -e '.rows | length > 0' "$TMP/out"
check "faults: JSON output is valid UTF-8" iconv -f UTF-8 -t UTF-8 "$TMP/out" -o /dev/null
capture "$PROCHIST" top --db "$db" --by process --since 1m -n 1000
check "faults: odd names in a table stay on one line" sh -c '! grep -q "^ird" "$1"' sh "$TMP/out"

# 5. A long reader holds a read transaction: the recorder (WAL) still writes.
db="$TMP/reader.db"
"$PROCHIST" record --db "$db" --count 2 --interval 0.1 --quiet
( printf 'BEGIN;\nSELECT count(*) FROM sample;\n'; sleep 3; printf 'COMMIT;\n' ) | sqlite3 "$db" >/dev/null &
reader=$!
sleep 0.3
"$PROCHIST" record --db "$db" --count 15 --interval 0.1 2>"$TMP/reader.log"
check "faults: recorder writes while a reader holds a transaction" [ $? -eq 0 ]
check "faults: ... and stores every sample" [ "$(sqlite3 "$db" 'select count(*) from sample')" -eq 17 ]
check "faults: ... without a lock error" sh -c '! grep -Eqi "locked|could not" "$1"' sh "$TMP/reader.log"
wait $reader

# 6. A database path that cannot be created: one line, exit 1.
: >"$TMP/afile" # a path under a regular file: ENOTDIR on every system
capture "$PROCHIST" record --db "$TMP/afile/sub/p.db" --count 1
check "faults: an impossible database path is one line, exit 1" sh -c '[ "$1" -eq 1 ] && [ "$(wc -l <"$2")" -eq 1 ]' sh "$rc" "$TMP/err"
# A symlinked database path is refused (never followed into a place not chosen).
ln -s "$TMP/elsewhere.db" "$TMP/link.db"
capture "$PROCHIST" record --db "$TMP/link.db" --count 1
check "faults: a symlinked database is refused" sh -c '[ "$1" -eq 1 ] && grep -q "symbolic link" "$2"' sh "$rc" "$TMP/err"
check "faults: ... and nothing is created at its target" [ ! -e "$TMP/elsewhere.db" ]

# 7. A storm of short-lived processes: bounded memory, nothing lost in the parent.
# The recorder runs until the storm is over and a sample after it is stored,
# so its peak is read while it lives (a fixed --count could end first on a
# loaded machine, and the read found no process).
db="$TMP/storm.db"
"$PROCHIST" record --db "$db" --interval 0.2 --quiet &
rec=$!
wait_samples "$db" 1
sh -c 'i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i + 1)); done; times >"$1"' sh "$TMP/storm.times"
wait_samples "$db" $(($(sqlite3 "$db" 'select count(*) from sample') + 1))
hwm=$(peak_rss_kib $rec)
kill -TERM $rec
wait $rec
check "faults: recorder survives 2,000 short processes (exit 0)" [ $? -eq 0 ]
limit=$(rss_limit_kib 20480)
check "faults: recorder peak RSS stays bounded (${hwm:-?} KiB, limit $limit)" \
    sh -c '[ "$1" -gt 0 ] && [ "$1" -lt "$2" ]' sh "${hwm:-0}" "$limit"

# 8. Set-uid: refused before anything else.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
    cp "$PROCHIST" "$TMP/suid-prochist"
    chmod 4755 "$TMP/suid-prochist"
    chmod 755 "$TMP"
    capture setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/suid-prochist" status
    chmod 700 "$TMP"
    check "faults: a set-uid binary refuses to run" sh -c '[ "$1" -eq 1 ] && grep -q "set-uid" "$2"' sh "$rc" "$TMP/err"
fi

# 9. The wall clock steps back 2 hours, then forward a day, while recording
# (libfaketime): intervals come from the boot clock, so none is negative or
# bogus, and every sample is kept.
ft=$(ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 2>/dev/null | head -1)
if [ -z "$ft" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null 2>&1
    ft=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
fi
if [ -n "$ft" ]; then
    db="$TMP/clock.db"
    echo "+0" >"$TMP/faketime"
    # Under ASan the preload order check would refuse libfaketime first.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    LD_PRELOAD="$ft" FAKETIME_TIMESTAMP_FILE="$TMP/faketime" FAKETIME_NO_CACHE=1 \
        FAKETIME_DONT_FAKE_MONOTONIC=1 "$PROCHIST" record --db "$db" --interval 0.2 --quiet &
    rec=$!
    # Each step after samples were stored on the other side of it.
    wait_samples "$db" 3 600
    echo "-2h" >"$TMP/faketime"
    wait_samples "$db" 6 600
    echo "+1d" >"$TMP/faketime"
    wait_samples "$db" 9 600
    kill -TERM $rec
    wait $rec
    check "faults: recorder survives wall-clock steps (exit 0)" [ $? -eq 0 ]
    n=$(sqlite3 "$db" 'select count(*) from sample')
    gaps=$(sqlite3 "$db" 'select max(sample) - min(sample) + 1 - count(*) from sample')
    check "faults: every sample kept across clock steps ($n, none missing)" [ "$n" -ge 9 -a "$gaps" -eq 0 ]
    # A wall-clock step would show as an interval of about -2 h or +1 d; a
    # loaded machine makes intervals of a few seconds at most.
    bad=$(sqlite3 "$db" "select count(*) from sample where interval_ns <= 0 or interval_ns > 60000000000")
    check "faults: no negative or bogus interval across clock steps" [ "$bad" -eq 0 ]
    steps=$(sqlite3 "$db" "select count(*) from sample a join sample b on b.sample = a.sample + 1 where b.ts_ns < a.ts_ns")
    check "faults: the backward step is visible in ts_ns (it did happen)" [ "$steps" -ge 1 ]
    check "faults: integrity after clock steps" [ "$(sqlite3 "$db" 'pragma integrity_check')" = ok ]
else
    skip "faults: wall-clock step" "libfaketime not available"
fi
