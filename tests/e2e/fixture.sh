#!/bin/sh
# End to end on a fixture tree of real /proc files that changes between
# samples: three `record --count 1` runs (each resuming the previous run's
# state), then `top --format json` checked value by value.
. "$(dirname "$0")/../lib.sh"
need_linux fixture "a /proc fixture tree (--proc-root)"

proc="$TMP/proc"
db="$TMP/fx.db"
cp -R "$TESTS_DIR/fixtures/proc" "$proc"

# setf FILE FIELD VALUE: set a whitespace-separated field of a one-line file
# (the fixture comms have no spaces, so awk fields match man 5 proc numbers).
setf() { awk -v f="$2" -v v="$3" '{ $f = v; print }' "$1" >"$1.new" && mv "$1.new" "$1"; }
# setkv FILE KEY VALUE: set "Key:\tvalue" lines of status/io files.
setkv() { awk -v k="$2:" -v v="$3" '$1 == k { print k "\t" v; next } { print }' "$1" >"$1.new" && mv "$1.new" "$1"; }
uptime() { echo "$1 1000.00" >"$proc/uptime"; }
record() { "$PROCHIST" record --db "$db" --proc-root "$proc" --count 1 --quiet; }

uptime 700.00
record
check "fixture: first run records" [ $? -eq 0 ]
s1=$(sqlite3 "$db" "select count(*) from proc_sample where kind = 2")
check "fixture: first sight is a baseline for every process" [ "$s1" = "$(ls -d "$proc"/[0-9]* | wc -l)" ]

# Interval 1: bash (1186) runs 0.5 s user + 0.1 s system and does I/O; the
# sleep (3154) exits; a new process (4000) is born after the first sample.
b="$proc/1186"
setf "$b/stat" 14 54
setf "$b/stat" 15 16
setkv "$b/io" read_bytes 825340904
setkv "$b/io" write_bytes 11384784
setkv "$b/status" VmRSS "  8192 kB"
rm -rf "$proc/3154"
cp -R "$proc/3109" "$proc/4000"
setf "$proc/4000/stat" 1 4000
setf "$proc/4000/stat" 22 70300
setf "$proc/4000/stat" 14 20
setf "$proc/4000/stat" 15 5
echo worker >"$proc/4000/comm"
uptime 705.00
record
check "fixture: second run records" [ $? -eq 0 ]

# Interval 2: bash runs 0.1 s more; its RSS drops again.
setf "$b/stat" 14 64
setkv "$b/status" VmRSS "  4152 kB"
uptime 710.00
record

capture "$PROCHIST" top --db "$db" --by process --since 10m --format json --limit 100
check "fixture: top exits 0" [ "$rc" -eq 0 ]
j="$TMP/out"
val() { jq -r --argjson pid "$1" ".rows[] | select(.pid == \$pid) | .$2" "$j"; }
check "fixture: bash CPU = 0.5 + 0.1 + 0.1 s" [ "$(val 1186 cpu_s)" = 0.7 ]
check "fixture: bash disk read = 1000 B" [ "$(val 1186 disk_read_bytes)" = 1000 ]
check "fixture: bash disk write = 2000 B" [ "$(val 1186 disk_write_bytes)" = 2000 ]
check "fixture: bash peak memory = 8192 KiB" [ "$(val 1186 mem_peak_bytes)" = 8388608 ]
check "fixture: newborn charged from birth (0.25 s)" [ "$(val 4000 cpu_s)" = 0.25 ]
check "fixture: idle python has zero CPU, not its lifetime" [ "$(val 3109 cpu_s)" = 0 ]
check "fixture: kernel thread grouped under [kernel] app" [ "$(val 2 app)" = "[kernel]" ]
check "fixture: window metadata" [ "$(jq -r '.metric + "/" + .by' "$j")" = "cpu/process" ]
check "fixture: covered seconds = two 5 s intervals" [ "$(jq -r .covered_s "$j")" = 10 ]
gone=$(sqlite3 "$db" "select count(*) from process where pid = 3154 and gone_ns is not null")
check "fixture: the exited sleep is marked gone" [ "$gone" = 1 ]
kinds=$(sqlite3 "$db" "select group_concat(kind, '') from (select ps.kind from proc_sample ps join process p using (proc) where p.pid = 4000 order by sample)")
# born at the second run, then idle: a keyframe row (each run starts with one)
check "fixture: newborn rows are born, then keyframe" [ "$kinds" = 13 ]

capture "$PROCHIST" top --db "$db" --since 10m --format json
app=$(jq -r '.rows[0].name + " " + (.rows[0].cpu_s|tostring)' "$TMP/out")
check "fixture: by app, bash leads with 0.7 s" [ "$app" = "bash 0.7" ]
capture "$PROCHIST" top --db "$db" --since 10m --format csv --by process --mem --limit 2
check "fixture: csv header" [ "$(head -1 "$TMP/out")" = "name,pid,app,cpu_s,children_cpu_s,cpu_pct,mem_peak_bytes,disk_read_bytes,disk_write_bytes,energy_j,energy_est_j,wakeups" ]
check "fixture: csv sorted by memory" [ "$(sed -n 2p "$TMP/out" | cut -d, -f1,2)" = "python3,3109" ]

# A long gap (the machine slept 2 hours): the next sample's interval spans
# it, and what ran meanwhile lands in that one sample, not spread or lost.
setf "$b/stat" 14 74
uptime 7910.00
record
gap=$(sqlite3 "$db" "select interval_ns from sample order by sample desc limit 1")
check "fixture: a 2 h gap is one 2 h interval" [ "$gap" = 7200000000000 ]
last=$(sqlite3 "$db" "select ps.cpu_user_ns from proc_sample ps join process p using (proc) where p.pid = 1186 and ps.sample = (select max(sample) from sample)")
check "fixture: CPU across the gap is charged once, to the sample after it" [ "$last" = 100000000 ]

# Partial coverage is said: a table over samples that could not read every
# process in full carries a note; JSON has the count; full coverage has none.
capture "$PROCHIST" top --db "$db" --since 10m
check "fixture: full coverage gives no note" sh -c '! grep -q "coverage was partial" "$1"' sh "$TMP/err"
cp "$db" "$TMP/partial.db"
sqlite3 "$TMP/partial.db" "update sample set procs_denied = 3 where sample = (select min(sample) from sample)"
capture "$PROCHIST" top --db "$TMP/partial.db" --since 10m
check "fixture: partial coverage is noted under the table" grep -q "coverage was partial: up to 3 processes a sample" "$TMP/err"
capture "$PROCHIST" top --db "$TMP/partial.db" --since 10m --format json
check "fixture: partial coverage is counted in JSON" [ "$(jq .procs_denied "$TMP/out")" = 3 ]
