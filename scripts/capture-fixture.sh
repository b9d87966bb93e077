#!/bin/sh
# Capture a fixture tree of real /proc files for the parser and collector
# tests: for each PID, stat, status, io, schedstat, comm and the exe link
# (as a symlink to the same target); plus uptime, stat, loadavg and the
# boot id.
# Usage: scripts/capture-fixture.sh DEST [PID...]   (default PIDs: 1 2 $$)
# Files are read, never parsed here; unreadable ones are skipped and listed.
set -eu
dest=${1:?usage: capture-fixture.sh DEST [PID...]}
shift
[ $# -gt 0 ] || set -- 1 2 $$
mkdir -p "$dest/sys/kernel/random"
cat /proc/uptime > "$dest/uptime"
cat /proc/stat > "$dest/stat"
cat /proc/loadavg > "$dest/loadavg"
cat /proc/sys/kernel/random/boot_id > "$dest/sys/kernel/random/boot_id"
for pid in "$@"; do
    [ -d "/proc/$pid" ] || { echo "capture: no process $pid" >&2; continue; }
    mkdir -p "$dest/$pid"
    for f in stat status io schedstat comm; do
        cat "/proc/$pid/$f" > "$dest/$pid/$f" 2>/dev/null || {
            rm -f "$dest/$pid/$f"
            echo "capture: $pid/$f not readable" >&2
        }
    done
    if target=$(readlink "/proc/$pid/exe" 2>/dev/null); then
        ln -sfn "$target" "$dest/$pid/exe"
    fi
done
