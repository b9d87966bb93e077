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
    n() { sqlite3 "$db" "select count(*) from sample" 2>/dev/null || echo 0; }
    PROCHIST_NO_EXITS=1 PROCHIST_PROFILE=1 "$PROCHIST" record --db "$db" --interval 0.1 \
        --quiet 2>"$TMP/prof" &
    rec=$!
    # Twelve samples stored while nothing else starts (a poll a second
    # moves the cursor once a second), then the burner, then two samples
    # after its exit: conditions, not a sample count that a loaded machine
    # could end before the burner does.
    until [ "$(n)" -ge 12 ] || ! kill -0 $rec 2>/dev/null; do sleep 1; done
    "$HELPERS/burn" 300 0 "$TMP/burnfile" 600 >"$TMP/burn.out"
    want=$(($(n) + 2))
    until [ "$(n)" -ge $want ] || ! kill -0 $rec 2>/dev/null; do sleep 0.2; done
    kill -TERM $rec 2>/dev/null
    wait $rec
'
check "listing: recorder exits 0" [ $? -eq 0 ]
skipped=$(sed -n 's/.* listings_skipped \([0-9]*\).*/\1/p' "$TMP/prof")
# Most samples have no fork before them in the namespace; demand a few.
check "listing: scans were skipped while nothing started (${skipped:-?} of $(sqlite3 "$db" "select count(*) from sample"))" [ "${skipped:-0}" -ge 5 ]
pid=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$TMP/burn.out")
want=$(sed -n 's/.* cpu_ns=\([0-9]*\) .*/\1/p' "$TMP/burn.out")
got=$(sqlite3 "$db" "select coalesce(sum(coalesce(cpu_user_ns,0) + coalesce(cpu_system_ns,0)), 0)
                     from proc_sample join process using (proc) where pid = $pid and name = 'burn'")
check "listing: a process born after skipped scans is charged in full (${got} of ${want} ns)" \
    within "${got:-0}" "${want:-0}" 10
gone=$(sqlite3 "$db" "select count(*) from process where pid = $pid and name = 'burn' and gone_ns is not null")
check "listing: the process that exited is closed" [ "$gone" = 1 ]
