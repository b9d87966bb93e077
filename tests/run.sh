#!/bin/sh
# Runs the tests: the unit binary, then each end-to-end script in tests/e2e/.
# Each prints "ok - NAME" / "not ok - NAME" lines (TAP-like); a check that
# cannot run here prints "ok - NAME # SKIP reason" (lib.sh's skip). This
# script counts them, lists every failed check again at the end (so a long
# run's failures need no scrolling) and ends with "N passed, N failed";
# skips are counted on a line of their own and never as passes. A runner
# that exits non-zero without reporting a failure (a crash) counts as one
# failure.
#
# Usage: run.sh [NAME...]: with names, only those: NAME is an e2e script
# (tests/e2e/NAME.sh) or a unit-test module or filter ("tracker" runs
# tests/unit/test_tracker.c's tests, "tracker/keyframe" one of them).
# Environment: BUILD (build directory), PROCHIST (binary under test).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD="$(pwd)/$BUILD" ;;
esac
PROCHIST=${PROCHIST:-$BUILD/prochist}
HELPERS="$BUILD/helpers"
GEN="$BUILD/gen-history"
export TESTS_DIR="$here" PROCHIST BUILD HELPERS GEN
all=$(mktemp)
one=$(mktemp)
trap 'rm -f "$all" "$one"' EXIT

run() {
    echo "# $*"
    "$@" >"$one" 2>&1
    rc=$?
    cat "$one"
    # Remember which runner printed each result, for the list at the end.
    label=$(basename "$1")
    [ "$1" = sh ] && label=$(basename "$2")
    sed "s|\$|   [$label]|" "$one" >>"$all"
    if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$one"; then
        echo "not ok - $* exited with status $rc" | tee -a "$all"
    fi
}

if [ $# -eq 0 ]; then
    run "$BUILD/unit_tests"
    for t in "$here"/e2e/*.sh; do
        [ -f "$t" ] || continue
        run sh "$t"
    done
else
    for name in "$@"; do
        if [ -f "$here/e2e/$name.sh" ]; then
            run sh "$here/e2e/$name.sh"
        elif [ -f "$here/unit/test_${name%%/*}.c" ] || "$BUILD/unit_tests" --list | grep -q -- "$name"; then
            run "$BUILD/unit_tests" "$name"
        else
            echo "not ok - no test named '$name' (an e2e script in tests/e2e/ or a unit module/filter)" | tee -a "$all"
        fi
    done
fi
passed=$(grep -v '# SKIP' "$all" | grep -c '^ok - ')
failed=$(grep -c '^not ok - ' "$all")
skipped=$(grep -c '^ok - .*# SKIP\|^skip - ' "$all")
if [ "$skipped" -ne 0 ]; then
    echo "# skipped (not counted as passed):"
    grep '^ok - .*# SKIP\|^skip - ' "$all" | sed 's/^/#   /'
    echo "$skipped skipped"
fi
if [ "$failed" -ne 0 ]; then
    echo "# failed:"
    grep '^not ok - ' "$all" | sed 's/^/#   /'
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
