#!/bin/sh
# Nothing escapes: processes too short to be sampled are credited to the
# parent that waited for them (child_* columns), and children that were
# sampled alive are not counted twice when their parent reaps them.
# This is the unprivileged mode: as root the recorder would hear every exit
# (tests/e2e/exits.sh) and give each child its own row instead.
. "$(dirname "$0")/../lib.sh"
export PROCHIST_NO_EXITS=1

# run_until_sampled DB SCRIPT ARGS...: run `sh -c SCRIPT` in the background
# as the workload ($wl); SCRIPT ends with `times >FILE; read x <"$FIFO"`: it
# writes its times, then stays alive until the recorder has taken two more
# samples (so its last CPU and its reaped children are read while it lives),
# then exits. Conditions, not sleeps: on a busy machine a --count or a sleep
# may end before the workload does.
FIFO="$TMP/go"
mkfifo "$FIFO"
export FIFO
run_until_sampled() {
    _db=$1 _times=$2; shift 2
    rm -f "$_times"
    sh -c "$@" &
    wl=$!
    while [ ! -s "$_times" ] && kill -0 $wl 2>/dev/null; do sleep 0.05; done
    _n=$(sqlite3 "$_db" 'select count(*) from sample')
    wait_samples "$_db" $((_n + 2)) || echo "# recorder slow: fewer than 2 samples in 10 s"
    kill -0 $wl 2>/dev/null && echo go >"$FIFO"
    wait $wl
}

db="$TMP/children.db"
# 1. 300 processes of ~10 ms CPU each, run one after another by a shell.
"$PROCHIST" record --db "$db" --interval 1 --quiet &
rec=$!
wait_samples "$db" 1
run_until_sampled "$db" "$TMP/loop.times" \
    'for i in $(seq 300); do "$1" 10; done; times >"$2"; read x <"$FIFO"' sh "$HELPERS/spin" "$TMP/loop.times"
loop=$wl
kill $rec
wait $rec
measured=$(times_ns "$TMP/loop.times")
seen=$(family_ns "$db" $loop)
without=$(own_ns "$db" $loop)
echo "# 300 children: measured ${measured} ns, prochist ${seen} ns with children, ${without} ns without"
if within "$seen" "$measured" 10; then ok "children: 300 short processes credited within 10%"
else fail "children: 300 short processes credited within 10%" "prochist $seen ns, loop measured $measured ns"; fi

# 2. Children sampled alive, then reaped: counted once, not twice.
db="$TMP/twice.db"
"$PROCHIST" record --db "$db" --interval 0.1 --quiet &
rec=$!
wait_samples "$db" 1
run_until_sampled "$db" "$TMP/twice.times" \
    '"$1" 600 & "$1" 600 & wait; times >"$2"; read x <"$FIFO"' sh "$HELPERS/spin" "$TMP/twice.times"
par=$wl
kill $rec
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
