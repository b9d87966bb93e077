#!/bin/sh
# Control groups from fixture trees (tests/fixtures/cgroup: a v2-only, a
# hybrid and a v1-only host, with docker, podman and kubepods paths laid over
# tests/fixtures/proc): `record` stores each process's cgroup once per
# distinct path, with the unit, slice and container keys the views show; a
# process moved to another cgroup follows on the next keyframe; a process
# whose cgroup file cannot be read has none (NULL).
. "$(dirname "$0")/../lib.sh"
need_linux cgroup_fixture "a /proc fixture tree (--proc-root)"

D=3f1c2ab6f0e5d1c94a7b8e2d6c0f1a3b5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a
K=9a8b7c6d5e4f30211203a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5
P=e7a1c3d5b9f2e4a6c8d0b1f3e5a7c9d2b4f6e8a0c1d3e5f7a9b2c4d6e8f0a1b3
U=5f1bd0c2-8e3a-4b7c-9d6e-0a1b2c3d4e5f

# key HOST DB PID: "unit|slice|container|container_id|runtime|pod" of PID
key() {
    sqlite3 "$2" "select unit || '|' || slice || '|' || ifnull(container, '') || '|' ||
                         ifnull(container_id, '') || '|' || ifnull(runtime, '') || '|' || ifnull(pod, '')
                  from v_proc_cgroup where pid = $3"
}
expect() { # HOST DB PID WANT
    got=$(key "$1" "$2" "$3")
    if [ "$got" = "$4" ]; then ok "cgroup_fixture: $1 pid $3 is $4"
    else fail "cgroup_fixture: $1 pid $3 is $4" "got '$got'"; fi
}

for host in v2 hybrid v1; do
    proc="$TMP/$host"
    db="$TMP/$host.db"
    cp -R "$TESTS_DIR/fixtures/proc" "$proc"
    (cd "$TESTS_DIR/fixtures/cgroup/$host" && for p in [0-9]*; do cp "$p/cgroup" "$proc/$p/cgroup"; done)
    "$PROCHIST" record --db "$db" --proc-root "$proc" --count 1 --quiet
    check "cgroup_fixture: $host records" [ $? -eq 0 ]
    n=$(sqlite3 "$db" "select count(*) from process where cgroup is not null")
    check "cgroup_fixture: $host: every process has its cgroup ($n of 6)" [ "$n" = 6 ]
    case $host in
    v2)
        expect $host "$db" 1 "init.scope|-.slice||||"
        expect $host "$db" 2 "-|-||||"
        expect $host "$db" 1186 "session-3.scope|user-1000.slice||||"
        expect $host "$db" 3109 "docker-$D.scope|system.slice|3f1c2ab6f0e5|$D|docker|"
        expect $host "$db" 3154 "cri-containerd-$K.scope|kubepods-besteffort-pod5f1bd0c2_8e3a_4b7c_9d6e_0a1b2c3d4e5f.slice|9a8b7c6d5e4f|$K|containerd|$U"
        # rootless podman: a container, in the user's own manager's tree
        expect $host "$db" 3221 "user@1000/libpod-$P.scope|user@1000/user.slice|user@1000/e7a1c3d5b9f2|user@1000/$P|podman|"
        ;;
    hybrid)
        expect $host "$db" 1 "init.scope|-.slice||||"
        expect $host "$db" 1186 "session-3.scope|user-1000.slice||||"
        expect $host "$db" 3109 "-|-|3f1c2ab6f0e5|$D|docker|"
        expect $host "$db" 3154 "nginx.service|system.slice||||"
        expect $host "$db" 3221 "user@1000/foo.service|user@1000/app.slice||||"
        both=$(sqlite3 "$db" "select path_v2 || ' ' || path_v1 from cgroup join process using (cgroup) where pid = 1186")
        check "cgroup_fixture: hybrid keeps both paths" \
            [ "$both" = "/user.slice/user-1000.slice/session-3.scope /user.slice/user-1000.slice/session-3.scope" ]
        ;;
    v1)
        expect $host "$db" 1 "init.scope|-.slice||||"
        expect $host "$db" 3109 "-|-|3f1c2ab6f0e5|$D|docker|"
        expect $host "$db" 3154 "-|-|9a8b7c6d5e4f|$K|cri|$U"
        expect $host "$db" 3221 "cron.service|system.slice||||"
        v2=$(sqlite3 "$db" "select count(*) from cgroup where path_v2 is not null")
        check "cgroup_fixture: v1 host has no v2 paths" [ "$v2" = 0 ]
        ;;
    esac
done

# Once per distinct path: on the v2 host, 1186 and 3221 in one session.
proc="$TMP/v2"
db="$TMP/v2.db"
cp "$proc/1186/cgroup" "$proc/3221/cgroup"
# The next run starts with a keyframe: 3221 (known from the last run, so not
# a first sight) is read again and follows; 3154's file is gone (unreadable):
# it keeps what it had.
rm "$proc/3154/cgroup"
"$PROCHIST" record --db "$db" --proc-root "$proc" --count 1 --quiet
expect v2 "$db" 3221 "session-3.scope|user-1000.slice||||"
expect v2 "$db" 3154 "cri-containerd-$K.scope|kubepods-besteffort-pod5f1bd0c2_8e3a_4b7c_9d6e_0a1b2c3d4e5f.slice|9a8b7c6d5e4f|$K|containerd|$U"
same=$(sqlite3 "$db" "select count(distinct cgroup) || ' ' || count(*) from process where pid in (1186, 3221)")
check "cgroup_fixture: one row for one path ($same)" [ "$same" = "1 2" ]
rows=$(sqlite3 "$db" "select count(*) from cgroup where path = '/user.slice/user-1000.slice/session-3.scope'")
check "cgroup_fixture: the path is stored once" [ "$rows" = 1 ]
# 3221 was the only process in its podman cgroup: that row went with the move.
rows=$(sqlite3 "$db" "select count(*) from cgroup where container_id = '$P'")
check "cgroup_fixture: the cgroup 3221 left, referenced by nothing, is gone ($rows)" [ "$rows" = 0 ]

# A process first seen without a readable cgroup file has none.
cp -R "$proc/3109" "$proc/4000"
awk '{ $1 = 4000; $22 = 70300; print }' "$proc/4000/stat" >"$proc/4000/stat.new" && mv "$proc/4000/stat.new" "$proc/4000/stat"
rm "$proc/4000/cgroup"
"$PROCHIST" record --db "$db" --proc-root "$proc" --count 1 --quiet
none=$(sqlite3 "$db" "select count(*) from process where pid = 4000 and cgroup is null")
check "cgroup_fixture: an unreadable cgroup is NULL" [ "$none" = 1 ]
none=$(sqlite3 "$db" "select count(*) from v_proc_cgroup where pid = 4000 and unit is null")
check "cgroup_fixture: and has no unit in v_proc_cgroup" [ "$none" = 1 ]

# --by unit|slice|container|cgroup: the v2 host recorded three times, each
# process's CPU ticks and bytes read raised between runs by amounts of its
# own; 3221's cgroup file removed, so it has no cgroup and groups under '-'.
proc="$TMP/by"
db="$TMP/by.db"
cp -R "$TESTS_DIR/fixtures/proc" "$proc"
(cd "$TESTS_DIR/fixtures/cgroup/v2" && for p in [0-9]*; do cp "$p/cgroup" "$proc/$p/cgroup"; done)
rm "$proc/3221/cgroup"
bump() { # utime + 100 + pid % 97 ticks, stime + 7; read_bytes + 4096 * (1 + pid % 13)
    for p in 1 2 1186 3109 3154 3221; do
        awk -v d=$p '{ $14 = $14 + 100 + d % 97; $15 = $15 + 7; print }' "$proc/$p/stat" >"$proc/$p/stat.new" &&
            mv "$proc/$p/stat.new" "$proc/$p/stat"
        [ -f "$proc/$p/io" ] || continue
        awk -v d=$p '/^read_bytes/ { $2 = $2 + 4096 * (1 + d % 13) } { print }' "$proc/$p/io" >"$proc/$p/io.new" &&
            mv "$proc/$p/io.new" "$proc/$p/io"
    done
}
for i in 1 2 3; do
    "$PROCHIST" record --db "$db" --proc-root "$proc" --count 1 --quiet
    bump
done
W="--db $db --since 1h --format json -n 1000"
# sums KEY: "cpu_s disk_bytes" over the groups of top --by KEY
sums() {
    "$PROCHIST" top $W --by "$1" |
        jq -r '"\([.rows[].cpu_s // 0] | add) \([.rows[] | (.disk_read_bytes // 0) + (.disk_write_bytes // 0)] | add)"'
}
# same_sums WHAT A B: "cpu disk" pairs equal to float rounding, and not zero
same_sums() {
    check "$1 ($2 | $3)" awk -v a="$2" -v b="$3" 'BEGIN { split(a, x, " "); split(b, y, " ");
        d = x[1] - y[1]; e = x[2] - y[2]
        exit !(x[1] > 0 && x[2] > 0 && d < 1e-6 && d > -1e-6 && e < 1e-6 && e > -1e-6) }'
}
groups() { # KEY FIELD: the sorted values of FIELD over top --by KEY's rows
    "$PROCHIST" top $W --by "$1" | jq -r "[.rows[].$2] | sort | join(\" \")"
}
app=$(sums app)
for k in unit slice container cgroup; do
    same_sums "cgroup_fixture: top --by $k sums to --by app's cpu_s and disk bytes" "$(sums $k)" "$app"
done
got=$(groups unit unit)
check "cgroup_fixture: top --by unit lists the units ($got)" \
    [ "$got" = "- cri-containerd-$K.scope docker-$D.scope init.scope session-3.scope" ]
got=$(groups slice slice)
check "cgroup_fixture: top --by slice lists the slices ($got)" \
    [ "$got" = "- -.slice kubepods-besteffort-pod5f1bd0c2_8e3a_4b7c_9d6e_0a1b2c3d4e5f.slice system.slice user-1000.slice" ]
got=$(groups container container_id)
check "cgroup_fixture: top --by container lists the full ids in JSON ($got)" [ "$got" = "- $D $K" ]
got=$(groups container container)
check "cgroup_fixture: and the short ids as the key ($got)" [ "$got" = "- 3f1c2ab6f0e5 9a8b7c6d5e4f" ]
got=$(groups cgroup cgroup)
check "cgroup_fixture: top --by cgroup lists the paths, '-' for none ($got)" \
    [ "$got" = "- / /init.scope /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod5f1bd0c2_8e3a_4b7c_9d6e_0a1b2c3d4e5f.slice/cri-containerd-$K.scope /system.slice/docker-$D.scope /user.slice/user-1000.slice/session-3.scope" ]
# Each group holds its own processes' use: the docker unit is pid 3109 alone,
# two bumps of (100 + 3109 % 97) + 7 ticks = 2.24 s.
got=$("$PROCHIST" top $W --by unit | jq -r ".rows[] | select(.unit == \"docker-$D.scope\") | .cpu_s")
check "cgroup_fixture: the docker unit has pid 3109's CPU ($got s)" [ "$got" = 2.24 ]
# '-' of --by cgroup is 3221 alone: (100 + 3221 % 97 + 7) x 2 = 2.54 s
got=$("$PROCHIST" top $W --by cgroup | jq -r '.rows[] | select(.cgroup == "-") | .cpu_s')
check "cgroup_fixture: a process without a cgroup groups under '-' ($got s)" [ "$got" = 2.54 ]
tbl=$("$PROCHIST" top --db "$db" --since 1h --by container | awk 'NR == 2 { print $1 }')
check "cgroup_fixture: the table's column is CONTAINER ($tbl)" [ "$tbl" = CONTAINER ]
"$PROCHIST" top --db "$db" --since 1h --by container | grep -q "^3f1c2ab6f0e5 "
check "cgroup_fixture: the table shows the short container id" [ $? -eq 0 ]
for c in apps peak "diff --vs 1h..now"; do
    got=$("$PROCHIST" $c --db "$db" --since 1h --by slice --format json | jq -r '[.rows[].slice] | sort | join(" ")')
    check "cgroup_fixture: $c --by slice groups by slice ($got)" \
        [ "$got" = "- -.slice kubepods-besteffort-pod5f1bd0c2_8e3a_4b7c_9d6e_0a1b2c3d4e5f.slice system.slice user-1000.slice" ]
done

# Usage: an unknown key is one line naming the accepted ones, exit 2.
capture "$PROCHIST" top --db "$db" --by nonsense
check "cgroup_fixture: --by nonsense exits 2 with one line listing the keys" \
    [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] &&
    grep -q "use app, process, user, unit, slice, container or cgroup" "$TMP/err"

# The hour tier: a window of whole hours on a generated history (units,
# slices, containers from tests/gen/genlib.c) answered from hour rows gives
# the same totals for every key as --by app.
gdb="$TMP/gen.db"
"$GEN" "$gdb" --hours 28 --alive 24 --busy 4 --churn 0.3 --seed 13 --start 1795132800 >/dev/null
W="--db $gdb --utc --since 2026-11-20T02:00Z --until 2026-11-21T03:00Z --format json -n 100000"
tiers=$("$PROCHIST" top $W --by unit | jq -r '[.tiers[].tier] | unique | join(",")')
check "cgroup_fixture: the generated window is answered from the hour tier ($tiers)" [ "$tiers" = hour ]
app=$(sums app)
for k in unit slice container cgroup; do
    same_sums "cgroup_fixture: hour tier: --by $k totals equal --by app's" "$(sums $k)" "$app"
    n=$("$PROCHIST" top $W --by $k | jq '.rows | length')
    check "cgroup_fixture: hour tier: --by $k has several groups ($n)" [ "$n" -gt 2 ]
done

# The other commands that take --by, on the same hour-tier window: apps
# (CPU, disk, processes) and diff (both windows' CPU) come to --by app's
# totals for every key.
# totals KEY: "apps_cpu apps_disk apps_procs diff_before diff_after"
totals() {
    a=$("$PROCHIST" apps $W --by "$1" |
        jq -r '"\([.rows[].cpu_s // 0] | add) \([.rows[].disk_bytes // 0] | add) \([.rows[].distinct_processes // 0] | add)"')
    d=$("$PROCHIST" diff $W --vs 2026-11-20T00:00Z..2026-11-20T02:00Z --by "$1" |
        jq -r '"\([.rows[].before_cpu_s // 0] | add) \([.rows[].after_cpu_s // 0] | add)"')
    echo "$a $d"
}
# same_totals WHAT A B: each of the five figures equal (to float rounding), none zero
same_totals() {
    check "$1 ($2 | $3)" awk -v a="$2" -v b="$3" 'BEGIN { n = split(a, x, " "); m = split(b, y, " ")
        if (n != 5 || m != 5) exit 1
        for (i = 1; i <= 5; i++) { d = x[i] - y[i]; if (!(x[i] > 0) || d > 1e-6 || d < -1e-6) exit 1 }
        exit 0 }'
}
base=$(totals app)
for k in unit slice container cgroup; do
    same_totals "cgroup_fixture: apps and diff --by $k come to --by app's" "$(totals $k)" "$base"
done
# peak's groups are the query engine's, as an app's: the largest sum of
# their processes' memory at one moment, so no group is below its largest
# process and all of them together are at most the processes' own peaks
# summed; and each is top --by KEY's figure for the group.
pmax=$("$PROCHIST" peak $W --by process --limit 100000 | jq '[.rows[].mem_peak_bytes // 0] | max')
psum=$("$PROCHIST" peak $W --by process --limit 100000 | jq '[.rows[].mem_peak_bytes // 0] | add')
for k in unit slice container cgroup; do
    "$PROCHIST" peak $W --by $k --limit 100000 >"$TMP/peak-$k.json"
    "$PROCHIST" top $W --by $k --mem --limit 100000 --format json >"$TMP/topmem-$k.json"
    got=$(jq -r '"\([.rows[].mem_peak_bytes // 0] | max) \([.rows[].mem_peak_bytes // 0] | add)"' "$TMP/peak-$k.json")
    check "cgroup_fixture: peak --by $k: the largest group holds the largest process, all at most the processes' peaks summed ($got; $pmax $psum)" \
        awk -v g="$got" -v m="$pmax" -v s="$psum" 'BEGIN { split(g, x, " "); exit !(m > 0 && x[1] >= m && x[2] <= s && x[2] < s) }'
    got=$(jq -n --slurpfile p "$TMP/peak-$k.json" --slurpfile t "$TMP/topmem-$k.json" \
        '[$p[0].rows[] | {(.name): .mem_peak_bytes}] | add as $pk | [$t[0].rows[] | select($pk[.name] != .mem_peak_bytes)] | length')
    check "cgroup_fixture: peak --by $k and top --by $k --mem give each group the same peak ($got differ)" [ "$got" = 0 ]
done

# show --by KEY NAME: one group's timeline; its points add up to that
# group's row of top --by KEY over the same window (CPU and both disk
# counters), for the two largest groups of each key and for '-'.
# show_sums KEY NAME: "cpu read write" summed over show's points
show_sums() {
    "$PROCHIST" show $SW --by "$1" "$2" --resolution 1h |
        jq -r '"\([.rows[].cpu_s // 0] | add) \([.rows[].disk_read_bytes // 0] | add) \([.rows[].disk_write_bytes // 0] | add)"'
}
# same3 WHAT A B: three figures equal to float rounding, the first not zero
same3() {
    check "$1 ($2 | $3)" awk -v a="$2" -v b="$3" 'BEGIN { n = split(a, x, " "); m = split(b, y, " ")
        if (n != 3 || m != 3 || !(x[1] > 0)) exit 1
        for (i = 1; i <= 3; i++) { d = x[i] - y[i]; if (d > 1e-6 || d < -1e-6) exit 1 }
        exit 0 }'
}
SW="--db $gdb --utc --since 2026-11-20T02:00Z --until 2026-11-21T03:00Z --format json"
for k in unit slice container cgroup; do
    "$PROCHIST" top $W --by $k >"$TMP/top-$k.json"
    for name in $(jq -r "[.rows[0:2][].$k, (.rows[] | select(.$k == \"-\") | .$k)] | unique | .[]" "$TMP/top-$k.json"); do
        want=$(jq -r --arg n "$name" ".rows[] | select(.$k == \$n) |
                   \"\(.cpu_s // 0) \(.disk_read_bytes // 0) \(.disk_write_bytes // 0)\"" "$TMP/top-$k.json")
        same3 "cgroup_fixture: show --by $k $name adds up to top --by $k's row" "$(show_sums $k "$name")" "$want"
    done
done
# A container by its full id: the same timeline, the full id in JSON.
cid=$(jq -r '[.rows[] | select(.container != "-")][0].container_id' "$TMP/top-container.json")
short=$(printf %.12s "$cid")
a=$("$PROCHIST" show $SW --by container "$short" --resolution 1h | jq -c '[.container, .container_id, .rows]')
b=$("$PROCHIST" show $SW --by container "$cid" --resolution 1h | jq -c '[.container, .container_id, .rows]')
check "cgroup_fixture: show --by container takes the short or the full id ($short)" \
    sh -c '[ "$1" = "$2" ] && [ "$(echo "$1" | jq -r ".[0] + \" \" + .[1]")" = "$3 $4" ]' sh "$a" "$b" "$short" "$cid"
# A short id two containers share (two ids alike in 12 characters, or a row
# written before a user manager's containers were keyed as the user's, as
# this one is): refused, not summed.
amb="$TMP/ambiguous.db"
cp "$db" "$amb"
other=3f1c2ab6f0e50000000000000000000000000000000000000000000000000beef
sqlite3 "$amb" "insert into cgroup (path, path_v2, unit, slice, container, container_id, runtime)
                values ('/user.slice/user-1000.slice/user@1000.service/app.slice/docker-$other.scope',
                        '/user.slice/user-1000.slice/user@1000.service/app.slice/docker-$other.scope',
                        'user@1000/docker-$other.scope', 'app.slice', '3f1c2ab6f0e5', '$other', 'docker');
                update process set cgroup = last_insert_rowid() where pid = 3221"
capture "$PROCHIST" show --db "$amb" --since 1h --by container 3f1c2ab6f0e5
check "cgroup_fixture: show --by container of a short id two containers share: one line, exit 2" \
    [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "names more than one" "$TMP/err"
got=$("$PROCHIST" show --db "$amb" --since 1h --by container "$D" --format json | jq '[.rows[].cpu_s // 0] | add')
check "cgroup_fixture: and its full id still shows that one container alone ($got s)" \
    awk -v v="$got" 'BEGIN { d = v - 2.24; exit !(d < 1e-6 && d > -1e-6) }'
# The same claim made through a recording: any user can create a cgroup
# named docker-<id of a real container>.scope under their own systemd
# manager. Pid 3221 put there (docker $D is pid 3109's), recorded as above:
# its keys are the user's (user@1000/<id>), and the real container's
# timeline and row stay pid 3109's alone (2.24 s); its short id is no
# longer ambiguous.
proc="$TMP/claim"
cdb="$TMP/claim.db"
cp -R "$TESTS_DIR/fixtures/proc" "$proc"
(cd "$TESTS_DIR/fixtures/cgroup/v2" && for p in [0-9]*; do cp "$p/cgroup" "$proc/$p/cgroup"; done)
printf '0::/user.slice/user-1000.slice/user@1000.service/app.slice/docker-%s.scope\n' "$D" >"$proc/3221/cgroup"
for i in 1 2 3; do
    "$PROCHIST" record --db "$cdb" --proc-root "$proc" --count 1 --quiet
    bump
done
expect claim "$cdb" 3221 "user@1000/docker-$D.scope|user@1000/app.slice|user@1000/3f1c2ab6f0e5|user@1000/$D|docker|"
got=$("$PROCHIST" show --db "$cdb" --since 1h --by container "$D" --format json | jq '[.rows[].cpu_s // 0] | add')
check "cgroup_fixture: a user's docker-<real id>.scope is not summed into that container ($got s)" \
    awk -v v="$got" 'BEGIN { d = v - 2.24; exit !(d < 1e-6 && d > -1e-6) }'
# (pid 3221: (100 + 3221 % 97 + 7) x 2 ticks = 2.54 s)
got=$("$PROCHIST" top --db "$cdb" --since 1h --by container --format json |
    jq -r '[.rows[] | select(.container != "-") | "\(.container)=\(.container_id)=\(.cpu_s)"] | sort | join(" ")')
check "cgroup_fixture: top --by container shows the user's claim as its own row ($got)" \
    [ "$got" = "3f1c2ab6f0e5=$D=2.24 9a8b7c6d5e4f=$K=3.14 user@1000/3f1c2ab6f0e5=user@1000/$D=2.54" ]
capture "$PROCHIST" show --db "$cdb" --since 1h --by container 3f1c2ab6f0e5
check "cgroup_fixture: and the container's short id names it alone (exit $rc)" [ "$rc" -eq 0 ]
# On the fixture host: the docker unit is pid 3109 alone (2.24 s, above).
got=$("$PROCHIST" show --db "$db" --since 1h --by unit "docker-$D.scope" --format json | jq '[.rows[].cpu_s // 0] | add')
check "cgroup_fixture: show --by unit docker-....scope has pid 3109's CPU ($got s)" \
    awk -v v="$got" 'BEGIN { d = v - 2.24; exit !(d < 1e-6 && d > -1e-6) }'
# The cgroup table's page damaged: a query by a cgroup key says which file
# and how to recover it, in one line, as a query that hits damage elsewhere
# does (tests/e2e/hardening.sh). The page's cell pointers overwritten with
# 0xff: offsets past the page, which SQLite reports as corruption.
cgbad="$TMP/cgroup-damaged.db"
cp "$db" "$cgbad"
psize=$(sqlite3 "$cgbad" "pragma page_size")
page=$(sqlite3 "$cgbad" "select rootpage from sqlite_master where name = 'cgroup'")
printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377' |
    dd of="$cgbad" bs=1 seek=$(( (page - 1) * psize + 8 )) conv=notrunc 2>/dev/null
recover_line() { # RC: exit RC, one line naming the file and .recover
    [ "$rc" -eq "$1" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -qF "$cgbad is corrupt" "$TMP/err" &&
        grep -qF "'sqlite3 $cgbad .recover'" "$TMP/err"
}
for args in "top --by unit" "show --by unit init.scope"; do
    capture "$PROCHIST" $args --db "$cgbad" --since 1h
    check "cgroup_fixture: $args on a damaged cgroup table: one line naming the file and .recover, exit 1" \
        recover_line 1
done
# A hostile cgroup path and process name: any user names their own cgroups
# (under their systemd manager) and processes. Pid 1186 in a cgroup whose
# path holds a byte that is not UTF-8 (0xff) and RLO (U+202E, which shows
# the rest of a line backwards), its name holding RLO too, recorded twice.
# JSON stays valid UTF-8 (show echoed the path's bytes as they were) and
# keeps RLO; tables and CSV show neither byte.
hproc="$TMP/hostile"
hdb="$TMP/hostile.db"
rlo=$(printf '\342\200\256')
hpath="/user.slice/user-1000.slice/bad-$(printf '\377')-${rlo}kool.scope"
cp -R "$TESTS_DIR/fixtures/proc" "$hproc"
(cd "$TESTS_DIR/fixtures/cgroup/v2" && for p in [0-9]*; do cp "$p/cgroup" "$hproc/$p/cgroup"; done)
printf '0::%s\n' "$hpath" >"$hproc/1186/cgroup"
printf 'b%shsab\n' "$rlo" >"$hproc/1186/comm"
sed "s/(bash)/(b${rlo}hsab)/" "$TESTS_DIR/fixtures/proc/1186/stat" >"$hproc/1186/stat"
"$PROCHIST" record --db "$hdb" --proc-root "$hproc" --count 1 --quiet
awk '{ $14 = $14 + 150; print }' "$hproc/1186/stat" >"$hproc/1186/stat.new" && mv "$hproc/1186/stat.new" "$hproc/1186/stat"
"$PROCHIST" record --db "$hdb" --proc-root "$hproc" --count 1 --quiet
# utf8 FILE: the file is valid UTF-8 (python3's strict decoder, else iconv)
utf8() {
    if command -v python3 >/dev/null 2>&1; then python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' <"$1"
    else iconv -f UTF-8 -t UTF-8 <"$1" >/dev/null; fi
}
json_ok() { utf8 "$1" && LC_ALL=C grep -qF "$rlo" "$1"; }
# clean FILE: neither 0xff nor RLO in it
clean() { ! LC_ALL=C grep -q "$(printf '\377')" "$1" && ! LC_ALL=C grep -qF "$rlo" "$1"; }
"$PROCHIST" show --db "$hdb" --since 1h --by cgroup "$hpath" --format json >"$TMP/h-show.json"
check "cgroup_fixture: show --by cgroup of a path with a non-UTF-8 byte: valid UTF-8 JSON" utf8 "$TMP/h-show.json"
got=$(jq -r '.cgroup' "$TMP/h-show.json")
check "cgroup_fixture: ... naming the path with '?' for the bad byte, RLO kept ($got)" \
    [ "$got" = "/user.slice/user-1000.slice/bad-?-${rlo}kool.scope" ]
"$PROCHIST" show --db "$hdb" --since 1h --by cgroup "$(printf '/nosuch\377')" --format json >"$TMP/h-none.json" 2>/dev/null
check "cgroup_fixture: show --by cgroup of an unknown non-UTF-8 path: valid UTF-8 JSON" utf8 "$TMP/h-none.json"
for c in top peak apps; do
    for k in cgroup process; do
        "$PROCHIST" $c --db "$hdb" --since 1h --by $k -n 100 --format json >"$TMP/h.json" 2>/dev/null
        check "cgroup_fixture: $c --by $k JSON is valid UTF-8 and keeps RLO" json_ok "$TMP/h.json"
        for f in table csv; do
            "$PROCHIST" $c --db "$hdb" --since 1h --by $k -n 100 --format $f >"$TMP/h.$f" 2>/dev/null
            check "cgroup_fixture: $c --by $k $f shows no 0xff or RLO byte" clean "$TMP/h.$f"
        done
    done
done
"$PROCHIST" top --db "$hdb" --since 1h --by cgroup -n 100 >"$TMP/h.table" 2>/dev/null
check "cgroup_fixture: the table shows the path, '?' for each" grep -qF "/bad-?-?kool.scope" "$TMP/h.table"
# A key that matches nothing: one line, exit 1, as for an unknown app.
capture "$PROCHIST" show $SW --by unit nosuch.service --resolution 1h
check "cgroup_fixture: show --by unit of an unknown unit: one line, exit 1" \
    [ "$rc" -eq 1 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "no unit 'nosuch.service' in this window" "$TMP/err"
capture "$PROCHIST" show $SW --by user root
check "cgroup_fixture: show --by user is a usage error naming the keys" \
    [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "app, process, unit, slice, container or cgroup" "$TMP/err"

# report --by KEY over the same hour-tier window: the page's groups and
# their totals (CPU, memory, disk) are top --by KEY's; its points add up to
# the window (tests/e2e/report.sh checks the page itself and a minute- and
# raw-tier window).
RW="--db $gdb --utc --since 2026-11-20T02:00Z --until 2026-11-21T03:00Z"
command -v python3 >/dev/null 2>&1 || skip "cgroup_fixture: report --by on the hour tier" "needs python3 to read the page"
for k in $(command -v python3 >/dev/null 2>&1 && echo unit container); do
    "$PROCHIST" report $RW --by $k -o "$TMP/report-$k.html" 2>"$TMP/err"
    got=$(python3 - "$TMP/report-$k.html" "$TMP/top-$k.json" <<'PYEOF'
import json, re, sys
s = open(sys.argv[1], encoding='utf-8').read()
def blob(i):
    return json.loads(re.search(r'<script type="application/json" id="%s">(.*?)</script>' % i, s, re.S).group(1))
summ, data, top = blob('ph-summary'), blob('ph-data'), json.load(open(sys.argv[2]))
rows = {r['name']: r for r in summ['rows']}
bad = [t['name'] for t in top['rows'] if t['name'] not in rows
       or abs((rows[t['name']]['cpu_ns'] or 0) / 1e9 - (t['cpu_s'] or 0)) > 1e-6
       or any(rows[t['name']][f] != t[f] for f in ('mem_peak_bytes', 'disk_read_bytes', 'disk_write_bytes'))]
cpu = [c for c in data['charts'] if c['id'] == 'cpu'][0]
pts = sum(v for v in cpu['total'] if v)
win = sum(r['cpu_ns'] or 0 for r in summ['rows'])
print('%s %d/%d %d %d' % (summ['by'], len(rows), len(top['rows']), len(bad), pts - win))
PYEOF
)
    check "cgroup_fixture: report --by $k equals top --by $k on the hour tier, points add up ($got)" \
        [ "$got" = "$k $(jq '.rows | length' "$TMP/top-$k.json")/$(jq '.rows | length' "$TMP/top-$k.json") 0 0" ]
done

# A database from before schema 13 (no cgroup table, no process.cgroup):
# every process groups under '-', with the same totals.
old="$TMP/old.db"
cp "$TMP/by.db" "$old"
sqlite3 "$old" "drop view v_cgroup_hour; drop view v_cgroup_sample; drop view v_proc_cgroup;
                drop trigger proc_minute_total; drop trigger proc_minute_total_undo; drop table cgroup_total;
                drop trigger process_delete_cgroup; drop trigger process_move_cgroup; drop index process_cgroup;
                alter table process drop column cgroup; drop table cgroup; pragma user_version = 12;"
got=$("$PROCHIST" top --db "$old" --since 1h --by unit --format json | jq -c '[.rows[] | [.unit, .cpu_s]]')
check "cgroup_fixture: a pre-cgroup database groups everything under '-' ($got)" [ "$got" = '[["-",14.84]]' ]

# Retention: a cgroup row goes with the last process that referenced it.
# Six generated hours two days old, pruned by a recording now that keeps
# three hours: the generated processes go, and with them every cgroup only
# they were in, such as phtest-gone.service given to five of them here.
rdb="$TMP/retain.db"
"$GEN" "$rdb" --hours 6 --alive 30 --busy 4 --churn 0.5 --seed 5 --start $(( $(date +%s) - 2 * 86400 )) >/dev/null
sqlite3 "$rdb" "insert into cgroup (path, path_v2, unit, slice) values ('/system.slice/phtest-gone.service',
                    '/system.slice/phtest-gone.service', 'phtest-gone.service', 'system.slice');
                update process set cgroup = last_insert_rowid()
                    where proc in (select proc from process where gone_ns is not null order by gone_ns limit 5)"
gone=$(sqlite3 "$rdb" "select group_concat(proc) from process join cgroup using (cgroup) where unit = 'phtest-gone.service'")
before=$(sqlite3 "$rdb" "select count(*) from process join cgroup using (cgroup) where unit = 'phtest-gone.service'")
check "cgroup_fixture: retention: five old processes are in phtest-gone.service ($before)" [ "$before" = 5 ]
"$PROCHIST" record --db "$rdb" --count 20 --interval 0.05 --quiet --retain raw=1h,minute=2h,hour=3h
check "cgroup_fixture: retention: the recording with a 3 h retention exits 0" [ $? -eq 0 ]
got=$(sqlite3 "$rdb" "select count(*) from process where proc in (${gone:-0})")
check "cgroup_fixture: retention: those processes are pruned ($got left)" [ "$got" = 0 ]
got=$(sqlite3 "$rdb" "select count(*) from cgroup where unit = 'phtest-gone.service'")
check "cgroup_fixture: retention: their cgroup row is pruned with them ($got left)" [ "$got" = 0 ]
got=$(sqlite3 "$rdb" "select count(*) from cgroup where cgroup not in (select cgroup from process where cgroup is not null)")
check "cgroup_fixture: retention: no cgroup row is left that no process references ($got)" [ "$got" = 0 ]
got=$(sqlite3 "$rdb" "select count(*) from process where cgroup is not null and cgroup not in (select cgroup from cgroup)")
check "cgroup_fixture: retention: no process references a missing cgroup ($got)" [ "$got" = 0 ]
got=$(sqlite3 "$rdb" "select count(*) from process where cgroup is not null")
check "cgroup_fixture: retention: this recording's processes keep theirs ($got)" [ "$got" -gt 0 ]

# The upgrade to schema 15: a schema 14 database with a row no process
# references (left by retention before the triggers) loses it, and gains
# the triggers and totals. (Undone by hand, so only while 019 is the newest
# migration: a later one must add its objects to the drops here.)
up="$TMP/up15.db"
cp "$TMP/by.db" "$up"
ver=$(sqlite3 "$up" "pragma user_version")
n19=$(ls "$TESTS_DIR/../schema" | grep -n '^019_' | cut -d: -f1)
check "cgroup_fixture: schema 19 is the newest migration (number $n19 of $ver)" [ "$n19" = "$ver" ]
sqlite3 "$up" "delete from meta where key = 'app_hour_wide_from'; alter table app_minute drop column child_cpu_user_ns; alter table app_minute drop column child_cpu_system_ns; alter table app_minute drop column energy_est_nj; alter table app_minute drop column gpu_ns; delete from meta where key = 'app_minute_wide_from'; alter table app_hour drop column child_cpu_user_ns; alter table app_hour drop column child_cpu_system_ns; alter table app_hour drop column energy_est_nj; alter table app_hour drop column gpu_ns; alter table app_hour drop column instructions; alter table app_hour drop column cycles; alter table app_hour drop column ctxsw_total; alter table app_hour drop column ctxsw_voluntary; alter table app_hour drop column ctxsw_involuntary; alter table app_hour drop column faults_total; alter table app_hour drop column faults_minor; alter table app_hour drop column faults_major; alter table app_hour drop column syscalls_mach; alter table app_hour drop column syscalls_unix; alter table app_hour drop column syscalls_read; alter table app_hour drop column syscalls_write; alter table group_hour drop column child_cpu_user_ns; alter table group_hour drop column child_cpu_system_ns; alter table group_hour drop column energy_est_nj; alter table group_hour drop column gpu_ns; alter table group_hour drop column instructions; alter table group_hour drop column cycles; alter table group_hour drop column ctxsw_total; alter table group_hour drop column ctxsw_voluntary; alter table group_hour drop column ctxsw_involuntary; alter table group_hour drop column faults_total; alter table group_hour drop column faults_minor; alter table group_hour drop column faults_major; alter table group_hour drop column syscalls_mach; alter table group_hour drop column syscalls_unix; alter table group_hour drop column syscalls_read; alter table group_hour drop column syscalls_write;
               drop trigger proc_hour_total; drop trigger proc_hour_total_undo; drop trigger process_delete_total;
               drop table proc_total;
               delete from meta where key = 'user_hour_from';
               drop view v_group_hour; drop table group_hour; delete from meta where key = 'group_hour_from';
               drop trigger proc_minute_total; drop trigger proc_minute_total_undo; drop table cgroup_total;
               drop trigger process_delete_cgroup; drop trigger process_move_cgroup; drop index process_cgroup;
               insert into cgroup (path, path_v2, unit, slice) values ('/system.slice/phtest-orphan.service',
                   '/system.slice/phtest-orphan.service', 'phtest-orphan.service', 'system.slice');
               pragma user_version = $((ver - 5))"
"$PROCHIST" record --db "$up" --proc-root "$proc" --count 1 --quiet
got=$(sqlite3 "$up" "select (select count(*) from cgroup where unit = 'phtest-orphan.service') || ' ' ||
                            (select count(*) from sqlite_master where name in ('process_delete_cgroup',
                                 'process_move_cgroup', 'process_cgroup', 'cgroup_total', 'proc_minute_total')) || ' ' ||
                            (pragma_user_version.user_version = $ver) from pragma_user_version")
check "cgroup_fixture: the upgrade to schema 15 drops the orphan row and adds the triggers ($got)" [ "$got" = "0 5 1" ]
# ... and schema 16: its group rows start at the first hour rolled up
# after the upgrade (the hours before have none: their process rows answer).
hd=$(sqlite3 "$TMP/by.db" "select coalesce((select cast(value as integer) from meta where key = 'hour_done'), 0)")
got=$(sqlite3 "$up" "select (select count(*) from sqlite_master where name in ('group_hour', 'v_group_hour')) || ' ' ||
                            (select value from meta where key = 'group_hour_from')")
check "cgroup_fixture: the upgrade to schema 16 adds group_hour, its rows from hour $hd on ($got)" [ "$got" = "2 $hd" ]
# ... and schema 17: user rows from the same hour on.
got=$(sqlite3 "$up" "select value from meta where key = 'user_hour_from'")
check "cgroup_fixture: the upgrade to schema 17 starts user rows at hour $hd ($got)" [ "$got" = "$hd" ]
# ... and schema 19: the hour tier's wide app and group rows from the same hour on.
got=$(sqlite3 "$up" "select (select value from meta where key = 'app_hour_wide_from') || ' ' ||
                            (select count(*) from pragma_table_info('app_hour') where name = 'energy_est_nj') ||
                            (select count(*) from pragma_table_info('group_hour') where name = 'gpu_ns')")
check "cgroup_fixture: the upgrade to schema 19 widens the hour tier's app rows from hour $hd on ($got)" \
    [ "$got" = "$hd 11" ]
