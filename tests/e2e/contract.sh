#!/bin/sh
# The output contract (issue 18): each command's options are declared once,
# and its --help, its usage line and what it parses all come from that
# declaration; the man page names every option; JSON outputs follow their
# JSON Schemas (docs/schema/).
. "$(dirname "$0")/../lib.sh"

man="$TESTS_DIR/../docs/prochist.1"
cmds="record top peak show apps diff report power status export service doctor"
query="top peak show apps diff report power"

# -- help is the declaration: what it lists parses, and only that
for c in $cmds; do
    capture "$PROCHIST" "$c" --help
    help_ok=$rc
    cp "$TMP/out" "$TMP/help.$c"
    # the option lines ("  -f, --format FMT  ...") and the usage line
    sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}--\([a-z-]*\).*/\2/p' "$TMP/help.$c" | sort >"$TMP/listed.$c"
    sed -n '1,/^[^ u]/p' "$TMP/help.$c" | sed '$d' | grep -oE -- '--[a-z-]+' | sed 's/^--//' | sort >"$TMP/usage.$c"
    check "contract: $c --help exits 0 and lists its options" sh -c '[ "$1" = 0 ] && [ -s "$2" ]' sh "$help_ok" "$TMP/listed.$c"
    check "contract: $c's usage line names the options its help lists, and no other" cmp -s "$TMP/listed.$c" "$TMP/usage.$c"
    bad=""
    for o in $(cat "$TMP/listed.$c"); do
        # A listed option parses: given (with a value when it takes one)
        # before --help, it is never unknown (a bad value is another error).
        if grep -qE -- "^  (-[a-zA-Z], )?--$o [A-Z]" "$TMP/help.$c"; then
            "$PROCHIST" "$c" "--$o" 1 --help >/dev/null 2>"$TMP/err"
        else
            "$PROCHIST" "$c" "--$o" --help >/dev/null 2>"$TMP/err"
        fi
        grep -qE "unknown option|does nothing" "$TMP/err" && bad="$bad $o"
        e=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
        grep -q -- "\\\\-\\\\-$e" "$man" || bad="$bad $o(man)"
    done
    check "contract: every option $c --help lists parses and is in the man page" [ -z "$bad" ] || echo "#   $bad"
done
for c in $query; do
    bad=""
    for o in by name children sort limit; do
        grep -qx "$o" "$TMP/listed.$c" && continue
        capture "$PROCHIST" $c --$o x
        { [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q -- "--$o does nothing for $c" "$TMP/err"; } || bad="$bad $o"
    done
    check "contract: $c refuses the query options its help does not list, in one line" [ -z "$bad" ]
done
capture "$PROCHIST" power -n 3
check "contract: a short option not declared is named as given" grep -q -- "--limit does nothing for power" "$TMP/err"
capture "$PROCHIST" top --no-such
check "contract: an unknown option is one line, exit 2" \
    sh -c '[ "$1" = 2 ] && [ "$(wc -l <"$2")" = 1 ] && grep -q "unknown option .--no-such. for top" "$2"' sh "$rc" "$TMP/err"
# The declared default is the one applied: apps' help says 50, and 50 rows it is.
check "contract: apps declares -n 50, top -n 10" \
    sh -c 'grep -q "limit N .*(default 50)" "$1" && grep -q "limit N .*(default 10)" "$2"' sh "$TMP/help.apps" "$TMP/help.top"

# -- every JSON output follows its command's JSON Schema (docs/schema/),
# and so does every CSV row (its fields typed by the schema's row). The
# schemas forbid undeclared fields (additionalProperties false): a field
# added to the output and not to its schema and docs/json.md fails here.
schemas="$TESTS_DIR/../docs/schema"
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import jsonschema' 2>/dev/null; then
    if [ "$(uname -s)" = Linux ]; then # scripts/deps.sh installs it there: its absence is a failure
        fail "contract: python3 with jsonschema (python3-jsonschema; make deps installs it)"
    else
        skip "contract: JSON Schema validation" "no python3 jsonschema"
    fi
    exit 0
fi
# validate SCHEMA FILE...: JSON files (*.json) against the schema, CSV
# files (*.csv) row by row against its row schema ($defs/row); prints the
# first error of each file that fails, and exits 1 when any did.
validate() {
    [ -n "${1:-}" ] || return 1
    python3 - "$@" <<'PY'
import csv, json, re, sys
from jsonschema import Draft202012Validator

schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
whole = Draft202012Validator(schema)
row_schema = dict(schema.get("$defs", {}).get("row", {}), **{"$defs": schema.get("$defs", {})})
row_v = Draft202012Validator(row_schema)
bad = 0

def types_of(key):
    """The JSON types the row schema allows for a column."""
    p = row_schema.get("properties", {}).get(key)
    for pat, ps in row_schema.get("patternProperties", {}).items():
        if p is None and re.search(pat, key):
            p = ps
    if p is None:
        return []
    if "$ref" in p:
        p = schema["$defs"][p["$ref"].split("/")[-1]]
    if "anyOf" in p:
        return ["string", "null"]
    t = p.get("type", [])
    return t if isinstance(t, list) else [t]

def typed(key, text):
    if text == "":
        return None
    t = types_of(key)
    if "string" in t or not t:
        return text
    try:
        return int(text)
    except ValueError:
        return float(text)

for path in sys.argv[2:]:
    errs = []
    if path.endswith(".csv"):
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            errs.append("no header line")
        else:
            head = rows[0]
            if len(set(head)) != len(head):
                errs.append("a column twice in the header")
            for r in rows[1:]:
                if len(r) != len(head):
                    errs.append("a row of %d fields under a header of %d" % (len(r), len(head)))
                    continue
                errs += [e.message for e in row_v.iter_errors({k: typed(k, v) for k, v in zip(head, r)})]
    else:
        errs = [e.message + " at " + "/".join(str(p) for p in e.absolute_path)
                for e in whole.iter_errors(json.load(open(path)))]
    if errs:
        bad = 1
        print("#   %s: %s" % (path, errs[0]))
sys.exit(bad)
PY
}

golden="$TESTS_DIR/golden"
n=0
for f in "$golden"/*.json "$golden"/*.csv; do
    base=$(basename "$f")
    cmd=${base%%.*}
    cmd=${cmd%%_*}
    check "contract: $base follows docs/schema/$cmd.schema.json" validate "$schemas/$cmd.schema.json" "$f"
    n=$((n + 1))
done
check "contract: the goldens are there (JSON and CSV of six commands and their empty windows)" [ "$n" -ge 30 ]
# A CSV header is the JSON rows' keys, in order, for every golden pair that has rows.
for f in "$golden"/*.json; do
    base=${f%.json}
    keys=$(jq -r 'if (.rows | length) > 0 then .rows[0] | keys_unsorted | join(",") else empty end' "$f")
    [ -n "$keys" ] || continue
    check "contract: $(basename "$base").csv's header is the JSON rows' keys" [ "$(head -1 "$base.csv")" = "$keys" ]
done
# An empty window: the same for every command (exit 1 is query.sh's check).
for f in "$golden"/*_empty.json; do
    base=${f%.json}
    check "contract: $(basename "$base"): rows [] and a note, a CSV header alone, no table" \
        sh -c 'jq -e "(.rows == []) and (.note | test(\"no samples\"))" "$1.json" >/dev/null &&
               [ "$(wc -l <"$1.csv")" = 1 ] && [ ! -s "$1.txt" ]' sh "$base"
done

# The schemas reject what they do not declare: a field added to a row, or
# to the document, fails (so an output that gains one fails above).
jq '.rows[0].new_field = 1' "$golden/top_app.json" >"$TMP/extra_row.json"
jq '.new_field = 1' "$golden/apps.json" >"$TMP/extra_root.json"
fails() { ! "$@" >/dev/null; }
check "contract: a JSON row with an undeclared field fails its schema" fails validate "$schemas/top.schema.json" "$TMP/extra_row.json"
check "contract: a JSON document with an undeclared field fails its schema" fails validate "$schemas/apps.schema.json" "$TMP/extra_root.json"
{ head -1 "$golden/top_app.csv" | sed 's/$/,new_field/'; sed -n 2p "$golden/top_app.csv" | sed 's/$/,1/'; } >"$TMP/extra.csv"
check "contract: a CSV column not declared fails its schema" fails validate "$schemas/top.schema.json" "$TMP/extra.csv"
jq '.rows[0].cpu_s = "fast"' "$golden/top_app.json" >"$TMP/wrong_type.json"
check "contract: a field of the wrong type fails its schema" fails validate "$schemas/top.schema.json" "$TMP/wrong_type.json"

# Live outputs without goldens: status, doctor, top on a live recording.
db="$TMP/live.db"
"$PROCHIST" record --db "$db" --count 3 --interval 0.2 --quiet
"$PROCHIST" status --db "$db" --format json >"$TMP/status.json"
check "contract: status --format json follows its schema" validate "$schemas/status.schema.json" "$TMP/status.json"
"$PROCHIST" doctor --format json >"$TMP/doctor.json"
check "contract: doctor --format json follows its schema" validate "$schemas/doctor.schema.json" "$TMP/doctor.json"
for args in "top --by process" "top --by user --gpu" "apps --by process" "peak --by process" "show prochist" "power"; do
    "$PROCHIST" $args --since 1m --db "$db" --format json >"$TMP/live.json" 2>/dev/null
    "$PROCHIST" $args --since 1m --db "$db" --format csv >"$TMP/live.csv" 2>/dev/null
    c=${args%% *}
    check "contract: '$args' on a live recording follows its schema (JSON and CSV)" \
        validate "$schemas/$c.schema.json" "$TMP/live.json" "$TMP/live.csv"
done
# The CSV header is the JSON rows' keys for every grouping, the cgroup
# keys' included (Linux: the others refuse them), on a generated history
# (no cgroup recorded: every process groups under '-').
gen="$TMP/gen.db"
"$GEN" "$gen" --hours 3 --alive 10 --busy 3 --seed 5 --start 1795132800 >/dev/null
G="--db $gen --utc --since 2026-11-20T01:00Z --until 2026-11-20T03:00Z"
keys_of() { "$PROCHIST" "$@" $G --format json 2>/dev/null | jq -r 'if (.rows | length) > 0 then .rows[0] | keys_unsorted | join(",") else "no rows" end'; }
by="app process user"
[ "$(uname -s)" = Linux ] && by="$by unit slice container cgroup"
for c in top apps peak diff; do
    bad=""
    for k in $by; do
        [ "$("$PROCHIST" $c --by $k $G --format csv 2>/dev/null | head -1)" = "$(keys_of $c --by $k)" ] || bad="$bad $k"
    done
    check "contract: $c's CSV header is its JSON rows' keys for --by $(echo $by | tr ' ' ,)" [ -z "$bad" ]
    "$PROCHIST" $c --by container $G --format json >"$TMP/c.json" 2>/dev/null || "$PROCHIST" $c --by user $G --format json >"$TMP/c.json"
    "$PROCHIST" $c --by container $G --format csv >"$TMP/c.csv" 2>/dev/null || "$PROCHIST" $c --by user $G --format csv >"$TMP/c.csv"
    check "contract: $c by a cgroup key follows its schema (JSON and CSV)" validate "$schemas/$c.schema.json" "$TMP/c.json" "$TMP/c.csv"
done
# show --by KEY names its group in JSON (by, the key, container_id): Linux.
if [ "$(uname -s)" = Linux ]; then
    cid=$("$PROCHIST" top --by container $G --format json | jq -r '[.rows[] | select(.container != "-")][0].container // "-"')
    "$PROCHIST" show --by container "$cid" $G --format json >"$TMP/s.json"
    "$PROCHIST" show --by container "$cid" $G --format csv >"$TMP/s.csv"
    show_by_ok() { jq -e '.by == "container" and (.container_id | length) >= 12' "$TMP/s.json" >/dev/null &&
        validate "$schemas/show.schema.json" "$TMP/s.json" "$TMP/s.csv"; }
    check "contract: show --by container names it and follows its schema (JSON and CSV)" show_by_ok
fi
