#!/bin/sh
# Nothing escapes: processes too short to be sampled are credited to the
# parent that waited for them (child_* columns), and children that were
# sampled alive are not counted twice when their parent reaps them.
# This is the unprivileged mode: as root the recorder would hear every exit
# (tests/e2e/exits.sh) and give each child its own row instead.
. "$(dirname "$0")/../lib.sh"
export PROCHIST_NO_EXITS=1

db="$TMP/children.db"
# 1. 300 processes of ~10 ms CPU each, run one after another by a shell.
"$PROCHIST" record --db "$db" --interval 1 --count 12 --quiet &
rec=$!
sleep 1.5
sh -c 'for i in $(seq 300); do "$1" 10; done; times >"$2"; sleep 2.5' sh "$HELPERS/spin" "$TMP/loop.times" &
loop=$!
wait $loop
wait $rec
measured=$(times_ns "$TMP/loop.times")
seen=$(family_ns "$db" $loop)
without=$(own_ns "$db" $loop)
echo "# 300 children: measured ${measured} ns, prochist ${seen} ns with children, ${without} ns without"
if within "$seen" "$measured" 10; then ok "children: 300 short processes credited within 10%"
else fail "children: 300 short processes credited within 10%" "prochist $seen ns, loop measured $measured ns"; fi

# 2. Children sampled alive, then reaped: counted once, not twice.
db="$TMP/twice.db"
"$PROCHIST" record --db "$db" --interval 0.1 --count 40 --quiet &
rec=$!
sleep 0.5
sh -c '"$1" 600 & "$1" 600 & wait; times >"$2"; sleep 1' sh "$HELPERS/spin" "$TMP/twice.times" &
par=$!
wait $par
wait $rec
measured=$(times_ns "$TMP/twice.times")
seen=$(family_ns "$db" $par)
echo "# sampled children: measured ${measured} ns, prochist ${seen} ns"
if within "$seen" "$measured" 10; then ok "children: sampled-then-reaped children counted once"
else fail "children: sampled-then-reaped children counted once" "prochist $seen ns, measured $measured ns"; fi

# 3. top shows it: the loop's shell "with children" carries its compilers.
db="$TMP/children.db"
capture "$PROCHIST" top --db "$db" --by process --children --since 10m --format json --limit 1000
kids=$(jq --argjson p "$loop" '.rows[] | select(.pid == $p) | .children_cpu_s' "$TMP/out")
with=$(jq --argjson p "$loop" '.rows[] | select(.pid == $p) | .cpu_s' "$TMP/out")
check "children: top --children reports the shell's children" \
    awk -v k="${kids:-0}" -v w="${with:-0}" 'BEGIN { exit !(k > 1.5 && w >= k) }'
check "children: JSON says CPU includes children" [ "$(jq -r .cpu_includes_children "$TMP/out")" = true ]
