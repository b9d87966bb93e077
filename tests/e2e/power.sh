#!/bin/sh
# System power from RAPL powercap files (a fixture /sys: these machines have
# no RAPL), with a counter that wraps, and per-process energy estimated from
# the package energy by CPU share: per-process + unattributed = the total.
. "$(dirname "$0")/../lib.sh"
need_linux power "RAPL and DRM in a /sys fixture tree"

proc="$TMP/proc"
sys="$TMP/sys"
db="$TMP/power.db"
cp -R "$TESTS_DIR/fixtures/proc" "$proc"
pc="$sys/class/powercap"
zone() { # DIR NAME ENERGY_UJ
    mkdir -p "$pc/$1"
    echo "$2" >"$pc/$1/name"
    echo "$3" >"$pc/$1/energy_uj"
    echo 262143328850 >"$pc/$1/max_energy_range_uj"
}
MAX=262143328850
zone intel-rapl:0 package-0 $((MAX - 10000000))   # 10 J before the wrap
zone intel-rapl:0:0 core 5000000
zone intel-rapl:0:1 dram 2000000
zone intel-rapl-mmio:0 package-0 777               # repeats the package: ignored
setf() { awk -v f="$2" -v v="$3" '{ $f = v; print }' "$1" >"$1.new" && mv "$1.new" "$1"; }
cpu_line() { # total CPU ticks of all CPUs, as the first line of /proc/stat
    awk -v t="$1" 'NR == 1 { print "cpu  0 0 0 " t " 0 0 0 0 0 0"; next } { print }' "$proc/stat" >"$proc/stat.new" &&
        mv "$proc/stat.new" "$proc/stat"
}
record() { "$PROCHIST" record --db "$db" --proc-root "$proc" --sys-root "$sys" --count 1 --quiet; }

echo "700.00 1000.00" >"$proc/uptime"
cpu_line 100000
record
check "power: first run records" [ $? -eq 0 ]
check "power: the source is noted" sh -c 'sqlite3 "$1" "select value from meta where key = '"'"'power_note'"'"'" | grep -q "measured: 3 power zones"' sh "$db"

# 5 s later: the package counter wrapped (10 J before, 10 J after: 20 J),
# core +10 J, dram +2 J; all CPUs had 10 s (1000 ticks); bash ran 0.5 s.
echo 10000000 >"$pc/intel-rapl:0/energy_uj"
echo 15000000 >"$pc/intel-rapl:0:0/energy_uj"
echo 4000000 >"$pc/intel-rapl:0:1/energy_uj"
cpu_line 101000
setf "$proc/1186/stat" 14 54
echo "705.00 1000.00" >"$proc/uptime"
record

pkg=$(sqlite3 "$db" "select energy_package_nj from sample order by sample desc limit 1")
check "power: the package counter's wrap gives 20 J" [ "$pkg" = 20000000000 ]
check "power: core 10 J, dram 2 J" [ "$(sqlite3 "$db" "select energy_core_nj || ' ' || energy_dram_nj from sample order by sample desc limit 1")" = "10000000000 2000000000" ]
check "power: the mmio copy of the package is not counted" [ "$pkg" != 20000000777 ]
check "power: CPU capacity of the interval is 10 s" [ "$(sqlite3 "$db" "select cpu_capacity_ns from sample order by sample desc limit 1")" = 10000000000 ]

capture "$PROCHIST" top --db "$db" --energy --by process --since 10m --format json -n 100
bash_est=$(jq -r '.rows[] | select(.pid == 1186) | .energy_est_j' "$TMP/out")
check "power: bash's estimate is 20 J x 0.5 s / 10 s = 1 J" [ "$bash_est" = 1 ]
check "power: measured energy is not invented" [ "$(jq -r '.rows[] | select(.pid == 1186) | .energy_j' "$TMP/out")" = null ]
check "power: top sorts by the estimate" [ "$(jq -r '.rows[0].pid' "$TMP/out")" = 1186 ]
total=$(jq -r '.system_energy_j' "$TMP/out")
un=$(jq -r '.unattributed_energy_j' "$TMP/out")
sum=$(jq -r '[.rows[].energy_est_j // 0] | add' "$TMP/out")
check "power: per-process + unattributed = the measured total" awk -v s="$sum" -v u="$un" -v t="$total" 'BEGIN { d = s + u - t; exit !(t == 20 && d < 1e-9 && d > -1e-9) }'
capture "$PROCHIST" top --db "$db" --energy --since 10m
check "power: the table says the energy is estimated" grep -q "ENERGY (EST)" "$TMP/out"
check "power: the table shows the unattributed rest" grep -q "(unattributed)" "$TMP/out"
# Prometheus export: the estimate is its own family, never the measured one.
capture "$PROCHIST" export --db "$db"
est=$(sed -n 's/^prochist_app_energy_estimated_joules_total{app="bash"} //p' "$TMP/out")
check "power: export carries bash's estimated energy (${est:-none} J of 1)" awk -v e="${est:-x}" 'BEGIN { exit !(e == 1) }'
check "power: export invents no measured energy" sh -c '! grep -q "^prochist_app_energy_joules" "$1"' sh "$TMP/out"
if command -v promtool >/dev/null 2>&1; then
    check "power: export passes promtool" sh -c 'promtool check metrics <"$1"' sh "$TMP/out"
fi

capture "$PROCHIST" power --db "$db" --since 10m --resolution 1m --format json
w=$(jq -r '[.rows[] | select(.package_w != null) | .package_w] | .[0]' "$TMP/out")
check "power: the power timeline shows 4 W (20 J over 5 s)" [ "$w" = 4 ]
check "power: total package energy 20 J" [ "$(jq -r .energy_j.package "$TMP/out")" = 20 ]
capture "$PROCHIST" power --db "$db" --since 10m
check "power: the table has a package column" grep -q "PACKAGE" "$TMP/out"

# No RAPL at all: the columns stay NULL and power says why.
db2="$TMP/nopower.db"
"$PROCHIST" record --db "$db2" --proc-root "$proc" --sys-root "$TMP/empty" --count 1 --quiet
capture "$PROCHIST" power --db "$db2" --since 10m
check "power: without power zones, power says why" grep -q "no RAPL zones" "$TMP/err"

# GPUs (a fixture /sys/class/drm: these machines have none): an amdgpu card
# with busy %, a power reading and its clock; an i915 card with an energy
# counter and its clock; a connector directory that must be ignored.
gsys="$TMP/gsys"
drm="$gsys/class/drm"
mkdir -p "$drm/card0/device/hwmon/hwmon2" "$drm/card1/device/hwmon/hwmon5" "$drm/card0-DP-1/device"
echo 40 >"$drm/card0/device/gpu_busy_percent"
echo 99 >"$drm/card0-DP-1/device/gpu_busy_percent"
echo amdgpu >"$drm/card0/device/hwmon/hwmon2/name"
echo 15000000 >"$drm/card0/device/hwmon/hwmon2/power1_average"   # 15 W
echo 1200000000 >"$drm/card0/device/hwmon/hwmon2/freq1_input"    # 1200 MHz
echo sclk >"$drm/card0/device/hwmon/hwmon2/freq1_label"
echo 600 >"$drm/card1/gt_act_freq_mhz"
echo i915 >"$drm/card1/device/hwmon/hwmon5/name"
echo 1000000 >"$drm/card1/device/hwmon/hwmon5/energy1_input"      # uJ
gdb="$TMP/gpu.db"
grec() { "$PROCHIST" record --db "$gdb" --proc-root "$proc" --sys-root "$gsys" --count 1 --quiet; }
echo "800.00 1000.00" >"$proc/uptime"
grec
check "gpu: the first sample has no GPU energy yet (no counter delta)" \
    [ "$(sqlite3 "$gdb" "select coalesce(energy_gpu_nj, 'null') from sample order by sample desc limit 1")" = null ]
# 5 s later: the i915 counter +25 J (5 W); amdgpu 15 W for 5 s = 75 J: 100 J
echo 26000000 >"$drm/card1/device/hwmon/hwmon5/energy1_input"
echo "805.00 1000.00" >"$proc/uptime"
grec
row=$(sqlite3 "$gdb" "select energy_gpu_nj || ' ' || gpu_busy_ns || ' ' || gpu_mcycles || ' ' || gpu_covered_ns
                      from sample order by sample desc limit 1")
check "gpu: 100 J, busy 40% of 5 s, (1200 + 600) / 2 MHz over 5 s ($row)" [ "$row" = "100000000000 2000000000 4500 5000000000" ]
capture "$PROCHIST" power --db "$gdb" --since 10m --resolution 1m --format json
p=$(jq -c '[.rows[] | select(.gpu_w != null)][0] | {gpu_w, gpu_busy_pct, gpu_mhz}' "$TMP/out")
check "gpu: power shows 20 W, 40% busy, 900 MHz ($p)" [ "$p" = '{"gpu_w":20,"gpu_busy_pct":40,"gpu_mhz":900}' ]
capture "$PROCHIST" power --db "$gdb" --since 10m
check "gpu: the table has GPU columns" grep -q "GPU BUSY" "$TMP/out"
check "gpu: v_power reads the same" [ "$(sqlite3 "$gdb" "select gpu_w || ' ' || gpu_busy_pct || ' ' || gpu_mhz from v_power order by time_utc desc limit 1")" = "20.0 40.0 900.0" ]
capture "$PROCHIST" power --db "$db" --since 10m
check "gpu: without GPUs the table has no GPU columns" sh -c '! grep -q "GPU" "$1"' sh "$TMP/out"
