#!/usr/bin/env bash
# Measures what the resident sluice process costs while idle, side by side
# in one run with a bare Fyne app holding a hidden window (the cost the
# desktop-shell design avoids by keeping Fyne out of the resident process).
#
# Both run under Xvfb for the same window of time. Sluice runs as the
# desktop app (tray via fyne.io/systray, registered with a fake
# StatusNotifierWatcher on a private session bus; notifications; the local
# inbox's HTTP endpoint on; two IMAP accounts connected over TLS to a real
# Dovecot on 127.0.0.1, idling in IDLE). Reported per process, over the
# window: resident memory (VmRSS, start and end), CPU ticks (utime+stime
# from /proc/PID/stat, USER_HZ), and context switches summed over all
# threads (voluntary + involuntary, /proc/PID/task/*/status) per second,
# which counts wake-ups.
#
# Usage: packaging/measure/idle.sh [SECONDS]   (default 60; WARMUP=15;
#        MODE=daemon measures `sluice daemon`, the headless process, instead)
# Needs: go, Xvfb (xvfb), dbus-daemon (dbus), dovecot (dovecot-imapd),
# Fyne's C build deps (see .ci/test.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

WINDOW=${1:-60}
WARMUP=${WARMUP:-15}

need() {
  command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || { echo "idle.sh: $1 not found; install the Debian package $2" >&2; exit 1; }
}
need Xvfb xvfb
need dbus-daemon dbus
need /usr/sbin/dovecot dovecot-imapd

work=$(mktemp -d /tmp/sluice-measure.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building sluice, the bare Fyne app and the measuring environment"
go build -o "$work/sluice" ./cmd/sluice
go build -tags barefyne -o "$work/barefyne" ./packaging/measure/barefyne
go build -tags measure -o "$work/env" ./packaging/measure/env

# A display and a private session bus with no service activation.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
export DISPLAY=":$(head -1 "$work/display")"
cat >"$work/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$work</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$work/bus.conf" --nofork --print-address=1 >"$work/bus" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/bus" ] && break; sleep 0.1; done
export DBUS_SESSION_BUS_ADDRESS=$(head -1 "$work/bus")
export LANG=en_US.UTF-8

# Dovecot with alice and bob, and a fake tray watcher.
"$work/env" >"$work/env.out" 2>"$work/env.err" &
pids+=($!)
for _ in $(seq 300); do grep -q '^READY=1' "$work/env.out" 2>/dev/null && break; sleep 0.1; done
grep -q "^READY=1" "$work/env.out" || { echo "the measuring environment did not start:" >&2; cat "$work/env.out" "$work/env.err" >&2; exit 1; }
# shellcheck disable=SC1091
. "$work/env.out"

export SLUICE_CONFIG="$work/config.toml" SLUICE_DATA="$work/data" XDG_STATE_HOME="$work/state"
cat >"$SLUICE_CONFIG" <<EOF
version = 1
[schedule]
template = "twice-a-day"
[local]
http = true
listen = "127.0.0.1:0"
[[accounts]]
name = "Alice mail"
kind = "imap"
host = "127.0.0.1"
port = $IMAPS_PORT
security = "tls"
ca_file = "$CA_FILE"
username = "alice"
password_command = "printf %s $ALICE_PW"
[[accounts]]
name = "Bob mail"
kind = "imap"
host = "127.0.0.1"
port = $IMAPS_PORT
security = "tls"
ca_file = "$CA_FILE"
username = "bob"
password_command = "printf %s $BOB_PW"
EOF

MODE=${MODE:-desktop}
echo "== starting sluice ($MODE) and the bare Fyne app"
if [ "$MODE" = daemon ]; then
  "$work/sluice" daemon </dev/null >"$work/sluice.out" 2>&1 &
else
  "$work/sluice" </dev/null >"$work/sluice.out" 2>&1 &
fi
sluice=$!
pids+=($sluice)
"$work/barefyne" </dev/null >"$work/barefyne.out" 2>&1 &
fyne=$!
pids+=($fyne)

connected=0
for _ in $(seq 300); do
  if "$work/sluice" status 2>/dev/null | grep -q 'Alice mail.*connected' &&
     "$work/sluice" status 2>/dev/null | grep -q 'Bob mail.*connected'; then connected=1; break; fi
  sleep 0.1
done
"$work/sluice" status | sed 's/^/   /'
[ "$connected" = 1 ] || echo "!! the IMAP accounts did not both connect; measuring anyway" >&2
kill -0 "$fyne" || { echo "the bare Fyne app died:" >&2; cat "$work/barefyne.out" >&2; exit 1; }

echo "== warming up ${WARMUP}s, then measuring ${WINDOW}s"
sleep "$WARMUP"

# sample PID: rss_kB ticks ctxsw threads
sample() {
  local pid=$1 rss ticks cs=0 n=0 f v nv
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  for f in /proc/"$pid"/task/*/status; do
    v=$(awk '/^voluntary_ctxt_switches:/ {print $2}' "$f" 2>/dev/null || echo 0)
    nv=$(awk '/^nonvoluntary_ctxt_switches:/ {print $2}' "$f" 2>/dev/null || echo 0)
    cs=$((cs + ${v:-0} + ${nv:-0}))
    n=$((n + 1))
  done
  echo "$rss $ticks $cs $n"
}
read -r s_rss0 s_t0 s_cs0 _ <<<"$(sample "$sluice")"
read -r f_rss0 f_t0 f_cs0 _ <<<"$(sample "$fyne")"
sleep "$WINDOW"
read -r s_rss1 s_t1 s_cs1 s_thr <<<"$(sample "$sluice")"
read -r f_rss1 f_t1 f_cs1 f_thr <<<"$(sample "$fyne")"
hz=$(getconf CLK_TCK)

report() {
  awk -v name="$1" -v r0="$2" -v r1="$3" -v t="$4" -v cs="$5" -v thr="$6" -v w="$WINDOW" -v hz="$hz" 'BEGIN {
    printf "%-34s RSS %6.1f -> %6.1f MB  CPU %5d ticks (%.2f%%)  %8.2f ctx switches/s  %3d threads\n",
      name, r0/1024, r1/1024, t, 100*t/hz/w, cs/w, thr }'
}
echo "== idle over ${WINDOW}s (ticks at ${hz}/s)"
report "sluice $MODE (local inbox, 2 IMAP)" "$s_rss0" "$s_rss1" $((s_t1 - s_t0)) $((s_cs1 - s_cs0)) "$s_thr"
report "bare Fyne app, hidden window" "$f_rss0" "$f_rss1" $((f_t1 - f_t0)) $((f_cs1 - f_cs0)) "$f_thr"
awk -v sr="$s_rss1" -v fr="$f_rss1" -v st=$((s_t1 - s_t0)) -v ft=$((f_t1 - f_t0)) \
    -v sc=$((s_cs1 - s_cs0)) -v fc=$((f_cs1 - f_cs0)) 'BEGIN {
  printf "ratio Fyne/sluice: RSS %.1fx  CPU ticks %s  ctx switches %s\n", fr/sr,
    (st > 0 ? sprintf("%.0fx", ft/st) : sprintf("%d vs 0", ft)),
    (sc > 0 ? sprintf("%.0fx", fc/sc) : sprintf("%d vs 0", fc)) }'
