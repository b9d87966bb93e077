#!/bin/sh
# Runs every test: the unit binary, then each end-to-end script in
# tests/e2e/. Each prints "ok - NAME" / "not ok - NAME" lines; this script
# counts them and ends with "N passed, N failed". A script that needs
# another OS prints "skip - NAME: needs ..." instead; those are counted on a
# line of their own before the summary. A runner that exits
# non-zero without reporting a failure (a crash) counts as one failure.
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
    cat "$one" >>"$all"
    if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$one"; then
        echo "not ok - $* exited with status $rc" | tee -a "$all"
    fi
}

run "$BUILD/unit_tests"
for t in "$here"/e2e/*.sh; do
    [ -f "$t" ] || continue
    run sh "$t"
done
passed=$(grep -c '^ok - ' "$all")
failed=$(grep -c '^not ok - ' "$all")
skipped=$(grep -c '^skip - ' "$all")
# Skips are shown, never hidden: each script that cannot run here said why.
[ "$skipped" -eq 0 ] || echo "$skipped skipped (see the skip - lines above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
