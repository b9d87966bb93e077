#!/bin/sh
# What a hostile local user or an unlucky operator tried (issue 14): planted
# symlinks at the textfile and under a service --root, unit-line injection,
# terminal escapes in process names, sloppy numbers, the coverage note's
# reason. Each check fails on the code before the fix.
. "$(dirname "$0")/../lib.sh"

one_line() { [ "$(wc -l <"$TMP/err")" -eq 1 ]; }
# usage_error NAME COMMAND...: exit 2 with one line on stderr (at most 300 s, for a loaded machine:
# a command wrongly accepted must not record forever).
usage_error() {
    _name=$1; shift
    timeout 300 "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" -eq 2 ] && one_line; then ok "$_name"
    else fail "$_name" "exit $rc, stderr: $(head -c 300 "$TMP/err")"; fi
}

# --- 1. The textfile: a planted symlink at the temp name is not followed.
tf="$TMP/tf"
mkdir -m 0755 "$tf"
victim="$TMP/victim"
echo precious >"$victim"
chmod 0600 "$victim"
# exec keeps the pid, so the link sits at .prochist.prom.<recorder pid>, the
# name the recorder used to open with fopen(..., "w").
sh -c 'ln -s "$1" "$2/.prochist.prom.$$" && exec "$3" record --db "$4" --interval 0.05 --count 3 --quiet \
    --textfile-dir "$2" --textfile-every 0.01' sh "$victim" "$tf" "$PROCHIST" "$TMP/tf.db" 2>"$TMP/err"
check "security: textfile written beside a planted symlink" grep -q '^prochist_recorder_samples_total ' "$tf/prochist.prom"
check "security: the symlink's target is not overwritten" [ "$(cat "$victim")" = precious ]
check "security: the symlink's target keeps its mode" [ "$(stat -c %a "$victim")" = 600 ]
check "security: textfile is 0644" [ "$(stat -c %a "$tf/prochist.prom")" = 644 ]

ln -s "$tf" "$TMP/tflink"
capture timeout 300 "$PROCHIST" record --db "$TMP/tf2.db" --interval 0.05 --count 2 --quiet --textfile-dir "$TMP/tflink"
check "security: a symlinked --textfile-dir is refused in one line" sh -c '[ "$1" -eq 1 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q symlink "$2"' sh "$rc" "$TMP/err"
mkdir -m 0777 "$TMP/tfopen"
chmod 0777 "$TMP/tfopen"
capture timeout 300 "$PROCHIST" record --db "$TMP/tf3.db" --interval 0.05 --count 2 --quiet --textfile-dir "$TMP/tfopen"
check "security: a --textfile-dir others may write is refused in one line" sh -c '[ "$1" -eq 1 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q "writable by other users" "$2"' sh "$rc" "$TMP/err"
chmod 1777 "$TMP/tfopen"
capture timeout 300 "$PROCHIST" record --db "$TMP/tf4.db" --interval 0.05 --count 2 --quiet --textfile-dir "$TMP/tfopen" --textfile-every 0.01
check "security: a sticky --textfile-dir of our own is used" sh -c '[ "$1" -eq 0 ] && [ -f "$2/prochist.prom" ]' sh "$rc" "$TMP/tfopen"
# Group-writable: the group's other members may replace the file too.
mkdir -m 0775 "$TMP/tfgroup"
for g in users nogroup daemon; do # a group shared with other users (not the owner's own)
    getent group "$g" >/dev/null && [ "$(getent group "$g" | cut -d: -f3)" != "$(id -g)" ] &&
        chgrp "$g" "$TMP/tfgroup" 2>/dev/null && break
done
chmod 0775 "$TMP/tfgroup"
capture timeout 300 "$PROCHIST" record --db "$TMP/tf5.db" --interval 0.05 --count 2 --quiet --textfile-dir "$TMP/tfgroup"
check "security: a group-writable --textfile-dir is refused in one line saying chmod g-w" sh -c '[ "$1" -eq 1 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q "writable by other users (its group; mode 775).*chmod g-w" "$2"' sh "$rc" "$TMP/err"
check "security: ... and nothing is written there" [ -z "$(ls -A "$TMP/tfgroup")" ]

# --- 2. Control characters in unit and plist values.
root="$TMP/root"
HOME="$TMP/home"
export HOME
unset XDG_CONFIG_HOME
nl='
'
usage_error "security: --db with a newline is refused for a unit" \
    "$PROCHIST" service install --root "$root" --flavor systemd --db "/x/p.db${nl}ExecStart=/bin/sh -c evil"
check "security: no unit was written for it" [ ! -e "$root$HOME/.config/systemd/user/prochist.service" ]
usage_error "security: --db with ESC is refused for a plist" \
    "$PROCHIST" service install --root "$root" --flavor launchd --db "/x/$(printf '\033')p.db"
capture "$PROCHIST" service install --root "$root" --flavor launchd --db '/x/a&b<c>"d.db'
plist="$root$HOME/Library/LaunchAgents/org.prochist.recorder.plist"
if command -v python3 >/dev/null 2>&1; then
    got=$(python3 -c 'import plistlib,sys; print(plistlib.load(open(sys.argv[1], "rb"))["ProgramArguments"][4])' "$plist" 2>&1)
    check "security: plist XML-escapes & < > \"" [ "$got" = '/x/a&b<c>"d.db' ]
else
    check "security: plist XML-escapes & < >" grep -q '/x/a&amp;b&lt;c&gt;&quot;d.db' "$plist"
fi

# --- 3. --root: paths resolve within the root as in a chroot (install and
# uninstall); a symlink never leads out of it.
out="$TMP/outside"
mkdir -p "$out/systemd/system" "$TMP/r3" "$TMP/r4"
echo keep >"$out/systemd/system/prochist.service"
ln -s "$out" "$TMP/r3/etc"                      # absolute: means r3$out
capture "$PROCHIST" service install --system --root "$TMP/r3" --flavor systemd
check "security: install through an absolute symlink under --root succeeds" [ "$rc" -eq 0 ]
check "security: ... and writes inside the root" [ -f "$TMP/r3$out/systemd/system/prochist.service" ]
check "security: ... not outside it" [ "$(cat "$out/systemd/system/prochist.service")" = keep ]
ln -s ../../../../../../../../../../.."$out" "$TMP/r4/etc"  # relative, climbing: stops at the root
capture "$PROCHIST" service install --system --root "$TMP/r4" --flavor systemd
check "security: a climbing relative symlink stays in the root" sh -c '[ "$1" -eq 0 ] && [ -f "$2$3/systemd/system/prochist.service" ] && [ "$(cat "$3/systemd/system/prochist.service")" = keep ]' sh "$rc" "$TMP/r4" "$out"
capture "$PROCHIST" service uninstall --system --root "$TMP/r3" --flavor systemd
check "security: uninstall removes inside the root" sh -c '[ "$1" -eq 0 ] && [ ! -e "$2$3/systemd/system/prochist.service" ]' sh "$rc" "$TMP/r3" "$out"
check "security: nothing removed outside the root" [ "$(cat "$out/systemd/system/prochist.service")" = keep ]
ln -s "$TMP/r3/loop" "$TMP/r3/loop" 2>/dev/null
ln -sfn /loop "$TMP/r3/loop"
capture "$PROCHIST" service install --root "$TMP/r3" --flavor systemd --db /loop/p.db
check "security: a symlink loop under --root is refused in one line" sh -c '[ "$1" -eq 1 ] && [ "$(wc -l <"$2")" -eq 1 ]' sh "$rc" "$TMP/err"

# --- 15. The system unit: taskstats' capability, a directory that exists.
capture "$PROCHIST" service install --system --root "$root" --flavor systemd
sys="$root/etc/systemd/system/prochist.service"
check "security: system unit keeps CAP_NET_ADMIN (taskstats)" grep -q '^CapabilityBoundingSet=.*CAP_NET_ADMIN' "$sys"
check "security: default system unit uses StateDirectory=prochist" sh -c 'grep -q "^StateDirectory=prochist$" "$1" && grep -q "^StateDirectoryMode=0700$" "$1" && ! grep -q "^ReadWritePaths=" "$1"' sh "$sys"
verify() {
    sed "s#^ExecStart=\"[^\"]*\"#ExecStart=\"$PROCHIST\"#" "$1" >"$TMP/v/prochist.service"
    systemd-analyze verify --man=no "$TMP/v/prochist.service" >"$TMP/verify" 2>&1
}
mkdir -p "$TMP/v"
if command -v systemd-analyze >/dev/null 2>&1; then
    if verify "$sys"; then ok "security: systemd-analyze verify (StateDirectory unit)"
    else fail "security: systemd-analyze verify (StateDirectory unit)" "$(head -3 "$TMP/verify")"; fi
else
    echo "# systemd-analyze not available: unit syntax not verified by systemd"
fi
capture "$PROCHIST" service install --system --root "$root" --flavor systemd --db /srv/phdb/p.db
check "security: a custom database directory is created 0700" [ "$(stat -c %a "$root/srv/phdb")" = 700 ]
check "security: its unit may write it" grep -q '^ReadWritePaths="/srv/phdb"$' "$sys"

# --- 16. The binary as invoked, through a Homebrew-style symlink.
mkdir -p "$TMP/brew/Cellar/prochist/1.2/bin" "$TMP/brew/bin"
cp "$PROCHIST" "$TMP/brew/Cellar/prochist/1.2/bin/prochist"
ln -s ../Cellar/prochist/1.2/bin/prochist "$TMP/brew/bin/prochist"
capture "$TMP/brew/bin/prochist" service install --root "$root" --flavor systemd
unit="$root$HOME/.config/systemd/user/prochist.service"
check "security: unit names the stable symlink, not the Cellar path" grep -q "^ExecStart=\"$TMP/brew/bin/prochist\" " "$unit"
capture env PATH="$TMP/brew/bin:$PATH" prochist service install --root "$root" --flavor launchd
check "security: plist names the symlink found through PATH" grep -q "<string>$TMP/brew/bin/prochist</string>" "$plist"
capture sh -c 'cd "$1" && ./bin/prochist service install --root "$2" --flavor systemd' sh "$TMP/brew" "$root"
check "security: a relative invocation becomes absolute, symlink kept" grep -q "^ExecStart=\"$TMP/brew/bin/prochist\" " "$unit"

# --- 4. Terminal escapes in a process name: ESC and U+009B (C1 CSI).
esc=$(printf '\033')
c1=$(printf '\302\233')
hname="e${esc}[7m${c1}1k$$"
cp "$HELPERS/spin" "$TMP/$hname"
db="$TMP/esc.db"
"$PROCHIST" record --db "$db" --interval 0.1 --quiet &
rec=$!
wait_samples "$db" 1
"$TMP/$hname" 300 &
hp=$!
wait $hp
n0=$(sqlite3 "$db" 'select count(*) from sample')
wait_samples "$db" $((n0 + 2))
kill $rec
wait $rec
check "security: the hostile name was recorded" [ "$(sqlite3 "$db" "select count(*) from process where pid = $hp")" -ge 1 ]
noctl() { ! LC_ALL=C grep -q "$(printf '[\033\233]')" "$1"; }
"$PROCHIST" top --db "$db" --by process --since 10m -n 100000 >"$TMP/t.table" 2>/dev/null
check "security: table shows no ESC or C1 byte" noctl "$TMP/t.table"
check "security: table shows the name, controls as ?" grep -q "e?\[7m?1k$$" "$TMP/t.table"
"$PROCHIST" top --db "$db" --by process --since 10m -n 100000 --format csv >"$TMP/t.csv" 2>/dev/null
check "security: CSV has no ESC or C1 byte" noctl "$TMP/t.csv"
check "security: CSV keeps the row" grep -q "^e?\[7m?1k$$," "$TMP/t.csv"
"$PROCHIST" export --db "$db" >"$TMP/t.prom" 2>/dev/null
check "security: export has no ESC or C1 byte" noctl "$TMP/t.prom"
if command -v promtool >/dev/null 2>&1; then
    check "security: export with the hostile name passes promtool" sh -c 'promtool check metrics <"$1"' sh "$TMP/t.prom"
fi
"$PROCHIST" top --db "$db" --by process --since 10m -n 100000 --format json >"$TMP/t.json" 2>/dev/null
got=$(jq -r --argjson p "$hp" '.rows[] | select(.pid == $p) | .name' "$TMP/t.json")
check "security: JSON stays valid and keeps the name exactly" [ "$got" = "$(printf '%.15s' "$hname")" ]

# --- 4b. Control and bidi bytes in what a user typed, quoted in an error:
# every message line escapes them (src/util/util.c), whichever command.
# ESC [2J would clear the screen, U+009B is a one-byte CSI, RLO turns the
# rest of the line around, a newline would make two lines of one.
bad="$TMP/x${esc}[2J${c1}y$(printf '\342\200\256')z
w.db"
for cmd in top "show x" status; do
    capture "$PROCHIST" $cmd --db "$bad"
    check "security: $cmd --db PATH with ESC, C1, RLO and a newline: one line, exit non-zero" \
        sh -c '[ "$1" -ne 0 ] && [ "$(wc -l <"$2")" -eq 1 ]' sh "$rc" "$TMP/err"
    check "security: ... no ESC, C1 or RLO byte in it" sh -c '! LC_ALL=C grep -q "$(printf "[\033\233\256]")" "$1"' sh "$TMP/err"
    check "security: ... the path shown with them escaped" \
        grep -qF "$TMP/x\\x1b[2J\\u009by\\u202ez\\x0aw.db" "$TMP/err"
done

# The JSON note quotes the --db path too: a byte that is not UTF-8 in it
# must not make the document invalid.
ndb="$TMP/n$(printf '\377')x.db"
cp "$db" "$ndb"
"$PROCHIST" top --db "$ndb" --since 2000-01-01 --until 2000-01-02 --format json >"$TMP/n.json" 2>/dev/null
check "security: a JSON note quoting a --db path with 0xff is valid UTF-8" \
    sh -c 'grep -q "\"note\"" "$1" && iconv -f UTF-8 -t UTF-8 "$1" >/dev/null' sh "$TMP/n.json"

# --- 11. Strict numbers and options: exit 2, one line.
r="$TMP/num.db"
usage_error "security: --interval 0x10 is refused" "$PROCHIST" record --db "$r" --count 1 --interval 0x10
usage_error "security: --interval 0x1p-5 is refused" "$PROCHIST" record --db "$r" --count 1 --interval 0x1p-5
usage_error "security: --interval ' 5' is refused" "$PROCHIST" record --db "$r" --count 1 --interval " 5"
usage_error "security: --interval 1e1 is refused" "$PROCHIST" record --db "$r" --count 1 --interval 1e1
usage_error "security: --count beyond what it holds is refused" "$PROCHIST" record --db "$r" --interval 0.05 --count 99999999999999999999
usage_error "security: --count ' 1' is refused" "$PROCHIST" record --db "$r" --interval 0.05 --count " 1"
usage_error "security: --retain raw=1d,raw=2d is refused" "$PROCHIST" record --db "$r" --count 1 --retain raw=1d,raw=2d
usage_error "security: --retain , is refused" "$PROCHIST" record --db "$r" --count 1 --retain ,
usage_error "security: --max-db-size 0x10 is refused" "$PROCHIST" record --db "$r" --count 1 --max-db-size 0x10M
usage_error "security: --max-db-size ' 5M' is refused" "$PROCHIST" record --db "$r" --count 1 --max-db-size " 5M"
usage_error "security: top --cpu --mem is refused" "$PROCHIST" top --db "$db" --cpu --mem
usage_error "security: top --mem --sort cpu is refused" "$PROCHIST" top --db "$db" --mem --sort cpu
usage_error "security: top -n ' 5' is refused" "$PROCHIST" top --db "$db" -n " 5"
usage_error "security: export --top 0x10 is refused" "$PROCHIST" export --db "$db" --top 0x10
capture "$PROCHIST" top --db "$db" --mem --mem --since 10m
check "security: one metric given twice is fine" [ "$rc" -eq 0 ]

# --- 14. The coverage note says the true reason.
pdb="$TMP/priv.db"
"$PROCHIST" record --db "$pdb" --interval 0.05 --count 2 --quiet
if [ "$(id -u)" = 0 ] && grep -q '^CapEff:.*[1-9a-f]' /proc/self/status; then
    check "security: a root recorder records that it was privileged" [ "$(sqlite3 "$pdb" "select value from meta where key = 'recorder_privileged'")" = 1 ]
    sqlite3 "$pdb" 'update sample set procs_denied = 3'
    capture "$PROCHIST" top --db "$pdb" --since 10m
    check "security: under a root recorder the note does not blame privilege" sh -c '! grep -q "unprivileged" "$1" && grep -q "even to root" "$1"' sh "$TMP/err"
    if command -v setpriv >/dev/null 2>&1; then
        udb="$TMP/unpriv.db"
        setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace "$PROCHIST" record --db "$udb" --interval 0.05 --count 2 --quiet
        check "security: a recorder without CAP_SYS_PTRACE records that it was not privileged" [ "$(sqlite3 "$udb" "select value from meta where key = 'recorder_privileged'")" = 0 ]
        sqlite3 "$udb" 'update sample set procs_denied = 3'
        capture "$PROCHIST" top --db "$udb" --since 10m
        check "security: under an unprivileged recorder the note says so" grep -q "recorder was unprivileged" "$TMP/err"
    fi
else
    check "security: an unprivileged recorder records it" [ "$(sqlite3 "$pdb" "select value from meta where key = 'recorder_privileged'")" = 0 ]
fi
