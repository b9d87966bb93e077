#!/bin/sh
# Every query command on a deterministic generated history (fixed seed and
# start, absolute windows), compared with golden JSON in tests/golden/.
# Regenerate after an intended change: UPDATE_GOLDEN=1 make test
. "$(dirname "$0")/../lib.sh"

db="$TMP/golden.db"
golden="$TESTS_DIR/golden"
# 2026-11-20T00:00Z, 8 hours
"$GEN" "$db" --hours 8 --alive 40 --busy 6 --churn 0.3 --seed 11 --start 1795132800 >/dev/null
W="--db $db --utc --since 2026-11-20T01:00Z --until 2026-11-20T07:00Z --format json"

golden_check() { # NAME ARGS...
    name=$1
    shift
    out="$TMP/$name.json"
    if ! "$PROCHIST" "$@" >"$out" 2>"$TMP/$name.err"; then
        fail "query: $name runs" "$(cat "$TMP/$name.err")"
        return
    fi
    if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
        cp "$out" "$golden/$name.json"
        ok "query: $name (golden updated)"
    elif cmp -s "$out" "$golden/$name.json"; then
        ok "query: $name matches its golden JSON"
    else
        fail "query: $name matches its golden JSON" "$(diff "$golden/$name.json" "$out" | head -5)"
    fi
}

golden_check top_app top $W -n 5
golden_check top_process_mem top $W --by process --mem -n 5
golden_check top_user top $W --by user
golden_check top_faults top $W --faults -n 3
golden_check peak_app peak $W -n 5
golden_check apps apps $W -n 5
golden_check show_app show app03 $W --resolution 1h
golden_check diff diff $W --vs 2026-11-20T00:00Z..2026-11-20T01:00Z -n 5

# Cross-checks that do not depend on the golden files.
cpu_top=$("$PROCHIST" top $W -n 1000 | jq '[.rows[].cpu_s] | add')
cpu_proc=$("$PROCHIST" top $W --by process -n 100000 | jq '[.rows[].cpu_s] | add')
check "query: app totals equal process totals" awk -v a="$cpu_top" -v b="$cpu_proc" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
cpu_user=$("$PROCHIST" top $W --by user | jq '[.rows[].cpu_s] | add')
check "query: user totals equal app totals" awk -v a="$cpu_top" -v b="$cpu_user" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
show_sum=$("$PROCHIST" show app03 $W --resolution 1h | jq '[.rows[].cpu_s // 0] | add')
top_app03=$("$PROCHIST" top $W -n 1000 --name app03 | jq '.rows[0].cpu_s')
check "query: show's points add up to top's total" awk -v a="$show_sum" -v b="$top_app03" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
peak_top=$("$PROCHIST" top $W --mem -n 1 | jq '.rows[0].mem_peak_bytes')
peak_peak=$("$PROCHIST" peak $W -n 1 | jq '.rows[0].mem_peak_bytes')
check "query: peak agrees with top --mem" [ "$peak_top" = "$peak_peak" ]
tiers=$("$PROCHIST" top $W | jq -r '[.tiers[].tier] | unique | join(",")')
check "query: a 6 h window is answered from rollups" [ "$tiers" != raw ]

# Bad input: one line, exit 2 for usage, 1 for runtime.
capture "$PROCHIST" show --db "$db"
check "query: show without a target is a usage error" [ "$rc" -eq 2 ]
capture "$PROCHIST" show no-such-app --db "$db" --since 2026-11-20T01:00Z --until 2026-11-20T07:00Z
check "query: show of an unknown app is a runtime error" [ "$rc" -eq 1 ] && grep -q "no app 'no-such-app'" "$TMP/err"
capture "$PROCHIST" diff --db "$db" --vs yesterday
check "query: diff with a bad --vs" [ "$rc" -eq 2 ] && grep -q -- "--vs" "$TMP/err"
capture "$PROCHIST" top --db "$db" --sort nonsense
check "query: unknown metric" [ "$rc" -eq 2 ] && grep -q "nonsense" "$TMP/err"
capture "$PROCHIST" peak --db "$db" --since 1w --until 2w
check "query: --until before --since" [ "$rc" -eq 2 ]
# Hostile names reach SQL only as bound parameters, and globs never.
# (It matches nothing: since issue 18 that is the empty answer, exit 1.)
capture "$PROCHIST" top $W --name "x'; DROP TABLE process; --"
check "query: a hostile --name is just a name" \
    sh -c '[ "$1" -eq 1 ] && [ "$2" = 1 ]' sh "$rc" "$(sqlite3 "$db" 'select count(*) > 0 from process')"
capture "$PROCHIST" show "'; DELETE FROM sample; --" --db "$db" --since 2026-11-20T01:00Z --until 2026-11-20T07:00Z
check "query: a hostile show target is just a name" \
    sh -c '[ "$1" -eq 1 ] && [ "$2" = 1 ]' sh "$rc" "$(sqlite3 "$db" 'select count(*) > 0 from sample')"
