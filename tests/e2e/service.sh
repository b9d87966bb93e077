#!/bin/sh
# Service files, generated into a temporary root (nothing is started):
# a systemd user and system unit, a launchd agent and daemon. Checked for
# content, and by systemd-analyze / python's plistlib where available.
. "$(dirname "$0")/../lib.sh"

root="$TMP/root"
HOME="$TMP/home"
export HOME
unset XDG_CONFIG_HOME
capture "$PROCHIST" service install --root "$root" --flavor systemd
check "service: user unit written" [ "$rc" -eq 0 ]
unit="$root$HOME/.config/systemd/user/prochist.service"
check "service: user unit in ~/.config/systemd/user" [ -f "$unit" ]
check "service: unit runs the recorder" grep -q '^ExecStart=".*prochist" record --quiet --db ".*prochist.db"$' "$unit"
check "service: unit is idle on I/O, its CPU priority not lowered (samples on time under load)" \
    sh -c '! grep -q "^Nice=" "$1" && grep -q "^IOSchedulingClass=idle" "$1"' sh "$unit"
check "service: unit restarts the recorder" grep -q "^Restart=always" "$unit"
check "service: user unit wanted by default.target" grep -q "^WantedBy=default.target" "$unit"
capture "$PROCHIST" service install --system --root "$root" --flavor systemd --db /var/lib/prochist/p.db
sys="$root/etc/systemd/system/prochist.service"
check "service: system unit in /etc/systemd/system" [ -f "$sys" ]
check "service: system unit may read every process" grep -q "CAP_SYS_PTRACE" "$sys"
check "service: system unit may write only its database directory" grep -q '^ReadWritePaths="/var/lib/prochist"$' "$sys"
if command -v systemd-analyze >/dev/null 2>&1; then
    sed "s#^ExecStart=\"[^\"]*\"#ExecStart=\"$PROCHIST\"#" "$sys" >"$TMP/prochist.service"
    if systemd-analyze verify --man=no "$TMP/prochist.service" >"$TMP/verify" 2>&1; then ok "service: systemd-analyze verify"
    else fail "service: systemd-analyze verify" "$(head -3 "$TMP/verify")"; fi
else
    echo "# systemd-analyze not available: unit syntax not verified by systemd"
fi

capture "$PROCHIST" service install --root "$root" --flavor launchd --db "/Users/me/Library/Application Support/prochist/prochist.db"
plist="$root$HOME/Library/LaunchAgents/org.prochist.recorder.plist"
check "service: launchd agent in ~/Library/LaunchAgents" [ -f "$plist" ]
check "service: agent is kept alive, in the background" sh -c 'grep -q "<key>KeepAlive</key>" "$1" && grep -q "<string>Background</string>" "$1"' sh "$plist"
capture "$PROCHIST" service install --system --root "$root" --flavor launchd
check "service: launchd daemon in /Library/LaunchDaemons" [ -f "$root/Library/LaunchDaemons/org.prochist.recorder.plist" ]
if command -v python3 >/dev/null 2>&1; then
    args=$(python3 -c 'import plistlib,sys; p = plistlib.load(open(sys.argv[1], "rb")); print(p["Label"], p["ProgramArguments"][1], p["ProgramArguments"][4])' "$plist" 2>&1)
    check "service: plist is well formed and says what to run" [ "$args" = "org.prochist.recorder record /Users/me/Library/Application Support/prochist/prochist.db" ]
else
    check "service: plist is well formed XML" grep -q "</plist>" "$plist"
fi

capture "$PROCHIST" service status --root "$root" --flavor systemd
check "service: status finds the unit" [ "$rc" -eq 0 ]
capture "$PROCHIST" service uninstall --root "$root" --flavor systemd
check "service: uninstall removes the unit" [ ! -f "$unit" ]
capture "$PROCHIST" service status --root "$root" --flavor systemd
check "service: status after uninstall is 1" [ "$rc" -eq 1 ]
capture "$PROCHIST" service reboot
check "service: bad action is a usage error" [ "$rc" -eq 2 ]
capture "$PROCHIST" service install --root "$root" --db relative.db
check "service: a relative --db is refused" [ "$rc" -eq 1 ]

# PrivateTmp=yes gives the service a /tmp and /var/tmp of its own: a
# database there would be recorded where no query sees it. Refused, exit 2,
# in one line, before anything is written; PrivateTmp itself stays.
rt="$TMP/rtmp"
for db in /tmp/x/y.db /var/tmp/y.db /srv/../tmp/y.db; do
    capture "$PROCHIST" service install --root "$rt" --flavor systemd --db "$db"
    check "service: --db $db (PrivateTmp) is refused, exit 2, one line saying why" \
        sh -c '[ "$1" -eq 2 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -q "PrivateTmp=yes.*outside /tmp and /var/tmp" "$2"' \
        sh "$rc" "$TMP/err"
    check "service: ... and nothing is written for it" [ ! -e "$rt" ]
done
capture "$PROCHIST" service install --root "$rt" --flavor systemd --db /tmpfoo/y.db
check "service: a --db in /tmpfoo is not under /tmp" [ "$rc" -eq 0 ]
check "service: the unit keeps PrivateTmp=yes" grep -q '^PrivateTmp=yes$' "$rt$HOME/.config/systemd/user/prochist.service"
capture "$PROCHIST" service install --root "$rt" --flavor launchd --db /tmp/x/y.db
check "service: a launchd agent (no private /tmp) may record in /tmp" [ "$rc" -eq 0 ]
# Through a symlink outside /tmp that leads into it (without --root the
# path is resolved). A systemctl that fails stands in, should it be reached.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    real=$(mktemp -d /tmp/ph-e2e-real-XXXXXX)
    link=$(mktemp -u /dev/shm/ph-e2e-link-XXXXXX)
    ln -s "$real" "$link"
    mkdir "$TMP/stub"
    printf '#!/bin/sh\nexit 1\n' >"$TMP/stub/systemctl"
    chmod +x "$TMP/stub/systemctl"
    capture env PATH="$TMP/stub:$PATH" "$PROCHIST" service install --flavor systemd --db "$link/sub/y.db"
    rm -f "$link"
    check "service: a --db through a symlink into /tmp is refused, exit 2, naming where it leads" \
        sh -c '[ "$1" -eq 2 ] && [ "$(wc -l <"$2")" -eq 1 ] && grep -qF "(it resolves to $3/sub/y.db)" "$2"' \
        sh "$rc" "$TMP/err" "$(cd "$real" && pwd -P)"
    check "service: ... and nothing is written for it" [ -z "$(ls -A "$real")" -a ! -e "$HOME/.config/systemd" ]
    rm -rf "$real"
else
    skip "service: a --db through a symlink into /tmp" "no writable /dev/shm to put the symlink in"
fi
