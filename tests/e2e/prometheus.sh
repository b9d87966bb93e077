#!/bin/sh
# Real components on loopback: the recorder writes node_exporter's textfile,
# node_exporter serves it, Prometheus scrapes it every second; rate() of the
# app's CPU counter must match a known workload within 10%. Also: the text
# passes promtool, and hostile app names give valid exposition.
. "$(dirname "$0")/../lib.sh"
need_linux prometheus "reads /proc/PID/stat and date +%N"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need prometheus || ! need prometheus-node-exporter || ! need promtool || ! need curl; then
    if [ "$(id -u)" = 0 ] && need apt-get; then
        echo "# installing prometheus, prometheus-node-exporter and curl (Debian packages)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-node-exporter curl >/dev/null 2>&1
    fi
fi
if ! need prometheus || ! need prometheus-node-exporter || ! need promtool || ! need curl; then
    skip prometheus "prometheus, prometheus-node-exporter, promtool or curl could not be installed"
    exit 0
fi

tf="$TMP/textfile"
mkdir -p "$tf"
db="$TMP/prom.db"
np=$((20000 + $$ % 10000))
pp=$((np + 1))
PIDS=""
cleanup_servers() { [ -n "$PIDS" ] && kill $PIDS 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup_servers EXIT
trap "cleanup_servers; exit 1" INT TERM HUP PIPE

"$PROCHIST" record --db "$db" --interval 0.5 --textfile-dir "$tf" --textfile-every 0.5 --quiet &
PIDS="$PIDS $!"
prometheus-node-exporter --web.listen-address=127.0.0.1:$np --collector.disable-defaults \
    --collector.textfile --collector.textfile.directory="$tf" >"$TMP/ne.log" 2>&1 &
PIDS="$PIDS $!"
cat >"$TMP/prom.yml" <<EOC
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prochist
    static_configs:
      - targets: ['127.0.0.1:$np']
EOC
prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/tsdb" \
    --web.listen-address=127.0.0.1:$pp >"$TMP/prom.log" 2>&1 &
PIDS="$PIDS $!"

# until SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds; 1 on
# timeout. Conditions, not fixed sleeps: the machine may be busy.
until_ok() {
    _n=$(($1 * 10)); shift
    while ! "$@" >/dev/null 2>&1; do
        _n=$((_n - 1))
        [ $_n -le 0 ] && return 1
        sleep 0.1
    done
}
q() {
    curl -s "http://127.0.0.1:$pp/api/v1/query" --data-urlencode "query=$1" --data-urlencode "time=$2" |
        jq -r '.data.result[0].value[1] // empty'
}
has() { [ -n "$(q "$1" "$(date +%s.%N)")" ]; }
ready() { [ "$(q 'up{job="prochist"}' "$(date +%s.%N)")" = 1 ] && has prochist_recorder_samples_total; }
until_ok 60 ready || fail "prometheus: node_exporter scraped" "no prochist series after 60 s; $(tail -2 "$TMP/prom.log")"

# The workload: an app of a name unique to this run (another copy of the
# suite, or any other "spin" on the machine, must not be added in). What it
# burns is read from its own /proc/PID/stat while it is stopped (SIGSTOP),
# so the figures compared do not depend on how a loaded machine schedules
# it, the recorder (0.5 s), the textfile (0.5 s) or the scrape (1 s).
app="psp$$"
cp "$HELPERS/spin" "$TMP/$app"
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)
"$TMP/$app" 60000 &
sp=$!
until_ok 30 has "prochist_app_cpu_seconds_total{app=\"$app\"}" ||
    fail "prometheus: the workload's series appears" "no series for app $app after 30 s"
# scraped_after T: Prometheus holds a sample of the app's counter taken at
# least 1 s after T (so it saw the state at T).
scraped_after() {
    t=$(q "timestamp(prochist_app_cpu_seconds_total{app=\"$app\"})" "$(date +%s.%N)")
    [ -n "$t" ] && awk -v t="$t" -v m="$1" 'BEGIN { exit !(t >= m + 1) }'
}
# rate() over a window that begins and ends while the workload is stopped:
# the counter is flat at both ends, so the increase inside the window is
# exactly the CPU burnt between the two stops, however late each stage was.
# Prometheus extrapolates to the window's edges by at most about one scrape
# interval on each side, a few percent of a 40 s window.
kill -STOP $sp
s0=$(date +%s.%N)
c1=$(ticks $sp)
until_ok 60 scraped_after "$(awk -v s="$s0" 'BEGIN { printf "%.3f", s + 14 }')" ||
    echo "# Prometheus had no scrape 15 s after the first stop, after 60 s"
kill -CONT $sp
sleep 10 # the workload runs (how much it gets of a core does not matter)
kill -STOP $sp
s1=$(date +%s.%N)
c2=$(ticks $sp)
# The window: from 14 s after the first stop (Prometheus holds the flat
# value by then) for W = at least 40 s and at least to 14 s after the second
# stop; Prometheus must hold samples past its end.
w=$(awk -v a="$s0" -v b="$s1" 'BEGIN { w = int(b - a) + 1; if (w < 40) w = 40; print w }')
at=$(awk -v a="$s0" -v w="$w" 'BEGIN { printf "%.3f", a + 14 + w }')
until_ok 90 scraped_after "$at" || echo "# Prometheus had no scrape past the window's end, after 90 s"
expected=$(awk -v x="$c1" -v y="$c2" -v t="$tck" -v w="$w" 'BEGIN { printf "%.4f", (y - x) / t / w }')
got=$(q "rate(prochist_app_cpu_seconds_total{app=\"$app\"}[${w}s])" "$at")
echo "# Prometheus: rate(prochist_app_cpu_seconds_total{app=\"$app\"}[${w}s]) = ${got:-none}, workload $(awk -v x="$c1" -v y="$c2" -v t="$tck" 'BEGIN { printf "%.2f", (y - x) / t }') CPU s in it: ${expected} CPU s/s"
if [ -n "$got" ] && within "$got" "$expected" 10; then ok "prometheus: rate() of the app's CPU matches the workload within 10%"
else fail "prometheus: rate() of the app's CPU matches the workload within 10%" "got '${got}', expected $expected; $(tail -2 "$TMP/prom.log")"; fi

# The workload's whole CPU, read while it is stopped, then it ends: the
# counter's last value must come to the same.
total=$(ticks $sp)
kill -KILL $sp
wait $sp 2>/dev/null
killed=$(date +%s.%N)
total_s=$(awk -v c="$total" -v t="$tck" 'BEGIN { printf "%.2f", c / t }')
until_ok 60 scraped_after "$(awk -v k="$killed" 'BEGIN { printf "%.3f", k + 2 }')" ||
    echo "# Prometheus had no scrape 3 s after the workload ended, after 60 s"
last=$(q "max_over_time(prochist_app_cpu_seconds_total{app=\"$app\"}[5m])" "$(date +%s.%N)")
echo "# Prometheus: the app's CPU counter ended at ${last:-none} s, the workload used ${total_s} s"
if [ -n "$last" ] && within "$last" "$total_s" 5; then ok "prometheus: the app's CPU counter comes to the workload's CPU within 5%"
else fail "prometheus: the app's CPU counter comes to the workload's CPU within 5%" "got '${last}', expected $total_s"; fi

check "prometheus: the textfile passes promtool check metrics" sh -c 'promtool check metrics <"$1"' sh "$tf/prochist.prom"
samples=$(q 'prochist_recorder_samples_total' "$(date +%s)")
check "prometheus: recorder health is scraped" [ -n "$samples" ]

# Hostile names: quotes, backslashes, newlines, invalid UTF-8 in app labels.
hostile="$TMP/$(printf 'q"uo\\te\nnl\377x')"
cp "$HELPERS/spin" "$hostile"
db2="$TMP/hostile.db"
"$PROCHIST" record --db "$db2" --interval 0.1 --quiet &
rec=$!
wait_samples "$db2" 1
"$hostile" 200
n0=$(sqlite3 "$db2" 'select count(*) from sample')
wait_samples "$db2" $((n0 + 2))
kill $rec
wait $rec
"$PROCHIST" export --db "$db2" >"$TMP/hostile.prom"
check "prometheus: hostile app names give valid exposition" sh -c 'promtool check metrics <"$1"' sh "$TMP/hostile.prom"
check "prometheus: label escaping" grep -q 'app="q\\"uo\\\\te\\nnl?x"' "$TMP/hostile.prom"
"$PROCHIST" export --db "$db2" --format openmetrics >"$TMP/om.txt"
check "prometheus: openmetrics ends with # EOF" [ "$(tail -1 "$TMP/om.txt")" = "# EOF" ]
check "prometheus: openmetrics counter families are named without _total" grep -q '^# TYPE prochist_app_cpu_seconds counter$' "$TMP/om.txt"
"$PROCHIST" export --db "$db2" --top 1 >"$TMP/top1.prom"
n=$(grep -c '^prochist_app_cpu_seconds_total{' "$TMP/top1.prom")
check "prometheus: --top 1 gives one app and 'other'" sh -c '[ "$1" -eq 2 ] && grep -q "app=\"other\"" "$2"' sh "$n" "$TMP/top1.prom"

# Build and system series. prochist_build_info carries `prochist --version`'s
# version; on a history with power (gen-history --power: package, core,
# dram, a GPU) the energy counters equal SQL over the samples (the whole
# history is in the raw tier and the rollups: the tiers' sums must agree),
# and the GPU gauges over the window equal busy / covered and the mean clock.
ver=$("$PROCHIST" --version | awk '{ print $2 }')
check "prometheus: build_info carries the version and platform" \
    grep -q "^prochist_build_info{version=\"$ver\",platform=\"linux\"} 1$" "$TMP/top1.prom"
pdb="$TMP/power.db"
"$GEN" "$pdb" --hours 3 --alive 30 --busy 4 --churn 0.2 --seed 7 --power >/dev/null
"$PROCHIST" export --db "$pdb" --since 3650d >"$TMP/power.prom"
check "prometheus: system series pass promtool check metrics" sh -c 'promtool check metrics <"$1"' sh "$TMP/power.prom"
"$PROCHIST" export --db "$pdb" --since 3650d --format openmetrics >"$TMP/power.om"
check "prometheus: openmetrics names the energy family without _total, with its unit" \
    sh -c 'grep -q "^# TYPE prochist_system_energy_joules counter$" "$1" && grep -q "^# UNIT prochist_system_energy_joules joules$" "$1"' sh "$TMP/power.om"
sys_ok() {
    for d in package core dram gpu; do
        want=$(sqlite3 "$pdb" "select printf('%.6f', sum(energy_${d}_nj) / 1e9) from sample")
        got=$(awk -v m="prochist_system_energy_joules_total{domain=\"$d\"}" '$1 == m { printf "%.6f", $2 }' "$TMP/power.prom")
        [ -n "$got" ] && [ "$got" = "$want" ] || { echo "$d: export '$got', SQL $want"; return 1; }
    done
    grep -q 'domain="uncore"' "$TMP/power.prom" && { echo "uncore exported though never measured"; return 1; }
    want=$(sqlite3 "$pdb" "select printf('%.6f', 1.0 * sum(gpu_busy_ns) / sum(gpu_covered_ns)) from sample")
    got=$(awk '$1 == "prochist_system_gpu_busy_ratio" { printf "%.6f", $2 }' "$TMP/power.prom")
    [ "$got" = "$want" ] || { echo "gpu busy: export '$got', SQL $want"; return 1; }
    want=$(sqlite3 "$pdb" "select printf('%.0f', 1e15 * sum(gpu_mcycles) / sum(gpu_covered_ns)) from sample")
    got=$(awk '$1 == "prochist_system_gpu_clock_hertz" { printf "%.0f", $2 }' "$TMP/power.prom")
    [ "$got" = "$want" ] || { echo "gpu clock: export '$got', SQL $want"; return 1; }
    echo "package $(awk '$1 ~ /domain="package"/ { print $2 }' "$TMP/power.prom") J, GPU clock $got Hz"
}
if out=$(sys_ok); then ok "prometheus: system energy per domain and GPU gauges equal SQL ($out)"
else fail "prometheus: system energy per domain and GPU gauges equal SQL" "$out"; fi
# The recorder's own CPU: the live recording's samples, summed.
want=$(sqlite3 "$db2" "select printf('%.6f', coalesce(sum(recorder_cpu_ns), 0) / 1e9) from sample")
got=$(awk '$1 == "prochist_recorder_cpu_seconds_total" { printf "%.6f", $2 }' "$TMP/top1.prom")
check "prometheus: recorder CPU seconds equal the samples' sum ($got s)" sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' sh "$got" "$want"
# Energy series exactly where the recording has energy (none on a machine
# without readable RAPL, as here; some where the recorder could read it).
rec_e=$(sqlite3 "$db2" "select count(*) from sample where energy_package_nj is not null or energy_psys_nj is not null")
exp_e=$(grep -c '^prochist_system_energy_joules_total' "$TMP/top1.prom")
if { [ "$rec_e" = 0 ] && [ "$exp_e" = 0 ]; } || { [ "$rec_e" != 0 ] && [ "$exp_e" != 0 ]; }; then
    ok "prometheus: energy series only where energy was recorded ($rec_e samples with energy, $exp_e series)"
else fail "prometheus: energy series only where energy was recorded" "$rec_e samples with energy, $exp_e series"; fi

# export --by unit|slice|container (the generated history's cgroups: units,
# slices, docker and kubepods containers): counters from table
# cgroup_total, counted as each minute is rolled up. Each unit's CPU and
# storage equal SQL over the minute tier by the process's unit, and the
# units together what `top --by unit` gives for those minutes; --top bounds
# the series, the rest summed into "other".
"$PROCHIST" export --db "$pdb" --by unit --top 10000 >"$TMP/unit.prom"
check "prometheus: export --by unit passes promtool check metrics" sh -c 'promtool check metrics <"$1"' sh "$TMP/unit.prom"
check "prometheus: export --by unit has no app series" sh -c '! grep -q "^prochist_app_" "$1"' sh "$TMP/unit.prom"
check "prometheus: export --by unit keeps the recorder's series" grep -q '^prochist_recorder_samples_total ' "$TMP/unit.prom"
by_unit_ok() {
    sqlite3 -separator ' ' "$pdb" "select ifnull(c.unit, '-'),
            printf('%.9f', sum(ifnull(m.cpu_user_ns, 0) + ifnull(m.cpu_system_ns, 0)) / 1e9),
            sum(ifnull(m.disk_read_bytes, 0)), sum(ifnull(m.disk_write_bytes, 0))
        from proc_minute m join process p using (proc) left join cgroup c on c.cgroup = p.cgroup
        group by 1 having sum(ifnull(m.cpu_user_ns, 0) + ifnull(m.cpu_system_ns, 0) + ifnull(m.disk_read_bytes, 0)
                              + ifnull(m.disk_write_bytes, 0)) > 0 order by 1" >"$TMP/unit.want"
    awk '/^prochist_unit_(cpu_seconds|disk_read_bytes|disk_written_bytes)_total\{/ {
            split($1, a, "unit=\""); u = substr(a[2], 1, length(a[2]) - 2)
            if ($1 ~ /cpu/) c[u] = $2; else if ($1 ~ /read/) r[u] = $2; else w[u] = $2
        } END { for (u in c) print u, c[u], r[u], w[u] }' "$TMP/unit.prom" | sort >"$TMP/unit.got"
    n=$(grep -c . "$TMP/unit.want")
    [ "$n" -gt 5 ] || { echo "only $n units in SQL"; return 1; }
    cmp -s "$TMP/unit.want" "$TMP/unit.got" || { diff "$TMP/unit.want" "$TMP/unit.got" | head -5; return 1; }
    echo "$n units"
}
if out=$(by_unit_ok); then ok "prometheus: export --by unit equals SQL over the minute tier per unit ($out)"
else fail "prometheus: export --by unit equals SQL over the minute tier per unit" "$out"; fi
# A minute rolled up again (rows written again, INSERT OR REPLACE) is not
# counted twice. The stored columns only: in a new database the metrics this
# platform has no source for are virtual (docs/schema.md), and SELECT * has them.
mcols=$(sqlite3 "$pdb" "select group_concat(name, ', ') from pragma_table_xinfo('proc_minute') where hidden = 0")
again=$(sqlite3 "$pdb" "insert or replace into proc_minute ($mcols) select $mcols from proc_minute
                where bucket_ns >= (select max(bucket_ns) - 600000000000 from proc_minute);
                select changes()" 2>&1)
check "prometheus: the last 10 minutes' rows are written again ($again)" test "$again" -gt 0 2>/dev/null
"$PROCHIST" export --db "$pdb" --by unit --top 10000 >"$TMP/unit.again.prom"
check "prometheus: minute rows written again leave export --by unit's series as they were" \
    sh -c '[ "$(grep "^prochist_unit_" "$1")" = "$(grep "^prochist_unit_" "$2")" ] && grep -q "^prochist_unit_" "$1"' \
    sh "$TMP/unit.prom" "$TMP/unit.again.prom"
w0=$(sqlite3 "$pdb" "select min(bucket_ns) / 1000000000 from sample_minute")
w1=$(sqlite3 "$pdb" "select max(bucket_ns) / 1000000000 + 60 from sample_minute")
top_cpu=$("$PROCHIST" top --db "$pdb" --since "@$w0" --until "@$w1" --by unit -n 100000 --format json |
    jq '[.rows[].cpu_s // 0] | add')
exp_cpu=$(awk '/^prochist_unit_cpu_seconds_total\{/ { s += $2 } END { printf "%.9f", s }' "$TMP/unit.prom")
check "prometheus: export --by unit's CPU comes to top --by unit's over the rolled-up minutes ($exp_cpu, $top_cpu)" \
    awk -v a="$exp_cpu" -v b="$top_cpu" 'BEGIN { d = a - b; exit !(a > 0 && d < 1e-6 && d > -1e-6) }'
"$PROCHIST" export --db "$pdb" --by unit --top 2 >"$TMP/unit2.prom"
n=$(grep -c '^prochist_unit_cpu_seconds_total{' "$TMP/unit2.prom")
other=$(awk '$1 == "prochist_unit_cpu_seconds_total{unit=\"other\"}" { print $2 }' "$TMP/unit2.prom")
rest=$(sort -k2 -g -r "$TMP/unit.got" | awk 'NR > 2 { s += $2 } END { printf "%.9f", s }')
check "prometheus: export --by unit --top 2 gives two units and 'other', the rest summed ($n series, other $other, rest $rest)" \
    awk -v n="$n" -v a="$other" -v b="$rest" 'BEGIN { d = a - b; exit !(n == 3 && b > 0 && d < 1e-6 && d > -1e-6) }'
for k in slice container; do
    "$PROCHIST" export --db "$pdb" --by $k >"$TMP/$k.prom"
    check "prometheus: export --by $k passes promtool check metrics" sh -c 'promtool check metrics <"$1"' sh "$TMP/$k.prom"
    got=$(awk -v k=$k '$1 ~ "^prochist_" k "_cpu_seconds_total\\{" { s += $2 } END { printf "%.6f", s }' "$TMP/$k.prom")
    want=$(awk '{ s += $2 } END { printf "%.6f", s }' "$TMP/unit.got")
    check "prometheus: export --by $k's CPU adds up to the units' ($got, $want)" [ "$got" = "$want" ]
done
# containers are labelled by their short id (12 characters)
check "prometheus: export --by container labels short ids" \
    sh -c 'grep -q "^prochist_container_cpu_seconds_total{container=\"[0-9a-f]\{12\}\"} " "$1" &&
           ! grep -q "container=\"[0-9a-f]\{13,\}\"" "$1"' sh "$TMP/container.prom"
# Labels escaped: systemd's own escapes (a '\x2d' in a unit name), and a
# hostile value put straight into the totals.
sqlite3 "$pdb" "insert into cgroup_total (dim, key, label, cpu_user_ns, first_ns, last_ns) values
                ('unit', 'systemd-fsck@dev-disk-by\\x2duuid-0a1b.service', 'systemd-fsck@dev-disk-by\\x2duuid-0a1b.service', 5e12, 0, 0),
                ('unit', 'q\"u' || char(10) || 'x', 'q\"u' || char(10) || 'x', 4e12, 0, 0)"
"$PROCHIST" export --db "$pdb" --by unit >"$TMP/unit3.prom"
check "prometheus: export --by unit with escapes in unit names passes promtool" sh -c 'promtool check metrics <"$1"' sh "$TMP/unit3.prom"
check "prometheus: a unit's backslash is escaped" \
    grep -q '^prochist_unit_cpu_seconds_total{unit="systemd-fsck@dev-disk-by\\\\x2duuid-0a1b.service"} 5000.000000000$' "$TMP/unit3.prom"
check "prometheus: a unit's quote and newline are escaped" \
    grep -q '^prochist_unit_cpu_seconds_total{unit="q\\"u\\nx"} 4000.000000000$' "$TMP/unit3.prom"
# Two container ids with the same short id: one series, their sum.
sqlite3 "$pdb" "insert into cgroup_total (dim, key, label, cpu_user_ns, first_ns, last_ns) values
                ('container', 'feedfacecafe' || printf('%052d', 1), 'feedfacecafe', 3e12, 0, 0),
                ('container', 'feedfacecafe' || printf('%052d', 2), 'feedfacecafe', 2e12, 0, 0)"
"$PROCHIST" export --db "$pdb" --by container >"$TMP/ct2.prom"
n=$(grep -c '^prochist_container_cpu_seconds_total{container="feedfacecafe"} 5000.000000000$' "$TMP/ct2.prom")
check "prometheus: container ids sharing a short id are one series, summed ($n)" [ "$n" = 1 ]
capture "$PROCHIST" export --db "$pdb" --by cgroup
check "prometheus: export --by cgroup (unbounded paths) is refused, one line, exit 2" \
    sh -c '[ "$1" -eq 2 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q "use app, unit, slice or container" "$2"' sh "$rc" "$TMP/err"
# A database from before schema 15 has no totals: no unit series, no error.
cp "$pdb" "$TMP/old16.db"
sqlite3 "$TMP/old16.db" "drop trigger proc_minute_total; drop trigger proc_minute_total_undo; drop table cgroup_total"
capture "$PROCHIST" export --db "$TMP/old16.db" --by unit
check "prometheus: export --by unit on a database without cgroup totals exits 0 without unit series" \
    sh -c '[ "$1" -eq 0 ] && ! grep -q "^prochist_unit_" "$2" && grep -q "^prochist_build_info" "$2"' sh "$rc" "$TMP/out"
