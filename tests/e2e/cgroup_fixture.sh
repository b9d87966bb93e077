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
        expect $host "$db" 3221 "user@1000/libpod-$P.scope|user@1000/user.slice|e7a1c3d5b9f2|$P|podman|"
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

# A process first seen without a readable cgroup file has none.
cp -R "$proc/3109" "$proc/4000"
awk '{ $1 = 4000; $22 = 70300; print }' "$proc/4000/stat" >"$proc/4000/stat.new" && mv "$proc/4000/stat.new" "$proc/4000/stat"
rm "$proc/4000/cgroup"
"$PROCHIST" record --db "$db" --proc-root "$proc" --count 1 --quiet
none=$(sqlite3 "$db" "select count(*) from process where pid = 4000 and cgroup is null")
check "cgroup_fixture: an unreadable cgroup is NULL" [ "$none" = 1 ]
none=$(sqlite3 "$db" "select count(*) from v_proc_cgroup where pid = 4000 and unit is null")
check "cgroup_fixture: and has no unit in v_proc_cgroup" [ "$none" = 1 ]
