# Shared helpers for the end-to-end tests (sourced). Each check prints
# "ok - NAME" or "not ok - NAME" with the reason on the next line.
set -u
: "${PROCHIST:?set PROCHIST to the binary under test}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ph-e2e-XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap "cleanup; exit 1" INT TERM HUP PIPE
ok() { echo "ok - $1"; }
fail() { echo "not ok - $1"; shift; [ $# -gt 0 ] && echo "#   $*"; return 0; }
# check NAME COMMAND...: ok when the command succeeds.
check() {
    name=$1; shift
    if "$@"; then ok "$name"; else fail "$name" "failed: $*"; fi
}
# within VALUE EXPECTED PCT: |VALUE - EXPECTED| <= PCT% of EXPECTED
within() {
    awk -v v="$1" -v e="$2" -v p="$3" 'BEGIN { d = v - e; if (d < 0) d = -d; exit !(e > 0 && d <= e * p / 100) }'
}
# runs CMD capturing stdout, stderr and status into $TMP/out, $TMP/err, $rc
capture() {
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
}
