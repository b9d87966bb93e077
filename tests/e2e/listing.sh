#!/bin/sh
# The listing without a scan, on the live kernel. While no PID is allocated
# the recorder does not scan /proc; a process born in that time must still
# be seen at once (its fork moved the kernel's allocation cursor) and
# charged in full, and one that exits must be closed.
. "$(dirname "$0")/../lib.sh"
need_linux listing "the /proc scan skip (loadavg PID cursor)"

db="$TMP/listing.db"
# /proc/loadavg's cursor is that of the reader's PID namespace. In a private
# one (root, util-linux unshare) only this test's own forks move it, so the
# skip is observed however busy the machine is; elsewhere every process
# started on the machine moves it and the check below needs a quiet machine.
ns=
if unshare --pid --fork --mount-proc true 2>/dev/null; then
    ns="unshare --pid --fork --mount-proc"
else
    echo "# no private PID namespace here: this test needs a machine where no process starts for a while"
fi
export PROCHIST HELPERS TMP db
$ns sh -c '
    PROCHIST_NO_EXITS=1 PROCHIST_PROFILE=1 "$PROCHIST" record --db "$db" --interval 0.1 --count 40 \
        --quiet 2>"$TMP/prof" &
    rec=$!
    sleep 1 # nothing else starts meanwhile: the recorder skips its scans
    "$HELPERS/burn" 300 0 "$TMP/burnfile" 600 >"$TMP/burn.out"
    wait $rec
'
check "listing: recorder exits 0" [ $? -eq 0 ]
skipped=$(sed -n 's/.* listings_skipped \([0-9]*\).*/\1/p' "$TMP/prof")
# About 25 of 40 samples have no fork before them here; demand a few.
check "listing: scans were skipped while nothing started (${skipped:-?} of 40)" [ "${skipped:-0}" -ge 5 ]
pid=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$TMP/burn.out")
want=$(sed -n 's/.* cpu_ns=\([0-9]*\) .*/\1/p' "$TMP/burn.out")
got=$(sqlite3 "$db" "select coalesce(sum(coalesce(cpu_user_ns,0) + coalesce(cpu_system_ns,0)), 0)
                     from proc_sample join process using (proc) where pid = $pid and name = 'burn'")
check "listing: a process born after skipped scans is charged in full (${got} of ${want} ns)" \
    within "${got:-0}" "${want:-0}" 10
gone=$(sqlite3 "$db" "select count(*) from process where pid = $pid and name = 'burn' and gone_ns is not null")
check "listing: the process that exited is closed" [ "$gone" = 1 ]
