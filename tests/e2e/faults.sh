#!/bin/sh
# Faults while recording: the disk fills (a file-size limit), the database
# is deleted or replaced under the recorder. The recorder keeps running,
# logs once, resumes; nothing crashes; what was stored stays intact.
. "$(dirname "$0")/../lib.sh"

# 1. Disk full: cap the recorder's file sizes, then lift the cap.
db="$TMP/full.db"
"$PROCHIST" record --db "$db" --interval 0.1 --count 60 2>"$TMP/full.log" &
rec=$!
sleep 1
if command -v prlimit >/dev/null 2>&1; then
    size=$(cat "$db" "$db-wal" 2>/dev/null | wc -c)
    prlimit --pid $rec --fsize=$((size / 2)):unlimited 2>/dev/null
    sleep 1.5
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
    echo "# prlimit (util-linux) missing: disk-full case skipped"
fi

# 2. The database deleted under a running recorder.
db="$TMP/gone.db"
"$PROCHIST" record --db "$db" --interval 0.1 --count 30 2>"$TMP/gone.log" &
rec=$!
sleep 1
rm -f "$db" "$db-wal" "$db-shm"
wait $rec
check "faults: recorder survives its database being deleted" [ $? -eq 0 ]
check "faults: the deletion is logged" grep -q "removed or replaced" "$TMP/gone.log"
check "faults: a new database was started" [ "$(sqlite3 "$db" 'select count(*) > 0 from sample')" = 1 ]

# 3. Replaced by a foreign file: logged, retried, never written into.
db="$TMP/swap.db"
"$PROCHIST" record --db "$db" --interval 0.1 --count 15 2>"$TMP/swap.log" &
rec=$!
sleep 0.8
rm -f "$db" "$db-wal" "$db-shm"
printf 'my notes, not a database\n' >"$db"
sleep 1
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
