#!/bin/sh
# Issue 18: one time grammar for every option that takes a time, the DST
# errors, top --at, and the empty-answer contract (JSON rows: [] with a
# note, a CSV header alone, exit 1) of every query command; power's CSV and
# top's CSV columns; --name matched literally first; show's own window.
# Expected instants come from GNU date in UTC (the binary runs with TZ=UTC).
. "$(dirname "$0")/../lib.sh"
if ! date -u -d @0 >/dev/null 2>&1; then
    echo "skip - timegrammar: needs GNU date to compute the expected instants"
    exit 0
fi
export TZ=UTC
# jq_true FILTER FILE: FILE is a non-empty JSON document for which FILTER is
# true (jq -e alone passes an empty file)
jq_true() { [ -s "$2" ] && jq -e "$1" "$2" >/dev/null; }
db="$TMP/t.db"
now=$(date -u +%s)
# Three hours of history ending now (whole minutes), and a fixed one.
"$GEN" "$db" --hours 3 --alive 12 --busy 3 --seed 5 --start $((now / 60 * 60 - 3 * 3600)) >/dev/null
fixed="$TMP/fixed.db"
"$GEN" "$fixed" --hours 8 --alive 20 --busy 4 --seed 11 --start 1795132800 >/dev/null # 2026-11-20T00:00Z

# since_of ARGS...: got = the "since" top's JSON says for these options, in
# epoch seconds ("" when top refused them); rc = top's exit status.
since_of() {
    capture "$PROCHIST" top --db "$db" --format json "$@"
    s=$(jq -r .since "$TMP/out" 2>/dev/null)
    got=""
    if [ -n "$s" ] && [ "$s" != null ]; then got=$(date -u -d "$s" +%s); fi
}

# -- every input the issue found rejected (exit 2) now parses, to the right instant
for spec in "1h ago|3600" "-1h|3600" "30min|1800" "1H|3600" "1h 30m|5400" "90s|90" "2d|172800" "1w|604800" \
    "1h30m ago|5400" "45 minutes ago|2700"; do
    arg=${spec%|*}
    back=${spec#*|}
    t0=$(date -u +%s)
    since_of --since "$arg"
    check "timegrammar: --since '$arg' is $back s before now (rc $rc)" \
        sh -c '[ "$1" != 2 ] && [ $(($2 - $3)) -le 5 ] && [ $(($3 - $2)) -le 5 ]' sh "$rc" "${got:-0}" $((t0 - back))
done
since_of --since @1700000000 --until @1700003600
check "timegrammar: --since @1700000000 is that epoch (rc $rc)" [ "$got" = 1700000000 ]
# A time of day: the most recent past one (today's, else yesterday's).
t0=$(date -u +%s)
want=$(date -u -d "$(date -u +%F) 14:00" +%s)
[ "$want" -gt "$t0" ] && want=$((want - 86400))
since_of --since 14:00
check "timegrammar: --since 14:00 is the last 14:00 ($got, want $want)" [ "$got" = "$want" ]
since_of --since "yesterday 14:00"
check "timegrammar: --since 'yesterday 14:00'" [ "$got" = "$(date -u -d "yesterday 14:00" +%s)" ]
since_of --since today
check "timegrammar: --since today is midnight" [ "$got" = "$(date -u -d "$(date -u +%F)" +%s)" ]
# mon 09:00: the most recent Monday 09:00 not after now
want=""
for k in 0 1 2 3 4 5 6 7; do
    d=$(date -u -d "$(date -u +%F) -$k days" +%F)
    c=$(date -u -d "$d 09:00" +%s)
    if [ "$(date -u -d "$d" +%u)" = 1 ] && [ "$c" -le "$t0" ]; then want=$c; break; fi
done
since_of --since "mon 09:00"
check "timegrammar: --since 'mon 09:00' is the last Monday 09:00" [ "$got" = "$want" ]
since_of --since 2026-11-20T02:00+02:00 --until 2026-11-20T03:00Z
check "timegrammar: an offset is honoured" [ "$got" = "$(date -u -d 2026-11-20T00:00Z +%s)" ]
since_of --since "2026-11-20 01:00" --until "2026-11-20 02:00"
check "timegrammar: a local date-time" [ "$got" = "$(date -u -d 2026-11-20T01:00Z +%s)" ]
capture "$PROCHIST" top --db "$db" --since "10 q"
check "timegrammar: nonsense is still a usage error, one line" \
    sh -c '[ "$1" = 2 ] && [ "$(wc -l <"$2")" = 1 ] && grep -q "10 q" "$2"' sh "$rc" "$TMP/err"

# -- the same grammar elsewhere: diff --vs, export --since, --until
capture "$PROCHIST" diff --db "$db" --since "1h ago" --vs "2h ago..-1h" --format json
check "timegrammar: diff --vs '2h ago..-1h' (rc $rc)" sh -c '[ "$1" != 2 ] && [ -s "$2" ] && jq -e ".before.length_s == 3600" "$2" >/dev/null' sh "$rc" "$TMP/out"
capture "$PROCHIST" export --db "$db" --since "10min ago"
check "timegrammar: export --since '10min ago'" [ "$rc" = 0 ]
capture "$PROCHIST" export --db "$db" --since 14:00
check "timegrammar: export --since 14:00" [ "$rc" = 0 ]
capture "$PROCHIST" export --db "$db" --since 'next week'
check "timegrammar: export --since rejects nonsense" sh -c '[ "$1" = 2 ] && grep -q "next week" "$2"' sh "$rc" "$TMP/err"
capture "$PROCHIST" top --db "$db" --since 2h --until "1h ago" --format json
check "timegrammar: --until '1h ago'" sh -c '[ "$1" != 2 ]' sh "$rc"

# -- DST: a local time the clocks skip or repeat is an error that says so
capture env TZ=Europe/Berlin "$PROCHIST" top --db "$db" --since "2026-03-29 02:30"
check "timegrammar: Berlin 2026-03-29 02:30 does not exist" \
    sh -c '[ "$1" = 2 ] && [ "$(wc -l <"$2")" = 1 ] && grep -q "does not exist" "$2"' sh "$rc" "$TMP/err"
capture env TZ=Europe/Berlin "$PROCHIST" top --db "$db" --since "2026-10-25 02:30"
check "timegrammar: Berlin 2026-10-25 02:30 is ambiguous" \
    sh -c '[ "$1" = 2 ] && [ "$(wc -l <"$2")" = 1 ] && grep -q "twice" "$2"' sh "$rc" "$TMP/err"
capture env TZ=Europe/Berlin "$PROCHIST" top --db "$db" --since "2026-10-25 02:30+01:00" --until "2026-10-25 04:00+01:00" --format json
check "timegrammar: an offset resolves the overlap" [ "$(jq -r .since "$TMP/out")" = 2026-10-25T01:30:00Z ]
capture env TZ=Europe/Berlin "$PROCHIST" top --db "$db" --utc --since "2026-03-29 02:30" --until "2026-03-29 03:00" --format json
check "timegrammar: --utc reads zone-less times as UTC (no gap)" [ "$(jq -r .since "$TMP/out")" = 2026-03-29T02:30:00Z ]

# -- top --at: the interval holding the moment, at the finest tier, said
capture "$PROCHIST" top --db "$fixed" --utc --at 2026-11-20T03:10:02Z --by process --format json
check "timegrammar: top --at answers from the raw sample interval" \
    sh -c '[ "$1" = 0 ] && [ -s "$2" ] && jq -e ".at_tier == \"raw\" and .since == \"2026-11-20T03:10:00Z\" and .until == \"2026-11-20T03:10:05Z\" and .samples == 1 and (.rows | length) > 0" "$2" >/dev/null' \
    sh "$rc" "$TMP/out"
capture "$PROCHIST" top --db "$fixed" --utc --at 2026-11-20T03:10:02Z
check "timegrammar: top --at's table says which interval" grep -q "^at 2026-11-20 03:10:02Z: the sample interval" "$TMP/out"
# The raw samples of the first five hours pruned: the minute bucket answers.
cp "$fixed" "$TMP/pruned.db"
cut=$((1795132800 + 5 * 3600))000000000
sqlite3 "$TMP/pruned.db" "delete from proc_sample where sample in (select sample from sample where ts_ns <= $cut);
    delete from sample where ts_ns <= $cut; insert or replace into meta values ('raw_pruned_to', $cut);"
capture "$PROCHIST" top --db "$TMP/pruned.db" --utc --at 2026-11-20T03:10:30Z --format json
check "timegrammar: top --at falls back to the minute bucket when raw is pruned" \
    sh -c '[ "$1" = 0 ] && [ -s "$2" ] && jq -e ".at_tier == \"minute\" and .since == \"2026-11-20T03:10:00Z\" and .until == \"2026-11-20T03:11:00Z\" and .samples == 12" "$2" >/dev/null' \
    sh "$rc" "$TMP/out"
capture "$PROCHIST" top --db "$TMP/pruned.db" --utc --at 2026-11-20T03:10:30Z
check "timegrammar: the table says minute bucket" grep -q "the minute bucket" "$TMP/out"
capture "$PROCHIST" top --db "$fixed" --at 2001-01-01 --format json
check "timegrammar: top --at a moment nothing holds: empty answer" \
    sh -c '[ "$1" = 1 ] && [ -s "$2" ] && jq -e ".rows == [] and (.note | test(\"holds\"))" "$2" >/dev/null' sh "$rc" "$TMP/out"
capture "$PROCHIST" top --db "$fixed" --at 03:10 --since 1h
check "timegrammar: --at with --since is a usage error" [ "$rc" = 2 ]

# -- the empty answer: JSON rows [] and a note, CSV header only, exit 1, for every command
E="--db $fixed --utc --since 2001-01-01 --until 2001-01-02"
for cmd in top peak apps diff "show app03" power; do
    capture "$PROCHIST" $cmd $E --format json
    check "timegrammar: $cmd on an empty window: valid JSON, rows [], a note, exit 1" \
        sh -c '[ "$1" = 1 ] && [ -s "$2" ] && jq -e "(.rows == []) and (.note | test(\"no samples\"))" "$2" >/dev/null' sh "$rc" "$TMP/out"
    capture "$PROCHIST" $cmd $E --format csv
    check "timegrammar: $cmd on an empty window: a CSV header alone, exit 1" \
        sh -c '[ "$1" = 1 ] && [ "$(wc -l <"$2")" = 1 ] && [ "$(wc -l <"$3")" = 1 ]' sh "$rc" "$TMP/out" "$TMP/err"
    capture "$PROCHIST" $cmd $E
    check "timegrammar: $cmd on an empty window: a one-line note, exit 1" \
        sh -c '[ "$1" = 1 ] && [ ! -s "$2" ] && [ "$(wc -l <"$3")" = 1 ]' sh "$rc" "$TMP/out" "$TMP/err"
done
# A window after the recorded data (samples before it, none in it): the
# same one line, no second note about baselines.
E="--db $fixed --utc --since 2026-11-25 --until 2026-11-26"
for cmd in top peak apps "show app03" power; do
    capture "$PROCHIST" $cmd $E
    check "timegrammar: $cmd on an empty window after the data: a one-line note, exit 1" \
        sh -c '[ "$1" = 1 ] && [ ! -s "$2" ] && [ "$(wc -l <"$3")" = 1 ]' sh "$rc" "$TMP/out" "$TMP/err"
done
W="--db $fixed --utc --since 2026-11-20T01:00Z --until 2026-11-20T07:00Z"
for cmd in top peak apps diff; do
    capture "$PROCHIST" $cmd $W --name 'no-such-*' --format json
    check "timegrammar: $cmd --name matching nothing: the same contract" \
        sh -c '[ "$1" = 1 ] && [ -s "$2" ] && jq -e ".rows == [] and .name_match == \"glob\" and (.note | test(\"--name\"))" "$2" >/dev/null' \
        sh "$rc" "$TMP/out"
done

# -- --name: the literal name first ('[kernel]' is no glob class), then a glob
sqlite3 "$fixed" "update process set name = '[kernel]', app = '[kernel]' where app = 'app05'"
capture "$PROCHIST" top $W --by process --name '[kernel]' --format json -n 1000
check "timegrammar: --name '[kernel]' matches literally, and says so" \
    sh -c '[ "$1" = 0 ] && [ -s "$2" ] && jq -e "(.rows | length) > 0 and .name_match == \"literal\" and all(.rows[]; .name == \"[kernel]\")" "$2" >/dev/null' \
    sh "$rc" "$TMP/out"
capture "$PROCHIST" top $W --name 'app0*' --format json -n 1000
check "timegrammar: --name 'app0*' is a glob" \
    sh -c '[ "$1" = 0 ] && [ -s "$2" ] && jq -e "(.rows | length) > 1 and .name_match == \"glob\"" "$2" >/dev/null' sh "$rc" "$TMP/out"

# -- CSV has what JSON has
capture "$PROCHIST" power $W --format csv
check "timegrammar: power --format csv is CSV" \
    sh -c '[ "$1" = 0 ] && head -1 "$2" | grep -q "^time,covered_s,package_w," && ! grep -q "^TIME" "$2" && [ "$(wc -l <"$2")" -gt 2 ]' \
    sh "$rc" "$TMP/out"
capture "$PROCHIST" power $W --format json
check "timegrammar: power's JSON says rows" jq_true '(.rows | length) > 2' "$TMP/out"
capture "$PROCHIST" top $W --by process --format csv -n 3
check "timegrammar: top's CSV has energy_est_j and children_cpu_s" \
    sh -c 'head -1 "$1" | grep -q children_cpu_s && head -1 "$1" | grep -q energy_est_j' sh "$TMP/out"
capture "$PROCHIST" top $W --gpu --format csv -n 3
check "timegrammar: top --gpu's CSV has gpu_pct" sh -c 'head -1 "$1" | grep -q ",gpu_pct$"' sh "$TMP/out"
keys_json=$("$PROCHIST" top $W --by process --format json -n 1 | jq -r '.rows[0] | keys_unsorted | join(",")')
capture "$PROCHIST" top $W --by process --format csv -n 1
check "timegrammar: top's CSV header is the JSON row keys" [ "$(head -1 "$TMP/out")" = "$keys_json" ]

# -- names agree: status since/until, show rows
capture "$PROCHIST" status --db "$fixed" --format json
check "timegrammar: status tiers say since/until" jq_true '.tiers[0] | has("since") and has("until") and (has("from") | not)' "$TMP/out"

# -- options that do nothing are refused, help states one default
for bad in "show app03 --name x" "show app03 -n 5" "power --by app" "power --name x" \
    "power --children" "power -n 3"; do
    capture "$PROCHIST" $bad --db "$fixed"
    check "timegrammar: '$bad' is refused" sh -c '[ "$1" = 2 ] && [ "$(wc -l <"$2")" = 1 ] && grep -q "does nothing" "$2"' \
        sh "$rc" "$TMP/err"
done
capture "$PROCHIST" apps --help
check "timegrammar: apps --help states one -n default (50)" \
    sh -c 'grep -q "default 50" "$1" && ! grep -q "default 10" "$1" && ! grep -q "default limit" "$1"' sh "$TMP/out"
capture "$PROCHIST" power --help
check "timegrammar: power --help lists no --by, --name or -n" sh -c '! grep -qE -- "--by|--name|--limit" "$1"' sh "$TMP/out"
# show's --by says what its target names (an app, a pid, a unit, ...): it
# does something, so it is listed; --by process wants a PID.
capture "$PROCHIST" show --help
check "timegrammar: show --help lists --by, and no --name or -n" \
    sh -c 'grep -qE -- "--by" "$1" && ! grep -qE -- "--name|--limit" "$1"' sh "$TMP/out"
capture "$PROCHIST" show app03 --by process --db "$fixed"
check "timegrammar: 'show app03 --by process' is refused: it takes a PID" \
    sh -c '[ "$1" = 2 ] && [ "$(wc -l <"$2")" = 1 ] && grep -q "takes a PID" "$2"' sh "$rc" "$TMP/err"

# -- show without a window: what is recorded, not 24 hourly nulls
live="$TMP/live.db"
"$PROCHIST" record --db "$live" --interval 0.2 --count 4 --quiet &
rp=$!
wait $rp
capture "$PROCHIST" show "$rp" --db "$live" --format json
check "timegrammar: show PID without a window shows the recorded span" \
    sh -c '[ "$1" = 0 ] && [ -s "$2" ] && jq -e ".window == \"recorded\" and (.rows | length) <= 2 and ([.rows[] | select(.cpu_s != null)] | length) >= 1" "$2" >/dev/null' \
    sh "$rc" "$TMP/out"
capture "$PROCHIST" show app03 --db "$db" --format json
check "timegrammar: show APP over 3 recorded hours: about 36 rows, not 24 hourly" \
    sh -c '[ "$1" = 0 ] && [ -s "$2" ] && jq -e ".window == \"recorded\" and .resolution_s == 300 and (.rows | length) >= 35 and (.rows | length) <= 38" "$2" >/dev/null' \
    sh "$rc" "$TMP/out"
