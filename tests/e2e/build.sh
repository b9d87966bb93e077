#!/bin/sh
# The build never installs packages: a packager's `make` / `make install`
# is offline. Only `make deps` and `make run` may call the installer; every
# other target runs the check, which names what is missing and stops.
. "$(dirname "$0")/../lib.sh"

root=$(cd "$TESTS_DIR/.." && pwd)
# recipes: what make would run on a machine that never built (fresh BUILD)
for t in prochist install test cross-darwin; do
    make -n -C "$root" BUILD="$TMP/b-$t" "$t" >"$TMP/n-$t" 2>&1
    check "build_${t}_only_checks_deps" grep -q 'scripts/deps.sh --check' "$TMP/n-$t"
    check "build_${t}_never_installs" sh -c "! grep -Eq 'scripts/deps.sh *(\$|;|&)|apt-get|brew install|npm install' '$TMP/n-$t'"
done
make -n -C "$root" BUILD="$TMP/b-run" run >"$TMP/n-run" 2>&1
check build_run_may_install grep -Eq 'sh scripts/deps.sh *$' "$TMP/n-run"
make -n -C "$root" deps >"$TMP/n-deps" 2>&1
check build_deps_installs grep -Eq 'sh scripts/deps.sh *$' "$TMP/n-deps"

# the check names what is missing, in one line, and fails
mkdir -p "$TMP/nobin"
capture env PATH="$TMP/nobin" /bin/sh "$root/scripts/deps.sh" --check --tools
check build_check_fails_when_missing [ "$rc" -eq 1 ]
check build_check_names_pkg_config grep -q 'missing:.*pkg-config' "$TMP/err"
check build_check_names_tools grep -q 'the jq command' "$TMP/err"
check build_check_one_line [ "$(wc -l <"$TMP/err")" -eq 1 ]
check build_check_installs_nothing [ ! -s "$TMP/out" ]
capture sh "$root/scripts/deps.sh" --check
check build_check_passes_here [ "$rc" -eq 0 ]
