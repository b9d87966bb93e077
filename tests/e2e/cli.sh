#!/bin/sh
# Bad input and lifecycle of the real binary: usage errors exit 2 with one
# line naming the bad value; runtime errors exit 1; foreign files are never
# modified; files are created private; a second recorder is refused; SIGTERM
# ends the recorder cleanly.
. "$(dirname "$0")/../lib.sh"

one_line() { [ "$(wc -l <"$TMP/err")" -eq 1 ]; }
expect() { # NAME STATUS WORD: last capture exited STATUS with one line holding WORD
    if [ "$rc" -eq "$2" ] && one_line && grep -q -- "$3" "$TMP/err"; then ok "$1"
    else fail "$1" "status $rc, stderr: $(cat "$TMP/err")"; fi
}

db="$TMP/cli.db"
"$PROCHIST" record --db "$db" --count 2 --interval 0.1 --quiet
check "cli: record --count 2 exits 0" [ $? -eq 0 ]

capture "$PROCHIST" top --db "$db" --since 10q
expect "cli: bad --since is a usage error naming the value" 2 "'10q'"
capture "$PROCHIST" top --db "$db" --since 2026-13-40
expect "cli: impossible date is a usage error" 2 "2026-13-40"
capture "$PROCHIST" top --db "$db" --since 1h --until 2h
expect "cli: --until before --since" 2 "not after"
capture "$PROCHIST" top --db "$db" --by planet
expect "cli: bad --by" 2 "planet"
capture "$PROCHIST" top --db "$db" --format xml
expect "cli: bad --format" 2 "xml"
capture "$PROCHIST" top --db "$db" --limit 0
expect "cli: bad --limit" 2 "limit"
capture "$PROCHIST" top --db "$db" --bogus
expect "cli: unknown option" 2 "bogus"
capture "$PROCHIST" record --db "$db" --interval fast
expect "cli: bad --interval" 2 "fast"
capture "$PROCHIST" record --db "$db" --count -3
expect "cli: bad --count" 2 "count"
capture "$PROCHIST" frobnicate
expect "cli: unknown command" 2 "frobnicate"
capture "$PROCHIST" to --db "$db" --since 1h --format json
check "cli: a unique prefix selects the command" [ "$rc" -eq 0 ]
capture "$PROCHIST" help top
check "cli: help top prints usage" grep -q "usage: prochist top" "$TMP/out"

capture "$PROCHIST" top --db "$TMP/nope.db"
expect "cli: missing database is a runtime error" 1 "no database"
capture "$PROCHIST" top --db "$db" --since 2001-01-01 --until 2001-01-02
expect "cli: a window with no data says so" 1 "no samples"

sqlite3 "$TMP/foreign.db" "create table notes(x); insert into notes values ('keep me');"
sum0=$(cksum <"$TMP/foreign.db")
capture "$PROCHIST" record --db "$TMP/foreign.db" --count 1
expect "cli: recorder refuses a foreign SQLite file" 1 "not a prochist database"
capture "$PROCHIST" top --db "$TMP/foreign.db"
expect "cli: top refuses a foreign SQLite file" 1 "not a prochist database"
check "cli: the foreign file is untouched" [ "$(cksum <"$TMP/foreign.db")" = "$sum0" ]
check "cli: no WAL left beside the foreign file" [ ! -e "$TMP/foreign.db-wal" ]

printf 'not a database at all\n' >"$TMP/text.db"
capture "$PROCHIST" top --db "$TMP/text.db"
expect "cli: a text file is refused" 1 "not an SQLite file"
cp "$db" "$TMP/newer.db"
sqlite3 "$TMP/newer.db" "pragma user_version = 99"
capture "$PROCHIST" record --db "$TMP/newer.db" --count 1
expect "cli: a newer schema is refused" 1 "newer prochist"

# Private files, whatever the umask; parent directories created 0700.
( umask 000; "$PROCHIST" record --db "$TMP/state/deep/p.db" --count 1 --quiet )
check "cli: database file is 0600" [ "$(file_mode "$TMP/state/deep/p.db")" = 600 ]
check "cli: created directory is 0700" [ "$(file_mode "$TMP/state/deep")" = 700 ]
if [ "$(uname -s)" = Darwin ]; then
    # macOS: the default is under ~/Library/Application Support.
    HOME="$TMP/home" PROCHIST_DB= "$PROCHIST" record --count 1 --quiet
    check "cli: default database under Application Support" \
        [ -s "$TMP/home/Library/Application Support/prochist/prochist.db" ]
else
    # Default path follows XDG_STATE_HOME.
    XDG_STATE_HOME="$TMP/xdg" PROCHIST_DB= "$PROCHIST" record --count 1 --quiet
    check "cli: default database under XDG_STATE_HOME" [ -s "$TMP/xdg/prochist/prochist.db" ]
fi
PROCHIST_DB="$TMP/env.db" "$PROCHIST" record --count 1 --quiet
check "cli: PROCHIST_DB is honoured" [ -s "$TMP/env.db" ]

# A second recorder is refused; SIGTERM stops the first cleanly (exit 0)
# after finishing its sample, and it leaves a resume state.
"$PROCHIST" record --db "$db" --interval 0.1 --quiet 2>"$TMP/rec.err" &
rec=$!
wait_samples "$db" 5
capture "$PROCHIST" record --db "$db" --count 1
expect "cli: a second recorder is refused" 1 "already writing"
capture "$PROCHIST" top --db "$db" --since 1m --format json
check "cli: top reads while the recorder writes" [ "$rc" -eq 0 ]
kill -TERM $rec
wait $rec
check "cli: SIGTERM exits 0" [ $? -eq 0 ]
n=$(sqlite3 "$db" "select count(*) from resume")
check "cli: clean stop saves the resume state" [ "$n" -gt 0 ]
check "cli: database passes integrity_check" [ "$(sqlite3 "$db" 'pragma integrity_check')" = ok ]
check "cli: journal mode is WAL" [ "$(sqlite3 "$db" 'pragma journal_mode')" = wal ]

# SIGHUP (the terminal of a foreground recorder closed) stops it as
# SIGTERM does: exit 0 and its stop line, not death by the signal (129).
"$PROCHIST" record --db "$TMP/hup.db" --interval 0.1 2>"$TMP/hup.err" &
rec=$!
wait_samples "$TMP/hup.db" 2
kill -HUP $rec
wait $rec
check "cli: SIGHUP exits 0" [ $? -eq 0 ]
check "cli: SIGHUP logs the stop line" grep -q "stopped after" "$TMP/hup.err"

# A recorder that holds its lock but writes nothing (here: stopped) is
# reported as not writing, and no longer once it writes again.
"$PROCHIST" record --db "$TMP/stall.db" --interval 0.2 --quiet &
rec=$!
wait_samples "$TMP/stall.db" 6
capture "$PROCHIST" status --db "$TMP/stall.db"
check "cli: status of a writing recorder says running, not stalled" sh -c \
    'grep -q "^recorder  *running (pid" "$1" && ! grep -q "not writing" "$1"' sh "$TMP/out"
kill -STOP $rec
n=0
until "$PROCHIST" status --db "$TMP/stall.db" >"$TMP/out" 2>&1 && grep -q "not writing: no sample since" "$TMP/out" || [ $n -ge 300 ]; do
    sleep 0.1; n=$((n + 1))
done
check "cli: status says a stopped recorder is not writing" grep -q "running (pid $rec) but not writing" "$TMP/out"
"$PROCHIST" status --db "$TMP/stall.db" --format json >"$TMP/out.json"
check "cli: status JSON says stalled" sh -c 'jq -e ".stalled == true and .recording == true and .last_sample_age_s > 2" "$1" >/dev/null' sh "$TMP/out.json"
have=$(sqlite3 -readonly "$TMP/stall.db" 'select count(*) from sample')
kill -CONT $rec
wait_samples "$TMP/stall.db" $((have + 2))
capture "$PROCHIST" status --db "$TMP/stall.db" --format json
check "cli: status JSON no longer stalled once it writes" sh -c 'jq -e ".stalled == false" "$1" >/dev/null' sh "$TMP/out"
kill -TERM $rec
wait $rec

# Help for every command, and an install tree with the man page and completions.
for cmd in record top peak show apps diff power status export service; do
    capture "$PROCHIST" help "$cmd"
    check "cli: help $cmd" grep -q "usage: prochist $cmd" "$TMP/out"
    capture "$PROCHIST" "$cmd" --help
    check "cli: $cmd --help exits 0" [ "$rc" -eq 0 ]
done
capture "$PROCHIST" help --help
check "cli: help --help exits 0 with the usage" sh -c '[ "$1" -eq 0 ] && grep -q "usage: prochist" "$2"' sh "$rc" "$TMP/out"
capture "$PROCHIST" top --db "$db" --since 99999d
expect "cli: a duration beyond any history is out of range" 2 "out of range"
if [ -f "$TESTS_DIR/../docs/prochist.1" ]; then
    check "cli: the man page names every command" sh -c 'for c in record top peak show apps diff power status export service doctor; do grep -qE "^\.B (prochist )?$c( |\$)" "$1" || exit 1; done' sh "$TESTS_DIR/../docs/prochist.1"
fi
check "cli: bash completion parses" bash -n "$TESTS_DIR/../scripts/completions/prochist.bash"

# Every query command on a live recording.
db="$TMP/live-all.db"
"$PROCHIST" record --db "$db" --count 12 --interval 0.25 --quiet # 2.75 s: both diff windows get samples
mid=$(sqlite3 "$db" "select (min(ts_ns) + max(ts_ns)) / 2000000000 from sample")
mid=$(date -u -d "@$mid" +%Y-%m-%dT%H:%M:%SZ)
for args in "top --since 1m" "top --since 1m --by user" "peak --since 1m" "apps --since 1m" \
            "show prochist --since 1m" "diff --since $mid --vs 1m..$mid" "status" "export"; do
    capture "$PROCHIST" $args --db "$db"
    check "cli: '$args' works on a live recording" sh -c '[ "$1" -eq 0 ] && [ -s "$2" ]' sh "$rc" "$TMP/out"
done

# A failed write to standard output (a full disk: /dev/full) is said in one
# line and exits 1, for every query command, each format and --help.
if [ -w /dev/full ]; then
    for args in "top --since 1m" "top --since 1m --format json" "top --since 1m --format csv" \
                "peak --since 1m" "apps --since 1m" "show prochist --since 1m" "power --since 1m" \
                "diff --since $mid --vs 1m..$mid" "status" "export" "report -o -"; do
        "$PROCHIST" $args --db "$db" >/dev/full 2>"$TMP/err"
        rc=$?
        check "cli: '$args' >/dev/full says so, exit 1 (rc $rc: $(tail -1 "$TMP/err"))" sh -c \
            '[ "$1" -eq 1 ] && [ "$(grep -c "cannot write standard output: " "$2")" -eq 1 ]' sh "$rc" "$TMP/err"
    done
    for args in "doctor" "top --help" "export --help" "--help" "help show" "version"; do
        "$PROCHIST" $args >/dev/full 2>"$TMP/err"
        rc=$?
        check "cli: '$args' >/dev/full says so, exit 1 (rc $rc)" sh -c \
            '[ "$1" -eq 1 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q "cannot write standard output: " "$2"' sh "$rc" "$TMP/err"
    done
else
    skip "cli: writes to a full device" "no /dev/full"
fi

# After an upgrade, while the recorder that was running still writes the
# previous schema, the query tool reads it; older schemas are refused with
# what to do; the recorder's next start upgrades. (The fake schema 11
# database is this one with what schemas 12 to 19 added taken out.)
old="$TMP/prev.db"
cp "$db" "$old"
sqlite3 "$old" "delete from meta where key = 'app_hour_wide_from'; alter table app_minute drop column child_cpu_user_ns; alter table app_minute drop column child_cpu_system_ns; alter table app_minute drop column energy_est_nj; alter table app_minute drop column gpu_ns; delete from meta where key = 'app_minute_wide_from'; alter table app_hour drop column child_cpu_user_ns; alter table app_hour drop column child_cpu_system_ns; alter table app_hour drop column energy_est_nj; alter table app_hour drop column gpu_ns; alter table app_hour drop column instructions; alter table app_hour drop column cycles; alter table app_hour drop column ctxsw_total; alter table app_hour drop column ctxsw_voluntary; alter table app_hour drop column ctxsw_involuntary; alter table app_hour drop column faults_total; alter table app_hour drop column faults_minor; alter table app_hour drop column faults_major; alter table app_hour drop column syscalls_mach; alter table app_hour drop column syscalls_unix; alter table app_hour drop column syscalls_read; alter table app_hour drop column syscalls_write; alter table group_hour drop column child_cpu_user_ns; alter table group_hour drop column child_cpu_system_ns; alter table group_hour drop column energy_est_nj; alter table group_hour drop column gpu_ns; alter table group_hour drop column instructions; alter table group_hour drop column cycles; alter table group_hour drop column ctxsw_total; alter table group_hour drop column ctxsw_voluntary; alter table group_hour drop column ctxsw_involuntary; alter table group_hour drop column faults_total; alter table group_hour drop column faults_minor; alter table group_hour drop column faults_major; alter table group_hour drop column syscalls_mach; alter table group_hour drop column syscalls_unix; alter table group_hour drop column syscalls_read; alter table group_hour drop column syscalls_write;
                drop trigger proc_hour_total; drop trigger proc_hour_total_undo; drop trigger process_delete_total;
                drop table proc_total;
                delete from meta where key = 'user_hour_from';
                drop view v_group_hour; drop table group_hour; delete from meta where key = 'group_hour_from';
                drop view v_cgroup_hour; drop view v_cgroup_sample; drop view v_proc_cgroup;
                drop trigger proc_minute_total; drop trigger proc_minute_total_undo; drop table cgroup_total;
                drop trigger process_delete_cgroup; drop trigger process_move_cgroup; drop index process_cgroup;
                alter table process drop column cgroup; drop table cgroup;
                alter table app_total drop column energy_est_nj; alter table app_total drop column gpu_ns;
                drop table power_prev; drop table power_prev_zone;
                pragma user_version = 11"
for args in "top --since 1m" "export" "status"; do
    capture "$PROCHIST" $args --db "$old"
    check "cli: '$args' reads a schema 11 database" sh -c '[ "$1" -eq 0 ] && [ -s "$2" ]' sh "$rc" "$TMP/out"
done
check "cli: status says the next recorder start upgrades it" grep -q "schema 11; the recorder's next start upgrades it" "$TMP/out"
capture "$PROCHIST" export --db "$old"
check "cli: export of schema 11 has no GPU family and passes promtool" \
    sh -c '! grep -q gpu_seconds "$1" && { ! command -v promtool >/dev/null || promtool check metrics <"$1"; }' sh "$TMP/out"
sqlite3 "$old" "pragma user_version = 10"
capture "$PROCHIST" top --since 1m --db "$old"
check "cli: a schema 10 database is refused in one line, exit 1" \
    sh -c '[ "$1" -eq 1 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q "run .prochist record. once" "$2"' sh "$rc" "$TMP/err"
sqlite3 "$old" "pragma user_version = 11"
"$PROCHIST" record --db "$old" --count 1 --quiet
check "cli: the recorder upgrades a schema 11 database" \
    [ "$(sqlite3 "$old" 'pragma user_version')" = "$(sqlite3 "$db" 'pragma user_version')" ]

# The start line gives the interval as it was asked (it said "every
# 8.64e+04 s" for a day).
"$PROCHIST" record --db "$TMP/day.db" --interval 86400 --count 1 2>"$TMP/day.log"
check "cli: record -i 86400 says 'every 86400 s'" grep -q "recording to .* every 86400 s " "$TMP/day.log"

# A window holding only the first sample says why there is no CPU yet.
one="$TMP/one.db"
"$PROCHIST" record --db "$one" --count 1 --quiet
capture "$PROCHIST" top --since 1m --db "$one"
check "cli: a baseline-only window explains itself" grep -q "only a first sample, which is a baseline" "$TMP/err"

# --by unit|slice|container|cgroup: Linux groups by them; macOS (no cgroups)
# refuses each in one line, exit 2.
for k in unit slice container cgroup; do
    capture "$PROCHIST" top --since 1m --db "$one" --by $k --format json
    if [ "$(uname -s)" = Darwin ]; then
        check "cli: --by $k is Linux-only on macOS (one line, exit 2)" \
            [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "Linux-only" "$TMP/err"
    else
        check "cli: --by $k is taken on Linux" [ "$rc" -eq 0 ] && [ "$(jq -r .by "$TMP/out")" = $k ]
    fi
done
# show and report take them the same way (the same parser).
for args in "show --by unit x.service" "report --by slice -o $TMP/by.html"; do
    capture "$PROCHIST" $args --since 1m --db "$one"
    if [ "$(uname -s)" = Darwin ]; then
        check "cli: '$args' is Linux-only on macOS (one line, exit 2)" \
            [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "Linux-only" "$TMP/err"
    else
        check "cli: '$args' is taken on Linux (rc $rc: $(head -1 "$TMP/err"))" [ "$rc" -ne 2 ] && ! grep -q "Linux-only" "$TMP/err"
    fi
done

# status shows the database path and what the database says (exit_mode) as
# the tables show names: no ESC, newline or RLO reaches the terminal.
ctl="$TMP/$(printf 'sp ace\nnl\033[2J\342\200\256\303\274').db"
"$PROCHIST" record --db "$ctl" --count 1 --quiet
sqlite3 "$ctl" "update meta set value = 'mode' || char(27) || '[2J' || char(8238) || 'x' where key = 'exit_mode'"
capture "$PROCHIST" status --db "$ctl"
check "cli: status escapes the path and meta text (rc $rc)" sh -c \
    '[ "$1" -eq 0 ] && ! grep -q "$(printf "\033")" "$2" && ! grep -q "$(printf "\342\200\256")" "$2" &&
     grep -q "^database .*sp ace?nl?\[2J?ü\.db" "$2" && grep -q "^exits  *mode?\[2J?x;" "$2"' sh "$rc" "$TMP/out"

# A target or --name quoted in an error is escaped as every message is
# (\xHH, \uHHHH), not blurred to '?'.
odd=$(printf 'no\033such\342\200\256')
for args in "show" "show --by unit" "show --by process" "top --name"; do
    capture "$PROCHIST" $args "$odd" --since 1d --db "$ctl"
    check "cli: '$args' quotes the name escaped (rc $rc: $(cat "$TMP/err"))" sh -c \
        '[ "$1" -ne 0 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -qF "'"'"'no\\x1bsuch\\u202e'"'"'" "$2"' sh "$rc" "$TMP/err"
done

# "All time" with the default (auto) resolution picks one that fits; only a
# given --resolution that is too fine is refused.
capture "$PROCHIST" show prochist --since 1970-01-01 --db "$ctl" --format json
check "cli: show --since 1970-01-01 picks a resolution that fits (rc $rc: $(cat "$TMP/err"))" sh -c \
    '[ "$1" -eq 0 ] && n=$(jq ".rows | length" "$2") && [ "$n" -ge 1 ] && [ "$n" -le 1000 ]' sh "$rc" "$TMP/out"
capture "$PROCHIST" power --since 1970-01-01 --db "$ctl" --format json
check "cli: power --since 1970-01-01 picks a resolution that fits (rc $rc: $(tail -1 "$TMP/err"))" sh -c \
    '[ "$1" -ne 2 ] && ! grep -q "too fine" "$2" && n=$(jq ".rows | length" "$3") && [ "$n" -le 1000 ]' \
    sh "$rc" "$TMP/err" "$TMP/out"
capture "$PROCHIST" show prochist --since 1970-01-01 --resolution 1d --db "$ctl"
expect "cli: a given --resolution too fine for the window is refused" 2 "too fine"

# service install: in ExecStart= systemd substitutes ${FOO} and $FOO, so a
# literal $ is written $$ (as % is %%); ReadWritePaths= takes $ as it is;
# the plist (no $ expansion) escapes & and < as XML.
svc="$TMP/svcroot"
weird='/srv/d$x/a${HOME}b&<%.db'
HOME="$TMP/home" "$PROCHIST" service install --system --root "$svc" --flavor systemd --db "$weird" >/dev/null 2>&1
check "cli: service unit writes \$ as \$\$ in ExecStart" \
    grep -qxF 'ExecStart="'"$PROCHIST"'" record --quiet --db "/srv/d$$x/a$${HOME}b&<%%.db"' \
    "$svc/etc/systemd/system/prochist.service"
check "cli: service unit keeps \$ in ReadWritePaths" \
    grep -qxF 'ReadWritePaths="/srv/d$x"' "$svc/etc/systemd/system/prochist.service"
HOME="$TMP/home" "$PROCHIST" service install --system --root "$svc" --flavor launchd --db "$weird" >/dev/null 2>&1
if command -v python3 >/dev/null 2>&1; then
    got=$(python3 -c 'import plistlib,sys; print(plistlib.load(open(sys.argv[1], "rb"))["ProgramArguments"][4])' \
          "$svc/Library/LaunchDaemons/org.prochist.recorder.plist" 2>&1)
    check "cli: the plist holds the path as given (got $got)" [ "$got" = "$weird" ]
else
    skip "cli: the plist holds the path as given" "no python3"
fi

# CSV: a text field starting with = + - @ gets a leading ' (a spreadsheet
# would run it as a formula); numbers are written as they are.
mkdir -p "$TMP/bin"
evil="=1+2,\"x$$"
cp "$(command -v sleep)" "$TMP/bin/$evil"
"$TMP/bin/$evil" 60 &
evil_pid=$!
csvdb="$TMP/csv.db"
"$PROCHIST" record --db "$csvdb" --count 2 --interval 0.2 --quiet
kill $evil_pid 2>/dev/null; wait $evil_pid 2>/dev/null
capture "$PROCHIST" top --db "$csvdb" --since 1h --by process --format csv --limit 10000
check "cli: a CSV name starting with = is prefixed with ' (rc $rc)" \
    grep -qF "\"'=1+2,\"\"x$$\"" "$TMP/out"
check "cli: no CSV field starts with = + - @ unprefixed" sh -c \
    '! grep -qE "(^|,)\"?[=+@-]" "$1"' sh "$TMP/out"
capture "$PROCHIST" apps --db "$csvdb" --since 1h --format csv --limit 10000
check "cli: apps CSV prefixes the app too" grep -qF "\"'=1+2,\"\"x$$\"" "$TMP/out"

# top --at before a recording's first sample: not recorded, even though the
# minute bucket holding that first sample exists (it holds only what came after).
gdb="$TMP/gen.db"
"$GEN" "$gdb" --hours 1 --alive 5 --busy 2 --seed 3 --start 1795132815 >/dev/null # first sample 00:00:15Z
capture "$PROCHIST" top --db "$gdb" --utc --at 2026-11-20T00:00:05Z --format json
check "cli: top --at before the first sample is not recorded (rc $rc: $(cat "$TMP/err"))" sh -c \
    '[ "$1" -eq 1 ] && jq -e ".rows == [] and (.note | test(\"not recorded\"))" "$2" >/dev/null' sh "$rc" "$TMP/out"
capture "$PROCHIST" top --db "$gdb" --utc --at 2026-11-20T00:00:22Z --format json
check "cli: top --at just after the first sample answers from raw" sh -c \
    '[ "$1" -eq 0 ] && jq -e ".at_tier == \"raw\" and .since == \"2026-11-20T00:00:20Z\"" "$2" >/dev/null' sh "$rc" "$TMP/out"

# diff --vs quotes the whole argument and says which side is wrong.
capture "$PROCHIST" diff --vs 5m.. --db "$gdb"
expect "cli: a --vs with no end quotes the whole argument" 2 "bad --vs '5m\.\.': its end ''"

# --at with --until (or --since) is the conflict, whatever the order and
# whatever --until says; not a complaint about --since's default.
for args in "--at 1h --until 1h" "--until 1h --at 1h" "--at 1h --since 2h"; do
    capture "$PROCHIST" top $args --db "$gdb"
    expect "cli: top $args is the --at conflict" 2 "--at and --since/--until conflict"
done

# show: an app whose name is all digits is shown with --by app; without
# --by the digits are a pid (none is this large: pids stop at 2^22), and
# the line says how to ask for the app.
digits=$(printf '1%09d' $$)
cp "$(command -v sleep)" "$TMP/bin/$digits"
"$TMP/bin/$digits" 60 &
dpid=$!
n=0
until ps -o comm= -p $dpid 2>/dev/null | grep -q "$digits" || [ $n -ge 400 ]; do sleep 0.05; n=$((n + 1)); done
ddb="$TMP/digits.db"
"$PROCHIST" record --db "$ddb" --count 2 --interval 0.2 --quiet
kill $dpid 2>/dev/null; wait $dpid 2>/dev/null
capture "$PROCHIST" show --by app "$digits" --db "$ddb" --since 1h --format json
check "cli: show --by app takes an all-digit name as an app (rc $rc)" sh -c \
    '[ "$1" -eq 0 ] && jq -e ".app == \"$2\" and ([.rows[].mem_peak_bytes] | max > 0)" "$3" >/dev/null' \
    sh "$rc" "$digits" "$TMP/out"
capture "$PROCHIST" show "$digits" --db "$ddb" --since 1h
expect "cli: without --by the digits are a pid, and the line says --by app" 1 "'--by app' for an app of that name"

# An empty directory option is a usage error, not "cannot open proc root :".
for opt in proc-root sys-root textfile-dir; do
    capture "$PROCHIST" record --db "$TMP/empty-opt.db" --count 1 --$opt ''
    expect "cli: an empty --$opt is a usage error" 2 "empty --$opt"
done
check "cli: ... and nothing was created" [ ! -e "$TMP/empty-opt.db" ]

# status --format json stays UTF-8 for a path that is not.
if command -v python3 >/dev/null 2>&1; then
    bad="$TMP/$(printf 'bad\377\376').db"
    "$PROCHIST" record --db "$bad" --count 1 --quiet
    "$PROCHIST" status --db "$bad" --format json >"$TMP/st.json"
    check "cli: status JSON of a non-UTF-8 path is valid UTF-8 JSON" python3 -c \
        'import json,sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$TMP/st.json"
else
    skip "cli: status JSON of a non-UTF-8 path is valid UTF-8 JSON" "no python3"
fi
