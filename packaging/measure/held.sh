#!/usr/bin/env bash
# Measures what listing a large hold costs the resident process: a store
# with N held items (default 20,000, written by packaging/measure/fill),
# `sluice daemon` on it, then `sluice held --json`, `sluice held` and the
# digest's first page, with the daemon's memory read from /proc before and
# after each: VmRSS (resident: RssAnon, the Go heap and stacks, plus
# RssFile, the pages of the store's memory map that were touched) and VmHWM
# (the peak). The client's output goes to /dev/null; its size is printed.
#
# Usage: packaging/measure/held.sh [N]
#        SLUICE_BIN=path/to/sluice packaging/measure/held.sh   (measure another build,
#        e.g. one before paging; the store is written by this tree's fill)
# Needs: go. Runs headless; nothing but the daemon and its socket.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

N=${1:-20000}
work=$(mktemp -d /tmp/sluice-held.XXXXXX)
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

bin=${SLUICE_BIN:-}
if [ -z "$bin" ]; then
  echo "== building sluice"
  go build -o "$work/sluice" ./cmd/sluice
  bin=$work/sluice
fi
echo "== writing a store with $N held items"
go run -tags measure ./packaging/measure/fill "$work/data" "$N" | sed 's/^/   /'

export SLUICE_CONFIG="$work/config.toml" SLUICE_DATA="$work/data"
# A Saturday on the test clock: no check-in releases the hold meanwhile.
export SLUICE_TEST_NOW=2026-11-28T10:00:00+01:00
printf 'version = 1\n[schedule]\ntemplate = "twice-a-day"\nzone = "Europe/Berlin"\n' >"$SLUICE_CONFIG"

"$bin" daemon </dev/null >"$work/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 200); do "$bin" status >/dev/null 2>&1 && break; sleep 0.1; done
"$bin" status | head -2 | sed 's/^/   /'

mem() { awk '/^(VmRSS|RssAnon|RssFile|VmHWM):/ {printf "%s %5.1f MB  ", $1, $2/1024}' "/proc/$daemon/status"; echo; }
step() {
  local what=$1; shift
  local t0 t1 bytes
  t0=$(date +%s.%N)
  bytes=$("$@" | wc -c)
  t1=$(date +%s.%N)
  printf '%-38s %9d bytes in %5.2f s   ' "$what" "$bytes" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')"
  mem
}

sleep 2
printf '%-38s %27s   ' "idle, before listing" ""; mem
step "sluice held --json" "$bin" held --json
step "sluice held" "$bin" held
step "sluice held --json (again)" "$bin" held --json
step "sluice held --limit 200 (a page)" "$bin" held --limit 200
sleep 5
printf '%-38s %27s   ' "5 s later" ""; mem
