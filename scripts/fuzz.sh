#!/bin/sh
# make fuzz: build each libFuzzer target (clang, with ASan + UBSan) and run
# it for FUZZ_SECONDS (default 30) from its seed corpus in tests/fuzz/corpus.
# A crash leaves its input in build/fuzz/ and fails the run: copy it into the
# corpus and into a unit test, then fix the parser.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SECONDS_EACH=${FUZZ_SECONDS:-30}
root=$PWD
out="$BUILD/fuzz"
mkdir -p "$out"
CC=${FUZZ_CC:-clang}
flags="-std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude"
build() { # NAME SOURCES...
    name=$1
    shift
    $CC $flags -o "$out/$name" "$@"
}
build procfs tests/fuzz/fuzz_procfs.c src/platform/linux/procfs_parse.c
build time tests/fuzz/fuzz_time.c src/util/timeparse.c src/db/retention.c src/util/util.c
build darwin tests/fuzz/fuzz_darwin.c src/platform/darwin/convert.c src/platform/darwin/soc.c src/util/util.c src/util/metrics.c
build taskstats tests/fuzz/fuzz_taskstats.c src/platform/linux/taskstats_parse.c src/util/metrics.c src/util/util.c
build cgroup tests/fuzz/fuzz_cgroup.c src/platform/linux/cgroup_parse.c src/util/cgroup_key.c
status=0
for t in procfs time darwin taskstats cgroup; do
    work="$out/corpus-$t"
    mkdir -p "$work"
    echo "fuzz: $t for ${SECONDS_EACH}s"
    if ! (cd "$out" && "./$t" -max_total_time="$SECONDS_EACH" -print_final_stats=0 "corpus-$t" \
        "$root/tests/fuzz/corpus/$t" 2>"$t.log"); then
        echo "fuzz: $t FAILED: see $out/$t.log and the crash-* file in $out" >&2
        tail -20 "$out/$t.log" >&2
        status=1
    else
        echo "fuzz: $t: $(grep -o 'Done [0-9]* runs' "$out/$t.log" | tail -1)"
    fi
done
exit $status
