#!/bin/sh
# Every ```sql recipe in docs/schema.md runs against a real recording and
# returns the columns its "-- columns:" line documents.
. "$(dirname "$0")/../lib.sh"

doc="$TESTS_DIR/../docs/schema.md"
db="$TMP/docs.db"
# 30 generated hours ending now (so every tier has rows, and yesterday is
# in the hour tier whatever the time of day), one sample a minute, then a
# real recording on top, with a process that exits between samples.
now=$(date +%s)
"$GEN" "$db" --hours 30 --interval 60 --alive 60 --busy 10 --start $(( (now - 30 * 3600 - 60) / 60 * 60 )) >/dev/null
"$PROCHIST" record --db "$db" --count 3 --interval 0.2 --quiet
sleep 0.3 &
"$PROCHIST" record --db "$db" --count 3 --interval 0.2 --quiet

awk -v dir="$TMP" '
    /^```sql/ { n++; f = dir "/recipe" n ".sql"; inside = 1; next }
    /^```/ && inside { inside = 0; close(f); next }
    inside { print > f }
' "$doc"
count=$(ls "$TMP"/recipe*.sql 2>/dev/null | wc -l)
check "docs: schema.md has recipes" [ "$count" -ge 5 ]
for f in "$TMP"/recipe*.sql; do
    name="docs: recipe $(basename "$f" .sql): $(sed -n 's/^-- columns: //p' "$f")"
    want=$(sed -n 's/^-- columns: //p' "$f" | tr -d ' ')
    if ! out=$(sqlite3 -readonly -bail -header -csv "$db" <"$f" 2>&1); then
        fail "$name" "sqlite3 error: $out"
        continue
    fi
    got=$(echo "$out" | head -1 | tr -d ' \r')
    rows=$(echo "$out" | tail -n +2 | grep -c .)
    if [ -z "$want" ]; then fail "$name" "no -- columns: line"
    elif [ "$got" != "$want" ]; then fail "$name" "columns '$got', documented '$want'"
    elif [ "$rows" -lt 1 ]; then fail "$name" "returned no rows"
    else ok "$name"; fi
done

# The recipe "CPU per systemd unit yesterday" gives what `top --by unit`
# gives for yesterday (UTC), unit by unit (the generated hours carry units:
# tests/gen/genlib.c).
unit_recipe=$(grep -l '^-- columns: unit, cpu_s, processes$' "$TMP"/recipe*.sql | head -1)
if [ -z "$unit_recipe" ]; then
    fail "docs: the recipe 'CPU per systemd unit yesterday' is there" "no recipe with columns unit, cpu_s, processes"
else
    sqlite3 -readonly -separator ' ' "$db" <"$unit_recipe" | awk '$1 != "" && $1 != "-"' >"$TMP/recipe_units"
    "$PROCHIST" top --db "$db" --utc --since yesterday --until today --by unit -n 100000 --format json |
        jq -r '.rows[] | "\(.unit) \(.cpu_s // 0)"' >"$TMP/top_units"
    n=$(grep -c . "$TMP/recipe_units")
    bad=$(awk 'NR == FNR { top[$1] = $2; next }
               !($1 in top) || (top[$1] - $2 > 0.0015 || $2 - top[$1] > 0.0015) { print $1 ": recipe " $2 ", top " top[$1] }' \
        "$TMP/top_units" "$TMP/recipe_units")
    if [ "$n" -ge 3 ] && [ -z "$bad" ]; then
        ok "docs: the unit recipe's CPU for yesterday equals top --by unit's ($n units)"
    else
        fail "docs: the unit recipe's CPU for yesterday equals top --by unit's" "$n units; $(echo "$bad" | head -3)"
    fi
fi
