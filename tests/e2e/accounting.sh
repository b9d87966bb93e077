#!/bin/sh
# Accounting against figures prochist did not make: each workload's own
# getrusage, the waiting shell's `times`, /usr/bin/time -v, wait4 of a fork
# storm's parent. Every CPU second once (wrappers that fork and wait, one
# and two levels, with and without exit records; short processes whose exit
# outlives their record), every kernel-reported peak kept (a spike between
# samples, processes too short to sample), exit rows under a fork storm that
# reaps late, one app per program, uid changes, and no memory where no
# sample was taken. Workloads are chosen by pid or by a name unique to this
# run; the script waits on conditions (samples stored, processes seen), not
# on sleeps. Lines "# table: ..." are the comparison the docs quote.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
    echo "# not root: exit records (and setuid) need root; only the checks without them run"
fi
uniq="a$$"                   # names of this run's programs (comm is 15 bytes at most)
cp "$HELPERS/spin" "$TMP/${uniq}spin"
cp "$HELPERS/work" "$TMP/${uniq}work"
cp "$HELPERS/work" "$TMP/${uniq}mem"
cp "$HELPERS/spin" "$TMP/${uniq}late"
SPIN="$TMP/${uniq}spin"
WORK="$TMP/${uniq}work"
MEM="$TMP/${uniq}mem"
chmod 755 "$TMP"

samples() { sqlite3 "$1" 'select count(*) from sample' 2>/dev/null || echo 0; }
# wait_more DB N: until DB holds N more samples than now (at most 30 s)
wait_more() { wait_samples "$1" $(($(samples "$1") + $2)) 600; }
# wait_seen DB PID: until a sample has stored process PID (at most 30 s)
wait_seen() {
    _w=0
    while [ "$(sqlite3 "$1" "select count(*) from process where pid = $2" 2>/dev/null || echo 0)" -eq 0 ]; do
        [ $_w -ge 600 ] && return 1
        sleep 0.05
        _w=$((_w + 1))
    done
}
pct() { awk -v v="$1" -v e="$2" 'BEGIN { if (e > 0) printf "%+.1f%%", (v - e) * 100 / e; else print "n/a" }'; }
table() { # WORKLOAD INDEPENDENT PROCHIST UNIT(s|MiB)
    awk -v w="$1" -v i="$2" -v p="$3" -v u="$4" 'BEGIN {
        k = u == "s" ? 1e9 : 1048576
        printf "# table: %s | %.3f %s | %.3f %s | %+.1f%%\n", w, i / k, u, p / k, u, (i > 0 ? (p - i) * 100 / i : 0) }'
}
# Descendants of shell PID (named sh, this script's child) and itself: own
# CPU, and own + child CPU. A descendant is born while its parent lives (to
# a clock tick): another suite beside this one may reuse any of these pids.
# A process known only by its exit record has its start estimated from when
# the record was read, late by up to the time since the drain before (2.2 s
# seen with two suites at load 20: 18 of 200 children 'born' after their
# parent was gone): up to 10 s after the parent's end is still its child.
tree_sql() {
    echo "with recursive d(proc, pid, born, gone) as (
            select proc, pid, start_ns, coalesce(gone_ns, 9223372036854775807) from process
             where pid = $2 and name = 'sh' and ppid = $$
          union select p.proc, p.pid, p.start_ns, coalesce(p.gone_ns, 9223372036854775807)
            from process p join d on p.ppid = d.pid and p.proc <> d.proc
           where p.start_ns >= d.born - 20000000 and p.start_ns <= d.gone + 10000000000)
          select coalesce(sum($3), 0) from proc_sample where proc in (select proc from d)"
}
own_tree() { sqlite3 "$1" "$(tree_sql "$1" "$2" 'coalesce(cpu_user_ns,0) + coalesce(cpu_system_ns,0)')"; }
family_tree() {
    sqlite3 "$1" "$(tree_sql "$1" "$2" 'coalesce(cpu_user_ns,0) + coalesce(cpu_system_ns,0)
                                        + coalesce(child_cpu_user_ns,0) + coalesce(child_cpu_system_ns,0)')"
}
# A shell that runs CMD, prints `times` to FILE, then waits for its fifo
# (so a sample sees the reap); its pid is in FILE.pid.
mkfifo "$TMP/hold"
held() { # FILE CMD
    _f=$1
    shift
    sh -c 'echo $$ >"$1.pid"; shift; sh -c "$@"; times >"$0"; read x <"$0.hold"' "$_f" "$_f" "$@" &
}
release() { # FILE
    echo >"$1.hold" &
}

# ---- Session A: as root, exit records (the recorder's mode says so) -------
db="$TMP/acct.db"
mkfifo "$TMP/keep"
sh -c 'read x <"$0"' "$TMP/keep" & # alive when the recorder stops
keeper=$!
"$PROCHIST" record --db "$db" --interval 1 --quiet 2>"$TMP/rec.log" &
rec=$!
wait_samples "$db" 1 || fail "accounting: the recorder starts"
mode=$(sqlite3 "$db" "select value from meta where key = 'exit_mode'")
exits=0
case $mode in *taskstats*) exits=1 ;; esac
[ $exits = 1 ] || skip "accounting: checks on exit records" "exit records unavailable ($mode)"

for f in chain1 chain2 loop_true loop_10ms; do mkfifo "$TMP/$f.hold"; done
# Fork storm: 2,000 children at 100/s, each burning 1 ms, reaped every 8 s
# (zombies for up to 8 samples: their records must wait that long).
"$HELPERS/forks" 2000 100 1000 8000 >"$TMP/storm.out" &
storm=$!
# 1- and 4-thread burners, one after the other.
( "$WORK" threads 1 1500 >"$TMP/t1.out"; "$WORK" threads 4 400 >"$TMP/t4.out" ) &
burners=$!
# Wrapper chains: one and two shells that fork, wait and exit (the shell
# held() starts is the first).
held "$TMP/chain1" '"$0" 1500; true' "$SPIN"
held "$TMP/chain2" 'sh -c "\"\$1\" 1500; true" sh "$0"; true' "$SPIN"
# Short processes, one after the other.
held "$TMP/loop_true" 'i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i + 1)); done'
held "$TMP/loop_10ms" 'i=0; while [ $i -lt 200 ]; do "$0" 10; i=$((i + 1)); done' "$SPIN"
# One program, two paths: short awk runs (exit records) and a long one (sampled).
# Selected by pid and parent: another suite beside this one runs awk too,
# and may get the same pid later.
sh -c 'for i in 1 2 3; do awk "BEGIN { }" & echo $! >>"$0"; wait; done' "$TMP/awk.pids" &
awk_sh=$!
wait $awk_sh
awk 'BEGIN { for (i = 0; i < 6e7; i++) x += i }' &
awk_long=$!

# A 300 MiB spike of 0.2 s in a 6 s life, started just after a sample.
rm -f "$TMP/go"
"$MEM" spike 300 200 6000 "$TMP/go" >"$TMP/spike.out" &
spike=$!
wait_seen "$db" $spike
wait_more "$db" 1
touch "$TMP/go"
# Three processes of 150 MiB living 0.3 s, under /usr/bin/time -v.
for i in 1 2 3; do
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v -o "$TMP/m$i.time" "$MEM" spike 150 250 300 - >"$TMP/m$i.out"
    else
        "$MEM" spike 150 250 300 - >"$TMP/m$i.out"
    fi
done
# A process sampled between fork and exec: the subshell (named sh) waits on a
# fifo until a sample has seen it, then becomes a 10 ms burner.
mkfifo "$TMP/exec.go"
sh -c '( read x <"$1"; exec "$2" 10 ) & echo $! >"$1.pid"; wait' sh "$TMP/exec.go" "$TMP/${uniq}late" &
preexec_sh=$!
while [ ! -s "$TMP/exec.go.pid" ]; do sleep 0.01; done
preexec=$(cat "$TMP/exec.go.pid")
wait_seen "$db" "$preexec"
echo go >"$TMP/exec.go"
wait $preexec_sh
# setuid after start: root for a sample, then a uid of this run's own (no
# other process on the machine has it, whatever runs beside this suite) for
# 1.5 s of CPU.
suid=$((40000 + $$ % 20000))
setuid_pid=
if [ "$(id -u)" = 0 ]; then
    rm -f "$TMP/go.uid"
    "$WORK" setuid $suid "$TMP/go.uid" 1500 >"$TMP/setuid.out" &
    setuid_pid=$!
    wait_seen "$db" $setuid_pid
    touch "$TMP/go.uid"
fi

wait $burners $spike $awk_long
[ -n "$setuid_pid" ] && wait $setuid_pid
for f in chain1 chain2 loop_true loop_10ms; do
    while [ ! -s "$TMP/$f" ]; do sleep 0.05; done # its `times`: the reap is done
done
wait $storm
storm_rc=$?
wait_more "$db" 2 # every reap and exit above is in a stored sample
for f in chain1 chain2 loop_true loop_10ms; do release "$TMP/$f"; done
wait_more "$db" 1
kill -TERM $rec
wait $rec
check "accounting: the recorder ran through it all (exit $?)" [ $? -eq 0 ]
end_ns=$(sqlite3 "$db" "select max(ts_ns) from sample")

# -- baseline rows: long-running burners are exact already
for t in 1 4; do
    pid=$(sed 's/pid=\([0-9]*\).*/\1/' "$TMP/t$t.out")
    ind=$(sed 's/.*cpu_ns=\([0-9]*\).*/\1/' "$TMP/t$t.out")
    # The first process of that pid and name: later ones (the setuid
    # burner is named so too) would be another's, should the pid come back.
    got=$(sqlite3 "$db" "select coalesce(sum(cpu_user_ns + cpu_system_ns), 0) from proc_sample
                         where proc = (select min(proc) from process where pid = $pid and name = '${uniq}work')")
    table "$t-thread burner" "$ind" "$got" s
    if within "$got" "$ind" 3; then ok "accounting: $t-thread burner within 3% of its getrusage"
    else fail "accounting: $t-thread burner within 3% of its getrusage" \
        "prochist $got, getrusage $ind; recorder: $(grep -c . "$TMP/rec.log") log lines$(grep -m1 "were dropped" "$TMP/rec.log" | sed 's/^/, /')"; fi
done

# -- item 1: wrappers (exit records)
for c in chain1 chain2; do
    P=$(cat "$TMP/$c.pid")
    ind=$(times_ns "$TMP/$c")
    got=$(family_tree "$db" "$P")
    table "wrapper chain ${c#chain} level(s), exit records, with children" "$ind" "$got" s
    if within "$got" "$ind" 5; then ok "accounting: $c: every CPU second once through the wrappers (exit records)"
    else fail "accounting: $c: every CPU second once through the wrappers (exit records)" "prochist $got, times $ind"; fi
    capture "$PROCHIST" top --db "$db" --by process --children --since 10m --format json --limit 100000
    kids=$(jq --argjson p "$P" '[.rows[] | select(.pid == $p and .name == "sh") | .children_cpu_s] | add // 0' "$TMP/out")
    check "accounting: $c: top --children does not give the outer shell its grandchild again ($kids s)" \
        awk -v k="$kids" 'BEGIN { exit !(k < 0.3) }'
done

# -- item 3: short processes, own rows only (top without --children)
for l in loop_true loop_10ms; do
    P=$(cat "$TMP/$l.pid")
    ind=$(times_ns "$TMP/$l")
    got=$(own_tree "$db" "$P")
    table "200 x ${l#loop_} (own rows, no --children)" "$ind" "$got" s
    if [ $exits = 1 ]; then
        if within "$got" "$ind" 5; then ok "accounting: 200 x ${l#loop_}: own rows within 5% of times"
        else fail "accounting: 200 x ${l#loop_}: own rows within 5% of times" "prochist $got, times $ind"; fi
    fi
    fam=$(family_tree "$db" "$P")
    if within "$fam" "$ind" 5; then ok "accounting: 200 x ${l#loop_}: with children, nothing counted twice"
    else fail "accounting: 200 x ${l#loop_}: with children, nothing counted twice" "prochist $fam, times $ind"; fi
done

# -- item 2: peaks the kernel reported
peak_of() { # PID: the process's peak from `peak --by process`, bytes
    jq --argjson p "$1" '[.rows[] | select(.pid == $p) | .mem_peak_bytes] | max // 0' "$TMP/peak.json"
}
"$PROCHIST" peak --db "$db" --by process --since 10m --format json --limit 100000 >"$TMP/peak.json"
pid=$(sed 's/pid=\([0-9]*\).*/\1/' "$TMP/spike.out")
ind=$(($(sed 's/.*maxrss_kib=\([0-9]*\).*/\1/' "$TMP/spike.out") * 1024))
got=$(peak_of "$pid")
table "0.2 s spike of 300 MiB in a 6 s life (peak)" "$ind" "$got" MiB
if within "$got" "$ind" 3; then ok "accounting: a 0.2 s spike between samples is the process's peak"
else fail "accounting: a 0.2 s spike between samples is the process's peak" "prochist $got B, ru_maxrss $ind B"; fi
capture "$PROCHIST" top --db "$db" --by process --mem --since 10m --format json --limit 100000
top_peak=$(jq --argjson p "$pid" '[.rows[] | select(.pid == $p) | .mem_peak_bytes] | max // 0' "$TMP/out")
check "accounting: top --mem gives the spike the same peak ($top_peak)" [ "$top_peak" = "$got" ]
if [ $exits = 1 ]; then
    for i in 1 2 3; do
        pid=$(sed 's/pid=\([0-9]*\).*/\1/' "$TMP/m$i.out")
        if [ -s "$TMP/m$i.time" ]; then
            ind=$(($(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/m$i.time") * 1024))
        else
            ind=$(($(sed 's/.*maxrss_kib=\([0-9]*\).*/\1/' "$TMP/m$i.out") * 1024))
        fi
        got=$(peak_of "$pid")
        table "150 MiB process of 0.3 s, #$i (peak; time -v)" "$ind" "$got" MiB
        if within "$got" "$ind" 3; then ok "accounting: a 0.3 s process of 150 MiB has its peak (#$i)"
        else fail "accounting: a 0.3 s process of 150 MiB has its peak (#$i)" "prochist $got B, time -v $ind B"; fi
    done
    capture "$PROCHIST" top --db "$db" --mem --since 10m --name "${uniq}mem" --format json
    app_peak=$(jq '[.rows[].mem_peak_bytes] | max // 0' "$TMP/out")
    check "accounting: the app of short 150 MiB processes has a peak ($app_peak B)" \
        awk -v p="$app_peak" 'BEGIN { exit !(p >= 150 * 1048576) }'
fi

# -- item 4: a fork storm that reaps late (children wait as zombies)
if [ $exits = 1 ]; then
    check "accounting: the fork storm ran (exit $storm_rc)" [ "$storm_rc" = 0 ]
    pids=$(grep '^pid=' "$TMP/storm.out" | sed 's/pid=\([0-9]*\).*/\1/' | paste -sd, -)
    n=$(grep -c '^pid=' "$TMP/storm.out")
    rows=$(sqlite3 "$db" "select count(distinct pid) from process join proc_sample using (proc)
                          where kind = 4 and name = 'forks' and pid in ($pids)")
    echo "# fork storm: $n children at 100/s for 20 s, reaped every 8 s: $rows exit rows"
    check "accounting: fork storm: each of $n children has its exit row ($rows)" [ "$rows" = "$n" ]
    ind=$(sed -n 's/^total_ns=\([0-9]*\).*/\1/p' "$TMP/storm.out")
    got=$(sqlite3 "$db" "select coalesce(sum(cpu_user_ns + cpu_system_ns), 0) from process join proc_sample
                         using (proc) where name = 'forks' and pid in ($pids) and ppid = $storm")
    table "fork storm, 2,000 x 1 ms (children's rows)" "$ind" "$got" s
    if within "$got" "$ind" 5; then ok "accounting: fork storm: children's CPU within 5% of wait4"
    else fail "accounting: fork storm: children's CPU within 5% of wait4" "prochist $got, wait4 $ind"; fi
fi

# -- item 5: one program, one app
long_app=$(sqlite3 "$db" "select app from process where pid = $awk_long and ppid = $$ and name like '%awk'")
real=$(basename "$(readlink -f "$(command -v awk)")")
if [ $exits = 1 ]; then
    for p in $(cat "$TMP/awk.pids"); do
        a=$(sqlite3 "$db" "select app from process where pid = $p and ppid = $awk_sh and name like '%awk'")
        check "accounting: a short awk ($p) is in the app of a sampled one ('$a' = '$long_app' = '$real')" \
            sh -c '[ "$1" = "$2" ] && [ "$2" = "$3" ]' sh "$a" "$long_app" "$real"
    done
    got=$(sqlite3 "$db" "select name || ' ' || app from process where pid = $preexec order by proc desc limit 1")
    check "accounting: sampled before its exec, named by its exit record ('$got')" \
        [ "$got" = "${uniq}late ${uniq}late" ]
fi

# -- item 6: setuid after start
if [ -n "$setuid_pid" ]; then
    ind=$(sed 's/.*cpu_ns=\([0-9]*\).*/\1/' "$TMP/setuid.out")
    uid=$(sqlite3 "$db" "select uid from process where pid = $setuid_pid and name = '${uniq}work'")
    check "accounting: a process that called setuid($suid) is $suid's ($uid)" [ "$uid" = $suid ]
    capture "$PROCHIST" top --db "$db" --by user --since 10m --format json --limit 1000
    got=$(jq --argjson u $suid '[.rows[] | select(.uid == $u) | .cpu_s] | add // 0 | . * 1e9 | floor' "$TMP/out")
    table "setuid then 1.5 s: top --by user, the new uid" "$ind" "$got" s
    check "accounting: top --by user charges it to uid $suid ($got ns of its $ind)" \
        awk -v g="$got" -v i="$ind" 'BEGIN { exit !(g >= 0.9 * i && g <= 1.1 * i) }'
fi

# -- item 7: no memory where no sample was taken (after the recorder stopped)
P=$keeper
from=$(date -u -d "@$(( $(sqlite3 "$db" 'select min(ts_ns) from sample') / 1000000000 - 60 ))" +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d "@$(( end_ns / 1000000000 + 240 ))" +%Y-%m-%dT%H:%M:%SZ)
capture "$PROCHIST" show "$P" --db "$db" --since "$from" --until "$to" --resolution 1m --format json
last_ts=$(( end_ns / 1000000000 / 60 * 60 + 60 ))
after=$(jq --arg t "$(date -u -d "@$last_ts" +%Y-%m-%dT%H:%M:%SZ)" \
    '[.rows[] | select(.time >= $t)] | length' "$TMP/out")
invented=$(jq --arg t "$(date -u -d "@$last_ts" +%Y-%m-%dT%H:%M:%SZ)" \
    '[.rows[] | select(.time >= $t and .mem_peak_bytes != null)] | length' "$TMP/out")
had=$(jq '[.rows[] | select(.mem_peak_bytes != null)] | length' "$TMP/out")
check "accounting: show has memory where samples were ($had points)" [ "${had:-0}" -ge 1 ]
check "accounting: show has no memory after the recorder stopped ($invented of $after points)" \
    sh -c '[ "$1" -ge 1 ] && [ "$2" = 0 ]' sh "${after:-0}" "${invented:-1}"
echo >"$TMP/keep"
wait $keeper

# ---- Session B: without exit records, the same wrappers ------------------
db="$TMP/noexit.db"
PROCHIST_NO_EXITS=1 "$PROCHIST" record --db "$db" --interval 1 --quiet &
rec=$!
wait_samples "$db" 1
for c in chain1 chain2; do rm -f "$TMP/$c"; done
held "$TMP/chain1" '"$0" 1500; true' "$SPIN"
held "$TMP/chain2" 'sh -c "\"\$1\" 1500; true" sh "$0"; true' "$SPIN"
for c in chain1 chain2; do
    while [ ! -s "$TMP/$c" ]; do sleep 0.05; done
done
wait_more "$db" 2
for c in chain1 chain2; do release "$TMP/$c"; done
kill -TERM $rec
wait $rec
check "accounting: the recorder without exit records ran through it (exit $?)" [ $? -eq 0 ]
for c in chain1 chain2; do
    P=$(cat "$TMP/$c.pid")
    ind=$(times_ns "$TMP/$c")
    got=$(family_tree "$db" "$P")
    table "wrapper chain ${c#chain} level(s), no exit records, with children" "$ind" "$got" s
    if within "$got" "$ind" 5; then ok "accounting: $c: every CPU second once through the wrappers (no exit records)"
    else fail "accounting: $c: every CPU second once through the wrappers (no exit records)" "prochist $got, times $ind"; fi
done
wait
