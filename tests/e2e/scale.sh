#!/bin/sh
# Ten thousand processes: the recorder samples every one of them, in bounded
# memory, and nothing crashes. (What it costs per process is measured by
# `make bench`, not asserted here.)
. "$(dirname "$0")/../lib.sh"
need_linux scale "counts processes in /proc"

N=${SCALE_PROCS:-10000}
nprocs() { ls /proc | grep -c '^[0-9]'; }
base=$(nprocs)
# Each ticker sleeps for the whole test (one wake, at the end) and dies with
# its parent.
# The parent says "started N" once all are forked (counting /proc instead
# would count what another suite beside this one starts or ends).
"$HELPERS/tickers" "$N" 300000 300 >"$TMP/tickers.out" 2>"$TMP/tickers.err" &
tk=$!
n=0
until grep -q '^started' "$TMP/tickers.out" || [ $n -ge 3000 ]; do
    sleep 0.1
    n=$((n + 1))
done
started=$(sed -n 's/^started //p' "$TMP/tickers.out")
check "scale: $N processes started (${started:-none})" [ "${started:-0}" -eq "$N" ]
procs=$(nprocs)
db="$TMP/scale.db"
PROCHIST_PROFILE=1 "$PROCHIST" record --db "$db" --interval 1 --count 4 --quiet 2>"$TMP/prof"
rc=$?
# The same with a hard limit of 2,048 open files: most processes cannot keep
# an fd between samples and are read by path.
tdb="$TMP/tight.db"
(ulimit -n 2048 && PROCHIST_PROFILE=1 "$PROCHIST" record --db "$tdb" --interval 1 --count 4 --quiet 2>"$TMP/tprof")
trc=$?
kill $tk 2>/dev/null
wait $tk 2>/dev/null
check "scale: the recorder exits 0 among $procs processes" [ "$rc" -eq 0 ]
seen=$(sqlite3 "$db" "select min(procs) || ' ' || count(*) from sample")
echo "# scale: $procs processes listed; samples saw at least ${seen% *} ($(sed -n 's/^profile: //p' "$TMP/prof"))"
check "scale: every sample saw all $N" [ "${seen% *}" -ge "$N" ]
check "scale: all 4 samples stored" [ "${seen#* }" = 4 ]
# A sample's recorder_cpu_ns is the CPU since the previous sample began, so
# the second holds the first sight of everything.
cpu=$(sqlite3 "$db" "select round(avg(recorder_cpu_ns) / 1e6, 1) from sample where sample > 2")
echo "# scale: recorder CPU per sample once all were seen: $cpu ms"
rss=$(sed -n 's/.* maxrss_kib \([0-9]*\).*/\1/p' "$TMP/prof")
# 64 MiB for this test's 10,000 and what the machine already ran; another
# copy of the suite running its own 10,000 beside it (before or during the
# recording: the most any sample listed) doubles the processes the recorder
# must hold, so the bound is per process beyond that.
most=$(sqlite3 "$db" "select max(procs) from sample")
[ "${most:-0}" -gt "$procs" ] && procs=$most
per=$(( procs > base + N ? 65536 * procs / (base + N) : 65536 ))
limit=$(rss_limit_kib $per)
check "scale: peak RSS bounded (${rss:-?} KiB, limit $limit)" [ "${rss:-999999999}" -lt "$limit" ]
check "scale: the database is intact" [ "$(sqlite3 "$db" 'pragma integrity_check')" = ok ]
check "scale: with 2,048 files allowed, the recorder exits 0" [ "$trc" -eq 0 ]
tseen=$(sqlite3 "$tdb" "select min(procs) || ' ' || count(*) from sample")
tcpu=$(sqlite3 "$tdb" "select round(avg(recorder_cpu_ns) / 1e6, 1) from sample where sample > 2")
echo "# scale: with 2,048 files: samples saw at least ${tseen% *}, $tcpu ms per sample"
check "scale: with 2,048 files allowed, every sample saw all $N" \
    sh -c '[ "$1" -ge "$2" ] && [ "$3" = 4 ]' sh "${tseen% *}" "$N" "${tseen#* }"
