#!/bin/sh
# prochist doctor on Linux: against fixture trees (a /proc and a /sys with a
# RAPL zone and a GPU card, then an empty /sys), and live. Each source says
# works / partly / missing, a value read now, and why when it is missing.
. "$(dirname "$0")/../lib.sh"
need_linux doctor "--proc-root and --sys-root fixture trees"

proc="$TMP/proc"
sys="$TMP/sys"
cp -R "$TESTS_DIR/fixtures/proc" "$proc"
mkdir -p "$sys/class/powercap/intel-rapl:0" "$sys/class/drm/card0/device" "$TMP/empty"
echo package-0 >"$sys/class/powercap/intel-rapl:0/name"
echo 123456789 >"$sys/class/powercap/intel-rapl:0/energy_uj"
echo 262143328850 >"$sys/class/powercap/intel-rapl:0/max_energy_range_uj"
echo 60 >"$sys/class/drm/card0/device/gpu_busy_percent"
nprocs=$(ls "$proc" | grep -c '^[0-9][0-9]*$')

# state SOURCE [FILE]: the state of one source in doctor's JSON
state() { jq -r --arg s "$1" '.sources[] | select(.source == $s) | .state' "${2:-$TMP/out}"; }
field() { jq -r --arg s "$1" --arg f "$2" '.sources[] | select(.source == $s) | .[$f]' "${3:-$TMP/out}"; }

capture "$PROCHIST" doctor --proc-root "$proc" --sys-root "$sys" --format json
check doctor_fixture_exit_0 [ "$rc" -eq 0 ]
check doctor_fixture_json_ok [ "$(jq -r .ok "$TMP/out")" = true ]
check doctor_fixture_platform [ "$(jq -r .platform "$TMP/out")" = linux ]
check doctor_fixture_listing_counts_the_tree \
    [ "$(field "process listing" sample)" = "$nprocs processes in $proc" ]
check doctor_fixture_counters_work [ "$(state "per-process counters")" = works ]
# the fixture's pid 1: a value read now, not a placeholder
check doctor_fixture_counters_sample grep -q '"sample":[[:space:]]*"pid 1 (' "$TMP/out"
check doctor_fixture_boot_id [ "$(field "boot identity" sample)" = "$(cat "$proc/sys/kernel/random/boot_id")" ]
check doctor_fixture_rapl_value [ "$(field "RAPL energy" sample)" = "1 zones: package 123456789 uJ" ]
check doctor_fixture_rapl_works [ "$(state "RAPL energy")" = works ]
check doctor_fixture_gpu_busy [ "$(field "GPU (DRM sysfs)" sample)" = "busy 60.0%" ]
# exit records never come from a fixture tree: missing, and it says why
check doctor_fixture_taskstats_missing_says_why \
    sh -c "[ \"\$(jq -r '.sources[] | select(.source == \"taskstats exit records\") | .state' '$TMP/out')\" = missing ] &&
           jq -r '.sources[] | select(.source == \"taskstats exit records\") | .why' '$TMP/out' | grep -q 'not the running kernel'"

# no RAPL, no GPU: missing, with the directory that was looked in
capture "$PROCHIST" doctor --proc-root "$proc" --sys-root "$TMP/empty" --format json
check doctor_empty_sys_exit_0 [ "$rc" -eq 0 ]
check doctor_empty_sys_rapl_missing [ "$(state "RAPL energy")" = missing ]
check doctor_empty_sys_rapl_why sh -c "jq -r '.sources[] | select(.source == \"RAPL energy\") | .why' '$TMP/out' |
    grep -q 'no intel-rapl zones in $TMP/empty/class/powercap'"
check doctor_empty_sys_rapl_no_sample [ "$(field "RAPL energy" sample)" = null ]
check doctor_empty_sys_gpu_missing [ "$(state "GPU (DRM sysfs)")" = missing ]

# text: one line per source, each with its state first
capture "$PROCHIST" doctor --proc-root "$proc" --sys-root "$TMP/empty"
check doctor_text_exit_0 [ "$rc" -eq 0 ]
check doctor_text_rapl_line grep -q '^missing  RAPL energy .*no intel-rapl zones' "$TMP/out"
check doctor_text_listing_line grep -q "^works    process listing .*$nprocs processes" "$TMP/out"

# nothing to list: exit 1 with a one-line reason; bad usage: exit 2
capture "$PROCHIST" doctor --proc-root "$TMP/nonexistent"
check doctor_no_proc_exit_1 [ "$rc" -eq 1 ]
check doctor_no_proc_says_why grep -q "cannot open proc root $TMP/nonexistent" "$TMP/out"
capture "$PROCHIST" doctor --format yaml
check doctor_bad_format_exit_2 [ "$rc" -eq 2 ]
check doctor_bad_format_one_line [ "$(wc -l <"$TMP/err")" -eq 1 ]
capture "$PROCHIST" doctor extra
check doctor_extra_argument_exit_2 [ "$rc" -eq 2 ]

# cgroups: the hierarchy each fixture host shows (tests/fixtures/cgroup: v2
# only, hybrid, v1 only), every process read; without cgroup files, missing
# and why.
CG="cgroups (--by unit, slice, container)"
capture "$PROCHIST" doctor --proc-root "$proc" --sys-root "$TMP/empty" --format json
check doctor_fixture_no_cgroup_files_missing [ "$(state "$CG")" = missing ]
check doctor_fixture_no_cgroup_files_why sh -c "jq -r --arg s '$CG' '.sources[] | select(.source == \$s) | .why' '$TMP/out' |
    grep -q 'no $proc/PID/cgroup with a cgroup v2 or name=systemd line could be read (of $nprocs processes)'"
for host in v2 hybrid v1; do
    cp -R "$proc" "$TMP/cg-$host"
    (cd "$TESTS_DIR/fixtures/cgroup/$host" && for p in [0-9]*; do cp "$p/cgroup" "$TMP/cg-$host/$p/cgroup"; done)
    case $host in
    v2) want="v2 unified" ;;
    hybrid) want="hybrid (cgroup v2 and v1 name=systemd)" ;;
    v1) want="v1 (name=systemd)" ;;
    esac
    capture "$PROCHIST" doctor --proc-root "$TMP/cg-$host" --sys-root "$TMP/empty" --format json
    check "doctor_cgroups_${host}_works" [ "$(state "$CG")" = works ]
    got=$(field "$CG" sample)
    case $got in
    "$want; $nprocs of $nprocs processes read; pid "*) ok "doctor_cgroups_${host}_hierarchy ($got)" ;;
    *) fail "doctor_cgroups_${host}_hierarchy" "got '$got', want '$want; $nprocs of $nprocs processes read; ...'" ;;
    esac
done
# one file unreadable of six: partly, and it says how many
rm "$TMP/cg-v2/3109/cgroup"
capture "$PROCHIST" doctor --proc-root "$TMP/cg-v2" --sys-root "$TMP/empty"
check doctor_cgroups_one_unreadable_partly grep -q "^partly   $CG .*5 of $nprocs processes read" "$TMP/out"
check doctor_cgroups_one_unreadable_why grep -q "1 processes' $TMP/cg-v2/PID/cgroup could not be read" "$TMP/out"

# live: this machine's /proc lists this shell, and doctor reads itself
capture "$PROCHIST" doctor --format json
check doctor_live_exit_0 [ "$rc" -eq 0 ]
check doctor_live_ok [ "$(jq -r .ok "$TMP/out")" = true ]
check doctor_live_listing_works [ "$(state "process listing")" = works ]
check doctor_live_reads_itself sh -c "jq -r '.sources[] | select(.source == \"per-process counters\") | .sample' '$TMP/out' |
    grep -q '(prochist): cpu '"
check doctor_live_every_source_has_value_or_reason \
    [ "$(jq '[.sources[] | select(.sample == null and .why == null)] | length' "$TMP/out")" -eq 0 ]
# live cgroups: the hierarchy the mounts say (cgroup2 and a name=systemd
# cgroup mount: hybrid; cgroup2 alone: v2; name=systemd alone: v1)
v2m=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
v1m=$(awk '$3 == "cgroup" && $4 ~ /(^|,)name=systemd(,|$)/ { print $2; exit }' /proc/self/mounts)
if [ -n "$v2m" ] && [ -n "$v1m" ]; then want="hybrid"
elif [ -n "$v2m" ]; then want="v2 unified"
elif [ -n "$v1m" ]; then want="v1"
else want=""; fi
if [ -n "$want" ]; then
    got=$(field "$CG" sample)
    case $got in
    "$want"*) ok "doctor_live_cgroups_hierarchy_is_$want ($got)" ;;
    *) fail "doctor_live_cgroups_hierarchy_is_$want" "got '$got'" ;;
    esac
    check doctor_live_cgroups_readable [ "$(state "$CG")" != missing ]
else
    echo "skip - doctor_live_cgroups: no cgroup2 or name=systemd mount here"
fi
