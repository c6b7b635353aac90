#!/usr/bin/env bash
# Benchmarks the IMAP connector against a local Dovecot, side by side with a
# bare go-imap fetch and mbsync (Debian isync), each contender in its own
# process so that its peak RSS can be read (GNU time).
#
#   connectors/imap/bench/bench.sh            # 10,000 messages, 3 runs each
#   N=2000 RUNS=1 connectors/imap/bench/bench.sh
#
# Needs: go, dovecot-imapd, isync (mbsync), time (/usr/bin/time).
#
# What runs:
#   sluice     BenchmarkInitialSync: the connector imports every message
#              ("all") into a bbolt store (app/store, fsync on)
#   sluice-nosync   the same with the store's fsync off
#   sluice-discard  the same into a sink that keeps only the cursor: the
#              connector's own time and memory
#   bare       BenchmarkBareFetch: one streamed UID FETCH of ENVELOPE,
#              INTERNALDATE and BODY.PEEK[TEXT]<0.512>
#   bare-same  BenchmarkBareFetchSameItems: one streamed UID FETCH of the items
#              the connector asks for, nothing parsed or stored
#   mbsync     mbsync pulling the same INBOX into an empty Maildir
# then BenchmarkIncrementalCheck (nothing new) and BenchmarkIdleLatency.
# The server's cache is warmed by one unmeasured bare-same fetch first, so
# every contender meets the same (warm) Dovecot.
set -euo pipefail

N=${N:-10000}
RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd -P)
for tool in go mbsync /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool not found (apt-get install isync time)" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/imapbench.XXXXXX")
chmod 755 "$WORK"
DOVECOT_PID=
cleanup() {
  if [ -n "$DOVECOT_PID" ] && kill -0 "$DOVECOT_PID" 2>/dev/null; then
    kill -TERM "$DOVECOT_PID" && wait "$DOVECOT_PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT"
echo "building…" >&2
go build -o "$WORK/testdovecot" ./connectors/imap/dovecottest/cmd/testdovecot
go test -c -o "$WORK/imap.test" ./connectors/imap

echo "starting Dovecot with $N messages…" >&2
"$WORK/testdovecot" -messages "$N" >"$WORK/env" 2>"$WORK/testdovecot.err" &
DOVECOT_PID=$!
for _ in $(seq 1 600); do
  grep -q '^READY' "$WORK/env" 2>/dev/null && break
  kill -0 "$DOVECOT_PID" 2>/dev/null || { cat "$WORK/testdovecot.err" >&2; exit 1; }
  sleep 0.1
done
grep -q '^READY' "$WORK/env" || { echo "bench.sh: Dovecot not ready" >&2; exit 1; }
set -a
# shellcheck disable=SC1090
. <(grep '^IMAPBENCH_' "$WORK/env")
set +a
grep '^#' "$WORK/env" >&2 || true

# gobench NAME BENCHTIME runs one benchmark in a process of its own; it is a
# script so that /usr/bin/time can run it.
cat >"$WORK/gobench" <<'EOF'
#!/bin/sh
exec "$(dirname "$0")/imap.test" -test.run '^$' -test.bench "^$1\$" -test.benchtime "$2" -test.count 1
EOF
chmod +x "$WORK/gobench"
gobench() { "$WORK/gobench" "$@"; }

measure() { # measure LABEL CMD…: wall seconds, peak RSS and the op time
  local label=$1; shift
  if ! /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/out" 2>&1; then
    cat "$WORK/out" >&2; exit 1
  fi
  local wall rss op
  read -r wall rss <"$WORK/time"
  op=$(awk '/ns\/op/ { for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") printf "%.3f", $i / 1e9 }' "$WORK/out")
  echo "$label $wall $rss ${op:-$wall}" >>"$WORK/results"
  printf '  %-14s op %6ss  process %6ss  peak RSS %6.1f MB\n' "$label" "${op:-$wall}" "$wall" "$(echo "$rss / 1024" | bc -l)" >&2
}

cat >"$WORK/mbsyncrc" <<EOF
IMAPAccount bench
Host localhost
Port $IMAPBENCH_PORT
User $IMAPBENCH_USER
Pass $IMAPBENCH_PASS
SSLType IMAPS
CertificateFile $IMAPBENCH_CA

IMAPStore far
Account bench

MaildirStore near
Path $WORK/mbsync/
Inbox $WORK/mbsync/INBOX

Channel bench
Far :far:
Near :near:
Patterns INBOX
Create Near
Sync Pull
SyncState *
EOF

echo "warming Dovecot's cache…" >&2
gobench BenchmarkBareFetchSameItems 1x >/dev/null

: >"$WORK/results"
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS" >&2
  measure sluice "$WORK/gobench" BenchmarkInitialSync 1x
  measure sluice-nosync "$WORK/gobench" BenchmarkInitialSyncNoSync 1x
  measure sluice-discard "$WORK/gobench" BenchmarkInitialSyncDiscard 1x
  measure bare "$WORK/gobench" BenchmarkBareFetch 1x
  measure bare-same "$WORK/gobench" BenchmarkBareFetchSameItems 1x
  rm -rf "$WORK/mbsync" && mkdir -p "$WORK/mbsync"
  measure mbsync mbsync -q -c "$WORK/mbsyncrc" bench
  got=$(find "$WORK/mbsync/INBOX/cur" "$WORK/mbsync/INBOX/new" -type f | wc -l)
  [ "$got" -eq "$N" ] || { echo "bench.sh: mbsync fetched $got of $N messages" >&2; exit 1; }
done

echo >&2
echo "Initial sync of $N messages over TLS (median of $RUNS; op = the sync itself, process = whole process):"
printf '%-14s %10s %12s %14s\n' contender "op (s)" "process (s)" "peak RSS (MB)"
for label in sluice sluice-nosync sluice-discard bare bare-same mbsync; do
  awk -v l="$label" '$1 == l { print $4, $2, $3 }' "$WORK/results" | sort -n | awk -v l="$label" '
    { op[NR] = $1; wall[NR] = $2; rss[NR] = $3 }
    END { m = int((NR + 1) / 2); max = 0; for (i = 1; i <= NR; i++) if (rss[i] > max) max = rss[i]
          printf "%-14s %10.3f %12.2f %14.1f\n", l, op[m], wall[m], max / 1024 }'
done
echo
echo "Incremental check, nothing new (one EXAMINE on an open connection):"
gobench BenchmarkIncrementalCheck 2000x | awk '/ns\/op/ { printf "  %.2f ms per check\n", $3 / 1e6 }'
echo "IDLE latency (20 deliveries, medians):"
gobench BenchmarkIdleLatency 20x | awk '/ms-announce/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "ms-announce-to-store") a = $i; if ($(i+1) == "ms-delivery-to-store") d = $i }
  printf "  announce (EXISTS) → store %.1f ms, delivery (Maildir file) → store %.1f ms\n", a, d }'
