#!/bin/sh
# The Grafana dashboard (docs/grafana/prochist.json) against real series:
# the recorder writes node_exporter's textfile (record --textfile-dir),
# node_exporter serves it, Prometheus scrapes it on loopback; every panel's
# PromQL, with Grafana's variables put in ($__rate_interval -> 30s,
# $instance -> .*), must return data. This machine has no RAPL and no GPU,
# so the recorder reads a fixture /sys (--sys-root): RAPL package, core and
# dram counters that a loop here advances (10, 6 and 2 W), and an amdgpu
# card at 40% busy, 1200 MHz. The power and energy panels must then return
# values above zero, read by the real recorder and exporter.
. "$(dirname "$0")/../lib.sh"
need_linux grafana "the recorder reads /proc and a fixture /sys"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need prometheus || ! need prometheus-node-exporter || ! need curl || ! need jq; then
    if [ "$(id -u)" = 0 ] && need apt-get; then
        echo "# installing prometheus, prometheus-node-exporter, curl and jq (Debian packages)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-node-exporter curl jq >/dev/null 2>&1
    fi
fi
if ! need prometheus || ! need prometheus-node-exporter || ! need curl || ! need jq; then
    skip grafana "prometheus, prometheus-node-exporter, curl or jq could not be installed"
    exit 0
fi
dash="$TESTS_DIR/../docs/grafana/prochist.json"

# The dashboard imports anywhere: valid JSON, the data source an input
# (${DS_PROMETHEUS}) used by every panel and query, the panels the issue
# names.
check "grafana: the dashboard is valid JSON with a DS_PROMETHEUS input" \
    sh -c 'jq -e "[.__inputs[] | select(.name == \"DS_PROMETHEUS\" and .type == \"datasource\")] | length == 1" "$1" >/dev/null' sh "$dash"
check "grafana: every panel and query uses \${DS_PROMETHEUS}" \
    sh -c 'jq -e "[.panels[] | .datasource.uid, .targets[].datasource.uid] | all(. == \"\${DS_PROMETHEUS}\")" "$1" >/dev/null' sh "$dash"
for t in "Top apps by CPU" "Top apps by energy" "Top apps by memory" "Top apps by disk" "System power"; do
    check "grafana: a panel '$t'" sh -c 'jq -e --arg t "$2" "[.panels[].title] | index(\$t) != null" "$1" >/dev/null' sh "$dash" "$t"
done

# A fixture /sys: RAPL zones and an amdgpu card (as tests/e2e/power.sh).
sys="$TMP/sys"
pc="$sys/class/powercap"
zone() { # DIR NAME
    mkdir -p "$pc/$1"
    echo "$2" >"$pc/$1/name"
    echo 1000000 >"$pc/$1/energy_uj"
    echo 262143328850 >"$pc/$1/max_energy_range_uj"
}
zone intel-rapl:0 package-0
zone intel-rapl:0:0 core
zone intel-rapl:0:1 dram
hw="$sys/class/drm/card0/device/hwmon/hwmon2"
mkdir -p "$hw"
echo 40 >"$sys/class/drm/card0/device/gpu_busy_percent"
echo amdgpu >"$hw/name"
echo 15000000 >"$hw/power1_average"
echo 1200000000 >"$hw/freq1_input"
echo sclk >"$hw/freq1_label"
# The counters advance with the wall clock: 10, 6 and 2 W.
feed() {
    t0=$(date +%s.%N)
    while :; do
        now=$(date +%s.%N)
        for z in "intel-rapl:0 10" "intel-rapl:0:0 6" "intel-rapl:0:1 2"; do
            set -- $z
            awk -v a="$t0" -v b="$now" -v w="$2" 'BEGIN { printf "%.0f\n", 1000000 + (b - a) * w * 1000000 }' \
                >"$pc/$1/energy_uj.new" && mv "$pc/$1/energy_uj.new" "$pc/$1/energy_uj"
        done
        sleep 0.2
    done
}

tf="$TMP/textfile"
mkdir -p "$tf"
db="$TMP/grafana.db"
np=$((30000 + $$ % 10000))
pp=$((np + 1))
PIDS=""
cleanup_servers() { [ -n "$PIDS" ] && kill $PIDS 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup_servers EXIT
trap "cleanup_servers; exit 1" INT TERM HUP PIPE

feed &
PIDS="$PIDS $!"
"$PROCHIST" record --db "$db" --interval 0.5 --sys-root "$sys" --textfile-dir "$tf" --textfile-every 0.5 --quiet &
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

until_ok() {
    _n=$(($1 * 10)); shift
    while ! "$@" >/dev/null 2>&1; do
        _n=$((_n - 1))
        [ $_n -le 0 ] && return 1
        sleep 0.1
    done
}
# result EXPR: the query's result vector as JSON lines {metric, value}, or
# "error: ..." when Prometheus refuses it.
result() {
    curl -s "http://127.0.0.1:$pp/api/v1/query" --data-urlencode "query=$1" --data-urlencode "time=$(date +%s.%N)" |
        jq -c 'if .status == "success" then .data.result[] | {metric, v: .value[1]} else "error: \(.error)" end'
}
has_data() { result "$1" | grep -q '"v"'; }
positive() { result "$1" | jq -e 'select(type == "object") | (.v | tonumber) > 0' | grep -q true; }
ready() { has_data 'prochist_recorder_samples_total'; }
until_ok 60 ready || fail "grafana: node_exporter scraped" "no prochist series after 60 s; $(tail -2 "$TMP/prom.log")"

# Every panel's every expr, Grafana's variables put in.
jq -r '.panels[] | .title as $t | .targets[] | "\($t)\t\(.expr)"' "$dash" >"$TMP/exprs"
n=0
while IFS="$(printf '\t')" read -r title expr; do
    n=$((n + 1))
    q=$(printf '%s' "$expr" | sed -e 's/\$__rate_interval/30s/g' -e 's/\${instance}/.*/g' -e 's/\$instance/.*/g')
    case $q in *'$'*)
        fail "grafana: '$title' query $n has only known variables" "$q"
        continue ;;
    esac
    case $title in # the power and energy panels must show the fixture's watts, not zeros
    *power* | *energy*) cond=positive ;;
    *) cond=has_data ;;
    esac
    if until_ok 60 $cond "$q"; then
        ok "grafana: '$title' query $n returns data ($(result "$q" | head -1 | jq -r '"\(.metric | del(.job) | tostring) \(.v)"' | cut -c1-90))"
    else
        fail "grafana: '$title' query $n returns data" "$q -> $(result "$q" | head -2)"
    fi
done <"$TMP/exprs"
check "grafana: every panel's queries were run ($n)" [ "$n" -ge 10 ]

# System power: the package at the fixture's 10 W, through the real
# recorder, exporter and Prometheus. The fixture's counters move in steps
# of the feeding loop (slower on a loaded machine), so the rate is read over
# 60 s, and polled: once 60 s of the series are scraped it comes within 5%.
pkg_near() {
    pkg=$(result 'rate(prochist_system_energy_joules_total{domain="package"}[60s])' | jq -r '.v' | head -1)
    [ -n "$pkg" ] && within "$pkg" 10 5
}
if until_ok 120 pkg_near; then ok "grafana: system power of the package is the fixture's 10 W within 5% ($pkg W)"
else fail "grafana: system power of the package is the fixture's 10 W within 5%" "got '$pkg'"; fi
