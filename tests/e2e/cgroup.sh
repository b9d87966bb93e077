#!/bin/sh
# Control groups live: a burner moved into a fresh cgroup
# phtest-PID.slice/phtest-PID.service (in the unified tree, and in systemd's
# name=systemd tree where the host has one: a hybrid host), recorded at
# 0.2 s; its CPU under that unit in the database (v_cgroup_sample) must be
# within 10% of what the burner measured with getrusage. Needs a writable
# cgroup mount (root); skipped, visibly, elsewhere. The cgroups are removed
# at the end.
. "$(dirname "$0")/../lib.sh"
need_linux cgroup "Linux control groups"

skip() { echo "skip - cgroup: $1"; exit 0; }
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)name=systemd(,|$)/ { print $2; exit }' /proc/self/mounts)
[ -n "$v2$v1" ] || skip "no cgroup2 or name=systemd mount"
[ "$(id -u)" = 0 ] || skip "moving a process between cgroups needs root"

cg="phtest-$$"
rel="/$cg.slice/$cg.service"
made=""
cleanup() {
    for m in $made; do
        # a process may still be leaving the cgroup: try for a while
        i=0
        while [ -d "$m$rel" ] && ! rmdir "$m$rel" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
        rmdir "$m/$cg.slice" 2>/dev/null
    done
    rm -rf "$TMP"
}
for m in $v2 $v1; do
    if ! mkdir -p "$m$rel" 2>/dev/null; then
        cleanup
        skip "cannot create a cgroup under $m (read-only or delegated elsewhere)"
    fi
    made="$made $m"
done

db="$TMP/cg.db"
"$PROCHIST" record --db "$db" --interval 0.2 --quiet 2>"$TMP/rec.err" &
rec=$!
wait_samples "$db" 2
check "cgroup: the recorder writes samples" [ $? -eq 0 ]

# The shell joins the cgroups, then becomes the burner (same pid).
procs=""
for m in $made; do procs="$procs $m$rel/cgroup.procs"; done
sh -c 'for f in $0; do echo $$ >"$f" || exit 9; done; exec "$1" 1500 0 "$2" 1500' "$procs" \
    "$HELPERS/burn" "$TMP/burnfile" >"$TMP/burn.out"
brc=$?
check "cgroup: the burner ran inside the cgroup" [ $brc -eq 0 ]
burn_pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$TMP/burn.out")
cpu_ns=$(sed -n 's/.*cpu_ns=\([0-9]*\).*/\1/p' "$TMP/burn.out")
# Two more samples: the burner's end (gone, or its exit record) is stored.
n=$(sqlite3 "$db" 'select count(*) from sample')
wait_samples "$db" $((n + 2))
kill -INT $rec
wait $rec
check "cgroup: recorder exits 0" [ $? -eq 0 ]

unit=$(sqlite3 "$db" "select unit || ' ' || slice || ' ' || cgroup_path from v_proc_cgroup where pid = ${burn_pid:-0}")
check "cgroup: the burner's unit is $cg.service ($unit)" [ "$unit" = "$cg.service $cg.slice $rel" ]
if [ -n "$v1" ]; then
    p1=$(sqlite3 "$db" "select path_v1 from cgroup where path = '$rel'")
    check "cgroup: the name=systemd path is kept ($p1)" [ "$p1" = "$rel" ]
fi
got=$(sqlite3 "$db" "select cast(round(sum(cpu_s) * 1e9) as integer) from v_cgroup_sample where unit = '$cg.service'")
if within "${got:-0}" "${cpu_ns:-0}" 10; then
    ok "cgroup: CPU under $cg.service within 10% of getrusage"
else
    fail "cgroup: CPU under $cg.service within 10% of getrusage" "db ${got:-none} ns, burner ${cpu_ns:-none} ns"
fi
echo "# cgroup: unit CPU ${got:-none} ns, burner getrusage ${cpu_ns:-none} ns"
# The same through the query tool: top --by unit finds that unit's CPU.
top=$("$PROCHIST" top --db "$db" --since 1h --by unit --name "$cg.service" --format json |
    jq -r '[.rows[] | select(.unit == "'"$cg.service"'") | .cpu_s] | add // 0 | . * 1e9 | floor')
if within "${top:-0}" "${cpu_ns:-0}" 10; then
    ok "cgroup: top --by unit gives $cg.service's CPU within 10% of getrusage"
else
    fail "cgroup: top --by unit gives $cg.service's CPU within 10% of getrusage" "top ${top:-none} ns, burner ${cpu_ns:-none} ns"
fi
echo "# cgroup: top --by unit ${top:-none} ns"
others=$(sqlite3 "$db" "select count(*) from v_proc_cgroup where unit = '$cg.service' and pid <> ${burn_pid:-0}")
check "cgroup: nothing else in that unit" [ "$others" = 0 ]
