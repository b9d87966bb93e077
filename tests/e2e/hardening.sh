#!/bin/sh
# Issue 14 (items 5-10, 12, 13 and the --db checks of 11): what a hostile
# local user or an unlucky operator can put in the recorder's way. Each
# refusal is one line and a non-zero exit, nothing hangs, nothing is
# created where it should not be, and the size cap removes only the oldest
# data.
. "$(dirname "$0")/../lib.sh"

P=$PROCHIST
# lines FILE: how many lines the command wrote there
lines() { wc -l <"$1" | tr -d ' '; }
# wait_for FILE PATTERN [TENTHS]: until grep finds PATTERN in FILE
wait_for() {
    _n=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        [ $_n -ge "${3:-150}" ] && return 1
        sleep 0.1
        _n=$((_n + 1))
    done
    return 0
}
# no_hang NAME CMD...: runs CMD under a 300 s timeout (a hang, not a slow machine) into $TMP/out, $TMP/err
no_hang() {
    timeout 300 "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
}
mode() { stat -c %a "$1"; }
# yes CONDITION-COMMAND...: 0 or 1 in $v (to combine several into one check)
yes() { if "$@"; then v=0; else v=1; fi; }

# ---- 11 (paths) and 12: no stray files ----
mkdir "$TMP/empty"
(cd "$TMP/empty" && "$P" record --db '' --count 1 >"$TMP/out" 2>"$TMP/err")
rc=$?
check "paths: record --db '' exits 2" [ "$rc" -eq 2 ]
check "paths: record --db '' says so in one line" [ "$(lines "$TMP/err")" -eq 1 ]
check "paths: record --db '' creates nothing" [ -z "$(ls -A "$TMP/empty")" ]
for cmd in top status export; do
    capture "$P" $cmd --db ''
    check "paths: $cmd --db '' exits 2 with one line" [ "$rc" -eq 2 -a "$(lines "$TMP/err")" -eq 1 ]
done
long=$(printf "%05000d" 0 | tr 0 a)
for cmd in record top status export; do
    (cd "$TMP/empty" && "$P" $cmd --db "$long" >"$TMP/out" 2>"$TMP/err")
    rc=$?
    check "paths: $cmd --db longer than PATH_MAX exits 2 with one line" \
        [ "$rc" -eq 2 -a "$(lines "$TMP/err")" -eq 1 ]
done
check "paths: a long --db creates nothing" [ -z "$(ls -A "$TMP/empty")" ]

if [ ! -e /dev/null.lock ]; then
    capture "$P" record --db /dev/null --count 1
    check "paths: record --db /dev/null refused in one line" [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 ]
    check "paths: record --db /dev/null creates no /dev/null.lock" [ ! -e /dev/null.lock ]
    rm -f /dev/null.lock
else
    skip "hardening: lock beside a device" "/dev/null.lock exists already"
fi
mkdir "$TMP/adir"
capture "$P" record --db "$TMP/adir" --count 1
check "paths: record --db DIRECTORY refused in one line" [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 ]
check "paths: record --db DIRECTORY leaves no DIRECTORY.lock" [ ! -e "$TMP/adir.lock" ]

# ---- 8: FIFOs never hang anything ----
mkfifo "$TMP/fifo.db"
for cmd in "record --count 1" "top" "status" "export"; do
    no_hang "$P" $cmd --db "$TMP/fifo.db"
    check "fifo: $cmd on a FIFO database does not hang" [ "$rc" -ne 124 ]
    yes grep -q FIFO "$TMP/err"
    check "fifo: $cmd on a FIFO database refused in one line" [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 -a $v -eq 0 ]
done
db="$TMP/lockfifo.db"
"$P" record --db "$db" --count 1 --quiet 2>/dev/null
rm -f "$db.lock"
mkfifo "$db.lock"
for cmd in "record --count 1" "status"; do
    no_hang "$P" $cmd --db "$db"
    check "fifo: $cmd with a FIFO lock file does not hang" [ "$rc" -ne 124 ]
done
no_hang "$P" record --count 1 --db "$db"
check "fifo: record refuses a FIFO lock file in one line" [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 ]

# The database replaced by a FIFO under a running recorder: it says so and
# keeps its cadence (it used to block in open() for ever), then records to
# a new file once the FIFO is gone.
db="$TMP/swap.db"
"$P" record --db "$db" --interval 0.1 >"$TMP/swap.log" 2>&1 &
rec=$!
wait_samples "$db" 2
mkfifo "$TMP/new-fifo"
mv -f "$TMP/new-fifo" "$db" # atomically: the recorder never sees the path empty
check "fifo: a running recorder refuses a FIFO put at its path" wait_for "$TMP/swap.log" "FIFO"
rm -f "$db"
check "fifo: ... and records again once it is gone" wait_for "$TMP/swap.log" "recording to .* again"
kill -TERM $rec 2>/dev/null
wait $rec
check "fifo: the recorder stops cleanly" [ $? -eq 0 ]

# ---- 5: a database other users can read or write ----
db="$TMP/open.db"
"$P" record --db "$db" --count 1 --quiet 2>/dev/null
chmod 0666 "$db"
: >"$db-wal"
chmod 0666 "$db-wal"
capture "$P" record --db "$db" --count 1 --quiet
check "mode: record on a 0666 database works" [ "$rc" -eq 0 ]
check "mode: the database is made 0600" [ "$(mode "$db")" = 600 ]
check "mode: one line says so for the file" [ "$(grep -c "$db was open to other users (mode 0666); made it 0600" "$TMP/err")" -eq 1 ]
check "mode: and one for its -wal" [ "$(grep -c "$db-wal was open to other users" "$TMP/err")" -eq 1 ]
chmod 0660 "$db"
capture "$P" record --db "$db" --count 1 --quiet
check "mode: a group-writable database is made 0600" [ "$(mode "$db")" = 600 ]
if id nobody >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    chown nobody "$db"
    sum=$(cksum <"$db")
    capture "$P" record --db "$db" --count 1
    yes grep -q "belongs to uid" "$TMP/err"
    check "mode: another user's database is refused in one line" [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 -a $v -eq 0 ]
    check "mode: ... and left as it was" [ "$(cksum <"$db")" = "$sum" ]
else
    skip "hardening: another user's database" "needs root and a 'nobody' user"
fi

# ---- 9: corruption is refused, never written into; queries say what to do ----
db="$TMP/bad.db"
"$P" record --db "$db" --count 3 --interval 0.1 --quiet 2>/dev/null
cp "$db" "$TMP/bad-query.db"
psize=$(sqlite3 "$db" "pragma page_size")
# The header of a table's page the recorder does not read while sampling
# (the hour tier's): the old recorder went on writing, exit 0.
page=$(sqlite3 "$db" "select rootpage from sqlite_master where name = 'proc_hour'")
printf '\377\377\377\377' | dd of="$db" bs=1 seek=$(( (page - 1) * psize )) conv=notrunc 2>/dev/null
sum=$(cksum <"$db")
capture timeout 300 "$P" record --db "$db" --count 2 --interval 0.1
check "corrupt: record refuses a damaged database at once" [ "$rc" -ne 0 -a "$rc" -ne 124 ]
yes grep -q "corrupt (quick_check: Page $page" "$TMP/err"
v1=$v
yes grep -qF "sqlite3 $db .recover" "$TMP/err"
check "corrupt: in one line naming quick_check and .recover" [ "$(lines "$TMP/err")" -eq 1 -a $v1 -eq 0 -a $v -eq 0 ]
check "corrupt: the damaged file is not modified" [ "$(cksum <"$db")" = "$sum" ]
# A data page's header overwritten: queries that read it say what to do.
# The damage is fixed bytes, not random ones: random cell pointers into a
# one-page leaf can decode as records SQLite cannot tell from good ones
# (43 of 200 random runs answered rc 0), which made this check a coin toss.
db="$TMP/bad-query.db"
page=$(sqlite3 "$db" "select rootpage from sqlite_master where name = 'proc_sample'")
printf '\377\377\377\377' | dd of="$db" bs=1 seek=$(( (page - 1) * psize )) conv=notrunc 2>/dev/null
capture "$P" top --db "$db" --since 1h
yes grep -qF "$db is corrupt" "$TMP/err"
v1=$v
yes grep -qF "sqlite3 $db .recover" "$TMP/err"
check "corrupt: a query that hits the damage names the file and 'sqlite3 PATH .recover'" [ "$rc" -ne 0 -a $v1 -eq 0 -a $v -eq 0 ]

# ---- 10: the real cause of a write failure ----
db="$TMP/busy.db"
"$P" record --db "$db" --interval 0.2 >"$TMP/busy.log" 2>&1 &
rec=$!
wait_samples "$db" 2
# Another writer holds the write lock (for longer than the 5 s busy wait).
mkfifo "$TMP/sql"
sqlite3 "$db" <"$TMP/sql" >"$TMP/sql.out" 2>&1 &
holder=$!
exec 7>"$TMP/sql"
printf '.timeout 10000\nBEGIN IMMEDIATE;\nSELECT 42;\n' >&7
wait_for "$TMP/sql.out" 42
check "errors: a lock held by another writer is logged as 'database is locked'" \
    wait_for "$TMP/busy.log" "could not write sample .*database is locked (SQLITE_BUSY" 200
check "errors: not as the rollback's message" sh -c '! grep -q "no transaction is active\|not an error" "$1"' sh "$TMP/busy.log"
printf 'ROLLBACK;\n.quit\n' >&7
exec 7>&-
wait $holder
check "errors: writing resumes once the lock is gone" wait_for "$TMP/busy.log" "writing samples again" 200
kill -TERM $rec 2>/dev/null
wait $rec

# 600 KiB: room for the schema (its WAL at creation took 370 KiB with schema
# 13) and the first samples, then full while sampling.
if [ "$(id -u)" -eq 0 ] && mkdir "$TMP/full" && mount -t tmpfs -o size=600k tmpfs "$TMP/full" 2>/dev/null; then
    "$P" record --db "$TMP/full/f.db" --interval 0.02 --count 3000 >"$TMP/full.log" 2>&1 &
    rec=$!
    check "errors: a full disk is logged as full" \
        wait_for "$TMP/full.log" "could not write sample .*disk is full (SQLITE_FULL" 300
    check "errors: not as the rollback's message" sh -c '! grep -q "no transaction is active\|not an error" "$1"' sh "$TMP/full.log"
    kill -TERM $rec 2>/dev/null
    wait $rec
    umount "$TMP/full"
else
    skip "hardening: full disk" "needs root to mount a small tmpfs"
fi

# ---- 7: the lock is taken again on every reopen ----
mkdir "$TMP/gone"
db="$TMP/gone/p.db"
"$P" record --db "$db" --interval 1 >"$TMP/a.log" 2>&1 &
a=$!
wait_samples "$db" 1
rm -rf "$TMP/gone"
mkdir "$TMP/gone"
# A second recorder now: either it is refused (the first took the lock back
# already) or it gets the lock and the first stops. Never both.
"$P" record --db "$db" --interval 0.2 >"$TMP/b.log" 2>&1 &
b=$!
n=0
while ! cat "$TMP/a.log" "$TMP/b.log" | grep -q "another recorder" && [ $n -lt 150 ]; do
    sleep 0.1
    n=$((n + 1))
done
# the one that lost exits at once (B at its start, A at its next sample)
n=0
while kill -0 $a 2>/dev/null && kill -0 $b 2>/dev/null && [ $n -lt 50 ]; do
    sleep 0.1
    n=$((n + 1))
done
alive=0
for p in $a $b; do kill -0 $p 2>/dev/null && alive=$((alive + 1)); done
check "lock: after the directory is recreated only one recorder writes" [ "$alive" -eq 1 ]
check "lock: the other says so" sh -c 'cat "$1" "$2" | grep -q "another recorder"' sh "$TMP/a.log" "$TMP/b.log"
wait_samples "$db" 1 # the survivor's first sample (status reads the file)
running=$("$P" status --db "$db" --format json 2>"$TMP/st.err" | grep -c '"recording":[[:space:]]*true')
[ "$running" -eq 1 ] || sed 's/^/#   /' "$TMP/st.err"
check "lock: status sees the recorder" [ "$running" -eq 1 ]
kill -TERM $a $b 2>/dev/null
wait $a 2>/dev/null
wait $b 2>/dev/null

# ---- 13: a stopped recorder's database in a directory the user cannot write ----
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
    ro=$(mktemp -d /tmp/ph-ro-XXXXXX)
    chmod 0755 "$ro"
    cp "$P" "$ro/prochist"
    chmod 0755 "$ro/prochist"
    "$P" record --db "$ro/r.db" --count 3 --interval 0.1 --quiet 2>/dev/null
    chmod 0644 "$ro/r.db"
    files=$(ls -A "$ro" | sort | tr '\n' ' ')
    for cmd in "top --since 1h" "status" "export"; do
        setpriv --reuid nobody --regid nogroup --clear-groups "$ro/prochist" $cmd --db "$ro/r.db" \
            >"$TMP/out" 2>"$TMP/err"
        rc=$?
        check "readonly: $cmd answers as another user in a directory it cannot write" [ "$rc" -eq 0 ]
        [ "$rc" -eq 0 ] || sed 's/^/#   /' "$TMP/err"
    done
    check "readonly: nothing was created there" [ "$(ls -A "$ro" | sort | tr '\n' ' ')" = "$files" ]
    rm -rf "$ro"
else
    skip "hardening: read-only directory" "needs root, setpriv and a 'nobody' user"
fi

# ---- 6: --max-db-size removes the oldest data, only as much as needed ----
# Two minutes of 20 ms samples (about 1.2 MB), ending now.
db="$TMP/cap.db"
now=$(date +%s)
"$GEN" "$db" --hours 0.03334 --interval 0.02 --alive 14 --busy 4 --churn 0.01 \
    --start $((now - 122)) --no-maintain >/dev/null
end=$(sqlite3 "$db" "select max(ts_ns) from sample")
newest=$(sqlite3 "$db" "select count(*) from sample where ts_ns > $end - 60000000000")
before=$(stat -c %s "$db")
echo "# generated: $before bytes, $(sqlite3 "$db" 'select count(*) from sample') samples, $newest in the newest minute"
cap=1048576
slack=$((cap / 4)) # one checkpoint (cap/8 of WAL) and the transaction in flight
# The recorder reads the fixture tree: what it adds does not depend on what
# else runs on the machine (a burst of processes would be a bigger database).
"$P" record --db "$db" --proc-root "$TESTS_DIR/fixtures/proc" --max-db-size 1M --interval 0.2 --count 25 \
    >"$TMP/cap.log" 2>&1 &
rec=$!
# From the moment the first cut brought the files within the cap (plus the
# slack), they must stay there, with queries reading all along. The cut
# itself starts over the cap: its peak is only reported.
over=0
peak=0
within_once=0
qfail=0
while kill -0 $rec 2>/dev/null; do
    s=$(( $(stat -c %s "$db" 2>/dev/null || echo 0) + $(stat -c %s "$db-wal" 2>/dev/null || echo 0) ))
    [ $s -gt $peak ] && peak=$s
    if [ $within_once -eq 0 ]; then
        grep -q "removed the oldest" "$TMP/cap.log" && [ $s -le $((cap + slack)) ] && within_once=1
    elif [ $s -gt $((cap + slack)) ] && [ $s -gt $over ]; then
        over=$s
        echo "# over: db $(stat -c %s "$db" 2>/dev/null) wal $(stat -c %s "$db-wal" 2>/dev/null)"
    fi
    "$P" top --db "$db" --since 10m >/dev/null 2>>"$TMP/capq.err" || qfail=$((qfail + 1))
    sleep 0.1 # a reader holds back checkpoints while it reads: leave gaps, as users do
done
echo "# largest db + WAL seen: $peak bytes"
wait $rec
check "cap: the recorder exits 0" [ $? -eq 0 ]
check "cap: it removed data" grep -q "removed the oldest data" "$TMP/cap.log"
check "cap: queries kept working while it did ($qfail failed)" [ "$qfail" -eq 0 ]
[ "$qfail" -eq 0 ] || sort "$TMP/capq.err" | uniq -c | head -3 | sed 's/^/#   /'
check "cap: the files came within the cap plus one checkpoint's slack" [ "$within_once" -eq 1 ]
check "cap: and stayed there (largest over it: $over)" [ "$over" -eq 0 ]
after=$(( $(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0) ))
echo "# after: $after bytes, $(sqlite3 "$db" 'select count(*) from sample') samples"
check "cap: the file is within the cap plus slack after ($after bytes)" [ "$after" -le $((cap + slack)) ]
kept=$(sqlite3 "$db" "select count(*) from sample where ts_ns > $end - 60000000000 and ts_ns <= $end")
check "cap: the newest minute of history is intact ($kept of $newest)" [ "$kept" -eq "$newest" ]
oldest=$(sqlite3 "$db" "select min(ts_ns) from sample")
check "cap: the oldest data went (first sample now $(( (oldest - end) / 1000000000 )) s before the end)" \
    [ "$oldest" -gt $((end - 120000000000)) ]
mark=$(sqlite3 "$db" "select coalesce(max(cast(value as integer)), 0) from meta where key like '%pruned_to'")
check "cap: no prune mark past the newest data" [ "$mark" -le "$(sqlite3 "$db" 'select max(ts_ns) from sample')" ]
check "cap: only about what was needed went (at most 45 of the 120 s)" \
    [ "$oldest" -lt $((end - 75000000000)) ]
orphans=$(sqlite3 "$db" "select count(*) from (select distinct proc from proc_sample) where proc not in (select proc from process)")
check "cap: every sampled process still has its process row" [ "$orphans" -eq 0 ]
capture "$P" top --db "$db" --since 5m
check "cap: top answers afterwards" [ "$rc" -eq 0 ]
capture "$P" status --db "$db"
check "cap: status answers afterwards" [ "$rc" -eq 0 ]

# ---- the database file: one name only (a hard link let two recorders in) ----
mkdir "$TMP/hl"
db="$TMP/hl/x.db"
"$P" record --db "$db" --count 2 --interval 0.1 --quiet 2>/dev/null
ln "$db" "$TMP/hl/y.db"
sum=$(cksum <"$db")
capture "$P" record --db "$TMP/hl/y.db" --count 1 --quiet
yes grep -q "has 2 names (hard links).*second recorder" "$TMP/err"
check "links: record refuses a database with two names, in one line" [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 -a $v -eq 0 ]
capture "$P" record --db "$db" --count 1 --quiet
yes grep -q "has 2 names" "$TMP/err"
check "links: ... by either name" [ "$rc" -ne 0 -a $v -eq 0 ]
check "links: the file is left as it was" [ "$(cksum <"$db")" = "$sum" ]
capture "$P" status --db "$TMP/hl/y.db"
check "links: queries still read it" [ "$rc" -eq 0 ]

# ---- a negative user_version: damaged, refused untouched (migrate indexed ph_schema_sql[-1]) ----
for ver in -1 -2147483648; do
    db="$TMP/neg$ver.db"
    "$P" record --db "$db" --count 1 --quiet 2>/dev/null
    sqlite3 "$db" "pragma user_version=$ver"
    sum=$(cksum <"$db")
    capture "$P" record --db "$db" --count 1
    yes grep -q "damaged or not a prochist database (user_version $ver)" "$TMP/err"
    check "version: record refuses user_version $ver in one line" [ "$rc" -eq 1 -a "$(lines "$TMP/err")" -eq 1 -a $v -eq 0 ]
    check "version: ... and leaves the file as it was" [ "$(cksum <"$db")" = "$sum" ]
    capture "$P" status --db "$db"
    yes grep -q "damaged or not a prochist database" "$TMP/err"
    check "version: status says the same ($ver)" [ "$rc" -ne 0 -a $v -eq 0 ]
done

# ---- files another user plants beside ours in a sticky directory ----
if id nobody >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    st=$(mktemp -d /tmp/ph-sticky-XXXXXX)
    chmod 1777 "$st"
    for side in -wal -journal .lock; do
        db="$st/p$side.db"
        "$P" record --db "$db" --count 1 --quiet 2>/dev/null
        [ "$side" = .lock ] && rm -f "$db.lock"
        su nobody -s /bin/sh -c "printf planted >'$db$side'"
        sum=$(cksum <"$db")
        capture "$P" record --db "$db" --count 1
        yes grep -qF "$db$side belongs to uid $(id -u nobody)" "$TMP/err"
        check "sticky: record refuses another user's $side in one line naming it and its owner" \
            [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 -a $v -eq 0 ]
        check "sticky: ... the database is left as it was" [ "$(cksum <"$db")" = "$sum" ]
        check "sticky: ... and the planted $side too" [ "$(cat "$db$side")" = planted -a "$(mode "$db$side")" = 644 ]
    done
    rm -rf "$st"
else
    skip "hardening: files planted in a sticky directory" "needs root and a 'nobody' user"
fi

# ---- a database directory others can write (and not sticky) is refused ----
mkdir "$TMP/ww"
chmod 0777 "$TMP/ww"
capture "$P" record --db "$TMP/ww/d.db" --count 1
yes grep -qF "database directory $TMP/ww is writable by other users (mode 777)" "$TMP/err"
check "dir: record refuses a world-writable, non-sticky database directory in one line" \
    [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 -a $v -eq 0 ]
check "dir: ... and creates nothing there" [ -z "$(ls -A "$TMP/ww")" ]
chmod 1777 "$TMP/ww"
capture "$P" record --db "$TMP/ww/d.db" --count 1 --quiet
check "dir: a sticky one (like /tmp) is allowed" [ "$rc" -eq 0 ]
# Group-writable is writable by other users too (the group's members),
# unless the group is the owner's own and holds no one else (user private
# groups, where umask 002 makes every new directory group-writable).
mkdir "$TMP/gw"
chmod 2775 "$TMP/gw"
me=$(id -u)
mygid=$(id -g)
others=$(getent passwd | awk -F: -v g="$mygid" -v u="$me" '$4 == g && $3 != u' | wc -l)
members=$(getent group "$mygid" | cut -d: -f4)
if [ "$others" -eq 0 ] && { [ -z "$members" ] || [ "$members" = "$(id -un)" ]; }; then
    capture "$P" record --db "$TMP/gw/own.db" --count 1 --quiet
    check "dir: a directory writable by the owner's own group alone is used" [ "$rc" -eq 0 -a -f "$TMP/gw/own.db" ]
    rm -f "$TMP/gw/"*
else
    skip "dir: a directory writable by the owner's own group alone is used" "group $mygid has other users"
fi
shared=""
for g in users nogroup daemon; do
    if getent group "$g" >/dev/null && [ "$(getent group "$g" | cut -d: -f3)" != "$mygid" ] && chgrp "$g" "$TMP/gw" 2>/dev/null; then
        shared=$g
        break
    fi
done
if [ -n "$shared" ]; then
    chmod 2775 "$TMP/gw"
    capture "$P" record --db "$TMP/gw/g.db" --count 1
    yes grep -qF "database directory $TMP/gw is writable by other users (its group; mode 2775): refused; use a directory only its owner can write (chmod g-w $TMP/gw)" "$TMP/err"
    check "dir: record refuses a directory its group '$shared' can write, in one line saying what to do" \
        [ "$rc" -eq 1 -a "$(lines "$TMP/err")" -eq 1 -a $v -eq 0 ]
    check "dir: ... and creates nothing there" [ -z "$(ls -A "$TMP/gw")" ]
    chmod g-w "$TMP/gw"
    capture "$P" record --db "$TMP/gw/g.db" --count 1 --quiet
    check "dir: ... after chmod g-w it is used" [ "$rc" -eq 0 -a -f "$TMP/gw/g.db" ]
else
    skip "dir: record refuses a directory another group can write" "cannot chgrp to a shared group here"
fi

# The directory deleted and made again, open to all, while a recorder
# writes there: it stops in one line, as a recorder started there would be
# refused, and makes nothing there (not the lock, not a database). The old
# one is moved away whole (an rm -rf could race a new file of the recorder
# into it) and the new one made 0777 beside and moved in, so the recorder
# never sees it with another mode.
mkdir "$TMP/kd"
db="$TMP/kd/k.db"
"$P" record --db "$db" --interval 0.1 >"$TMP/kd.log" 2>&1 &
rec=$!
wait_samples "$db" 1
mkdir -m 0777 "$TMP/kd.new"
mv "$TMP/kd" "$TMP/kd.old"
mv "$TMP/kd.new" "$TMP/kd"
yes wait_for "$TMP/kd.log" "k.db was removed or replaced while recording, and database directory $TMP/kd is writable by other users (mode 777): refused; use a directory only its owner can write; stopping this recorder" 600
check "dir: a recorder whose directory is made again open to all stops with one line" [ $v -eq 0 ]
[ $v -eq 0 ] || { kill -TERM $rec 2>/dev/null; sed 's/^/#   /' "$TMP/kd.log"; }
wait $rec
rc=$?
check "dir: ... exits 1" [ "$rc" -eq 1 ]
check "dir: ... and wrote nothing into the new directory" [ -z "$(ls -A "$TMP/kd")" ]

# ---- paths SQLite cannot open are refused before anything is created ----
mkdir "$TMP/lp"
c100=$(printf "%0100d" 0 | tr 0 d)
capture "$P" record --db "$TMP/lp/$c100/$c100/$c100/$c100/$c100/x.db" --count 1
yes grep -q "too long for SQLite" "$TMP/err"
check "paths: record --db longer than SQLite allows exits 2 with one line" \
    [ "$rc" -eq 2 -a "$(lines "$TMP/err")" -eq 1 -a $v -eq 0 ]
check "paths: ... and creates nothing" [ -z "$(ls -A "$TMP/lp")" ]
mkdir "$TMP/ts"
capture "$P" record --db "$TMP/ts/a/b/" --count 1
yes grep -q "ends in '/'" "$TMP/err"
check "paths: record --db DIR/ (a trailing slash) exits 2 with one line" \
    [ "$rc" -eq 2 -a "$(lines "$TMP/err")" -eq 1 -a $v -eq 0 ]
check "paths: ... and creates no directories" [ -z "$(ls -A "$TMP/ts")" ]

# ---- a refused file is left without a lock file of ours beside it ----
printf 'just text\n' >"$TMP/text.db"
capture "$P" record --db "$TMP/text.db" --count 1
check "lockfile: record refuses a text file" [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 ]
check "lockfile: ... and leaves no text.db.lock" [ ! -e "$TMP/text.db.lock" ]
sqlite3 "$TMP/other.db" "pragma application_id=7; create table t(x)"
capture "$P" record --db "$TMP/other.db" --count 1
check "lockfile: record refuses another program's SQLite file" [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 ]
check "lockfile: ... and leaves no other.db.lock" [ ! -e "$TMP/other.db.lock" ]
printf '1\n' >"$TMP/text.db.lock"
capture "$P" record --db "$TMP/text.db" --count 1
check "lockfile: a lock file that was there before stays" [ "$rc" -ne 0 -a -f "$TMP/text.db.lock" ]

# ---- a database recreated mid-run gets the recorder's meta keys again ----
mkdir "$TMP/del"
db="$TMP/del/d.db"
"$P" record --db "$db" --interval 0.2 >"$TMP/del.log" 2>&1 &
rec=$!
wait_samples "$db" 1
rm -f "$db" "$db-wal" "$db-shm"
check "meta: the recorder starts a new database" wait_for "$TMP/del.log" "starting a new database" 300
wait_samples "$db" 1
kill -TERM $rec 2>/dev/null
wait $rec
for key in recorder_privileged exit_mode power_note; do
    n=$(sqlite3 "$db" "select count(*) from meta where key = '$key'" 2>/dev/null)
    check "meta: the new database has $key" [ "${n:-0}" -eq 1 ]
done

# ---- samples without process rows: the message names the file and .recover ----
db="$TMP/noproc.db"
"$P" record --db "$db" --count 3 --interval 0.1 --quiet 2>/dev/null
sqlite3 "$db" "delete from process"
for cmd in "top --since 1h" "peak --since 1h"; do
    capture "$P" $cmd --db "$db"
    yes grep -q "noproc.db is inconsistent: process [0-9]* has samples but no process row" "$TMP/err"
    v1=$v
    yes grep -q "sqlite3 [^ ]*noproc.db .recover" "$TMP/err"
    check "inconsistent: $cmd names the file and 'sqlite3 PATH .recover' in one line" \
        [ "$rc" -ne 0 -a "$(lines "$TMP/err")" -eq 1 -a $v1 -eq 0 -a $v -eq 0 ]
done
