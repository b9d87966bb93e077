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

