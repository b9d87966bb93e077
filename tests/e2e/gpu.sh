#!/bin/sh
# Per-process GPU time from DRM fdinfo (a fixture /proc: these machines have
# no GPU). bash holds three fds on /dev/dri: two share one DRM client (a dup),
# which must count once; the third is a second client. Between two samples
# the engines run 1.5 s in all, which top --gpu must report.
. "$(dirname "$0")/../lib.sh"
need_linux gpu "DRM fdinfo in a /proc fixture tree"

proc="$TMP/proc"
db="$TMP/gpu.db"
cp -R "$TESTS_DIR/fixtures/proc" "$proc"
p="$proc/1186"
mkdir -p "$p/fd" "$p/fdinfo"
ln -s /dev/dri/renderD128 "$p/fd/3"
ln -s /dev/dri/renderD128 "$p/fd/4"
ln -s /dev/dri/card0 "$p/fd/5"
ln -s /dev/null "$p/fd/0"
printf 'pos:\t0\nflags:\t02\n' >"$p/fdinfo/0"
client() { # FD ID RENDER_NS VIDEO_NS
    printf 'pos:\t0\nflags:\t02100002\ndrm-driver:\ti915\ndrm-pdev:\t0000:00:02.0\n' >"$p/fdinfo/$1"
    printf 'drm-client-id:\t%s\ndrm-engine-render:\t%s ns\ndrm-engine-video:\t%s ns\n' "$2" "$3" "$4" >>"$p/fdinfo/$1"
    printf 'drm-engine-capacity-video:\t2\ndrm-resident-system0:\t4 MiB\n' >>"$p/fdinfo/$1"
}
client 3 7 1000000000 0
client 4 7 1000000000 0
client 5 9 200000000 0
setf() { awk -v f="$2" -v v="$3" '{ $f = v; print }' "$1" >"$1.new" && mv "$1.new" "$1"; }
record() { "$PROCHIST" record --db "$db" --proc-root "$proc" --sys-root "$TMP/nosys" --count 1 --quiet; }

echo "700.00 1000.00" >"$proc/uptime"
record
check "gpu: first run records" [ $? -eq 0 ]

# 5 s later: client 7 ran render +1 s and video +0.25 s, client 9 +0.25 s.
client 3 7 2000000000 250000000
client 4 7 2000000000 250000000
client 5 9 450000000 0
setf "$p/stat" 14 54 # bash used CPU, so it is read in full
echo "705.00 1000.00" >"$proc/uptime"
record

check "gpu: the delta is 1.5 s, the dup counted once" \
    [ "$(sqlite3 "$db" "select sum(gpu_s) * 1000 from v_proc_sample where pid = 1186")" = 1500.0 ]
check "gpu: processes without DRM fds have NULL, not 0" \
    [ "$(sqlite3 "$db" "select count(*) from v_proc_sample where pid != 1186 and gpu_s is not null")" = 0 ]

capture "$PROCHIST" top --db "$db" --gpu --by process --since 10m --format json
check "gpu: top --gpu puts bash first" [ "$(jq -r '.rows[0].pid' "$TMP/out")" = 1186 ]
check "gpu: top --gpu reports 1.5 s" [ "$(jq -r '.rows[0].gpu_s' "$TMP/out")" = 1.5 ]
# no system busy % on this machine: GPU % is engine time over the window's wall time
pct=$(jq -r '(.rows[0].gpu_s / .covered_s * 100) - .rows[0].gpu_pct | fabs < 1e-9' "$TMP/out")
check "gpu: GPU % is engine time / wall without a system busy %" [ "$pct" = true ]
check "gpu: the JSON says how GPU % was made" [ "$(jq -r .gpu_pct_is "$TMP/out")" = "GPU engine time / wall time" ]
capture "$PROCHIST" top --db "$db" --gpu --since 10m
check "gpu: the table has a GPU column" grep -q "GPU" "$TMP/out"
check "gpu: the table has a GPU% column" grep -q "GPU%" "$TMP/out"
capture "$PROCHIST" top --db "$db" --sort gpu --by process --since 10m --format csv
check "gpu: --sort gpu works in CSV" grep -q "gpu_s" "$TMP/out"
capture "$PROCHIST" export --db "$db"
gs=$(sed -n 's/^prochist_app_gpu_seconds_total{app="bash"} //p' "$TMP/out")
check "gpu: export carries bash's GPU seconds (${gs:-none} of 1.5)" awk -v g="${gs:-x}" 'BEGIN { exit !(g == 1.5) }'

# The clients are closed and new ones opened: the sum goes backwards, which
# must give no negative delta (a new baseline).
client 3 11 100000000 0
client 4 11 100000000 0
client 5 12 0 0
setf "$p/stat" 14 60
echo "707.00 1000.00" >"$proc/uptime"
record
check "gpu: a counter that goes backwards gives no negative delta" \
    [ "$(sqlite3 "$db" "select count(*) from v_proc_sample where gpu_s < 0")" = 0 ]

# bash exits between samples (its /proc directory is gone mid-scan): the
# sample is still written, and the GPU time already recorded stays.
rm -rf "$p"
echo "710.00 1000.00" >"$proc/uptime"
record
check "gpu: a GPU process that exits does not fail the sample" [ $? -eq 0 ]
check "gpu: its recorded GPU time stays 1.5 s" \
    [ "$(sqlite3 "$db" "select sum(gpu_s) * 1000 from v_proc_sample where pid = 1186")" = 1500.0 ]
check "gpu: its exit is recorded" \
    [ "$(sqlite3 "$db" "select gone_utc is not null from v_process where pid = 1186")" = 1 ]

# With a system busy % (an amdgpu card at 60%), a process's GPU % is its
# share of all processes' GPU time times that busy %: bash has all of it.
proc="$TMP/proc2"
cp -R "$TESTS_DIR/fixtures/proc" "$proc"
p="$proc/1186"
mkdir -p "$p/fd" "$p/fdinfo" "$TMP/gsys/class/drm/card0/device"
ln -s /dev/dri/renderD128 "$p/fd/3"
echo 60 >"$TMP/gsys/class/drm/card0/device/gpu_busy_percent"
db="$TMP/gpu2.db"
record2() { "$PROCHIST" record --db "$db" --proc-root "$proc" --sys-root "$TMP/gsys" --count 1 --quiet; }
client 3 7 1000000000 0
echo "700.00 1000.00" >"$proc/uptime"
record2
client 3 7 2000000000 0
setf "$p/stat" 14 54
echo "705.00 1000.00" >"$proc/uptime"
record2
capture "$PROCHIST" top --db "$db" --gpu --by process --since 10m --format json
check "gpu: with a system busy %, GPU % is the share of it ($(jq -c '[.gpu_busy_pct, .rows[0].gpu_pct]' "$TMP/out"))" \
    [ "$(jq -c '[.gpu_busy_pct, .rows[0].gpu_pct]' "$TMP/out")" = "[60,60]" ]
