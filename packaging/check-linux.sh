#!/usr/bin/env bash
# CI check of the Linux package: builds it (packaging/build-linux.sh) unless
# an archive is given, unpacks it, installs it with `make install` into a
# temp PREFIX whose path has a space and a "%" (the quoting cases), and checks
# what it ships and what it installs:
#   - the archive holds both binaries, the launcher, the hicolor icons, the
#     AppStream metadata, the systemd user unit and the Makefile; bin/sluice
#     is built without cgo and does not link Fyne;
#   - desktop-file-validate and `appstreamcli validate --no-net` pass, on the
#     shipped and on the installed files; systemd-analyze verify passes on the
#     installed unit (which also checks its ExecStart program exists);
#   - the installed launcher and unit start $PREFIX/bin/sluice, quoted;
#   - the packaged `sluice version` prints FyneApp.toml's version and the
#     commit; `sluice daemon` starts on temp --config/--data, answers
#     `status`, and stops cleanly on SIGTERM;
#   - `sluice autostart on|status|off` writes and removes the XDG entry;
#   - a staged install (DESTDIR, PREFIX=/usr) lands under DESTDIR only;
#   - `make uninstall` leaves no file behind;
#   - the .deb and .rpm built from the same archive hold the same files,
#     lintian finds no error in the .deb, and (as root) `apt-get install
#     ./sluice_….deb` installs it: /usr/bin/sluice prints its version, runs
#     a daemon that answers and quits, and `apt-get purge` removes it.
# Usage: packaging/check-linux.sh [ARCHIVE]
# Debian packages: desktop-file-utils appstream xz-utils make systemd
# lintian dpkg-dev.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

fail() {
  echo "check-linux: FAIL: $*" >&2
  exit 1
}
need() {
  command -v "$1" >/dev/null 2>&1 || fail "$1 not found; install the Debian package $2"
}
need desktop-file-validate desktop-file-utils
need appstreamcli appstream
need xz xz-utils
need make make
need systemd-analyze systemd

version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml | head -n1)
archive=${1:-}
commit='[0-9a-f]' # an archive built elsewhere: any commit
if [ -z "$archive" ]; then
  commit=$(git rev-parse --short HEAD)
  archive=$(packaging/build-linux.sh | tail -n1)
fi
[ -f "$archive" ] || fail "no archive at $archive"

tmp=$(mktemp -d)
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -KILL "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
# Keep everything the binaries might touch inside the temp dir.
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share" \
  XDG_STATE_HOME="$tmp/home/.local/state" XDG_CACHE_HOME="$tmp/home/.cache"
unset SLUICE_CONFIG SLUICE_DATA SLUICE_TEST_NOW
mkdir -p "$HOME"

echo "== contents of $(basename "$archive")"
mkdir "$tmp/unpack"
tar -xJf "$archive" -C "$tmp/unpack"
pkg=$(find "$tmp/unpack" -mindepth 1 -maxdepth 1 -type d)
[ "$(basename "$pkg")" = "sluice-$version-linux-$(go env GOARCH)" ] || fail "top directory is $(basename "$pkg")"
want=(Makefile INSTALL bin/sluice share/applications/app.sluice.Sluice.desktop
  share/metainfo/app.sluice.Sluice.metainfo.xml share/systemd/user/sluice.service
  share/icons/hicolor/scalable/apps/app.sluice.Sluice.svg)
for size in 16 22 24 32 48 64 128 256 512; do
  want+=("share/icons/hicolor/${size}x${size}/apps/app.sluice.Sluice.png")
done
if [ -d cmd/sluice-ui ]; then
  want+=(bin/sluice-ui)
else
  echo "note: cmd/sluice-ui does not exist yet, so the archive has no bin/sluice-ui"
fi
for f in "${want[@]}"; do
  [ -f "$pkg/$f" ] || fail "archive lacks $f"
done
for b in "$pkg"/bin/*; do
  [ -x "$b" ] || fail "$b is not executable"
done
# The resident process must stay light: static, and without Fyne. sluice-ui
# is built as `fyne build` would build it with FyneApp.toml's
# [Migrations] fyneDo = true.
info=$(go version -m "$pkg/bin/sluice")
grep -q 'CGO_ENABLED=0' <<<"$info" || fail "bin/sluice was built with cgo"
! grep -q 'fyne.io/fyne/v2' <<<"$info" || fail "bin/sluice links Fyne"
if [ -f "$pkg/bin/sluice-ui" ]; then
  grep -q 'tags=migrated_fynedo' <<<"$(go version -m "$pkg/bin/sluice-ui")" || fail "bin/sluice-ui lacks the migrated_fynedo tag"
fi

validate() { # desktop file, metainfo file
  out=$(desktop-file-validate "$1" 2>&1) || fail "desktop-file-validate $1: $out"
  [ -z "$out" ] || fail "desktop-file-validate $1: $out"
  out=$(appstreamcli validate --no-net "$2" 2>&1) || fail "appstreamcli validate --no-net $2: $out"
}
echo "== validate the shipped launcher and AppStream metadata"
validate "$pkg/share/applications/app.sluice.Sluice.desktop" "$pkg/share/metainfo/app.sluice.Sluice.metainfo.xml"

prefix="$tmp/pre fix%1"
echo "== make install PREFIX='$prefix'"
make -s -C "$pkg" install PREFIX="$prefix" >"$tmp/install.log" 2>&1 || fail "make install: $(cat "$tmp/install.log")"
for f in "${want[@]}"; do
  case "$f" in Makefile | INSTALL) continue ;; esac
  [ -f "$prefix/$f" ] || fail "make install did not install $f"
done
desktop="$prefix/share/applications/app.sluice.Sluice.desktop"
unit="$prefix/share/systemd/user/sluice.service"
validate "$desktop" "$prefix/share/metainfo/app.sluice.Sluice.metainfo.xml"
# A space forces quotes; % is written %%.
grep -qxF "Exec=\"$tmp/pre fix%%1/bin/sluice\"" "$desktop" || fail "launcher Exec: $(grep '^Exec=' "$desktop")"
grep -qxF "Exec=\"$tmp/pre fix%%1/bin/sluice\" ui settings" "$desktop" || fail "settings action Exec: $(grep '^Exec=' "$desktop")"
grep -qxF "ExecStart=\"$tmp/pre fix%%1/bin/sluice\" daemon" "$unit" || fail "unit ExecStart: $(grep '^ExecStart=' "$unit")"
out=$(cd "$tmp" && systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $unit: $out"

sluice="$prefix/bin/sluice"
echo "== $sluice version"
out=$("$sluice" version)
echo "$out"
case "$out" in
  "sluice $version (commit "$commit*) ;;
  *) fail "version printed '$out', want 'sluice $version (commit $commit…'" ;;
esac

echo "== $sluice daemon"
cfg="$tmp/config.toml" data="$tmp/data"
"$sluice" --config "$cfg" --data "$data" daemon 2>"$tmp/daemon.log" &
daemon_pid=$!
for _ in $(seq 1 100); do
  if "$sluice" --config "$cfg" --data "$data" status >"$tmp/status.txt" 2>&1; then break; fi
  kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited: $(cat "$tmp/daemon.log")"
  sleep 0.2
done
"$sluice" --config "$cfg" --data "$data" status >/dev/null 2>&1 || fail "status never answered: $(cat "$tmp/daemon.log")"
grep -q "held" "$tmp/status.txt" || fail "unexpected status: $(cat "$tmp/status.txt")"
kill -TERM "$daemon_pid"
code=0
wait "$daemon_pid" || code=$?
daemon_pid=
[ "$code" = 0 ] || fail "the daemon exited with $code on SIGTERM: $(cat "$tmp/daemon.log")"
if "$sluice" --config "$cfg" --data "$data" status >/dev/null 2>&1; then fail "status still answers after the daemon stopped"; fi
echo "started, answered status, stopped"

echo "== $sluice autostart on|status|off"
entry="$XDG_CONFIG_HOME/autostart/app.sluice.Sluice.desktop"
"$sluice" autostart on >/dev/null
[ "$("$sluice" autostart status)" = "on ($entry)" ] || fail "autostart status after on: $("$sluice" autostart status)"
grep -qxF "Exec=\"$tmp/pre fix%%1/bin/sluice\"" "$entry" || fail "autostart Exec: $(grep '^Exec=' "$entry")"
out=$(desktop-file-validate "$entry" 2>&1) && [ -z "$out" ] || fail "desktop-file-validate $entry: $out"
"$sluice" autostart off >/dev/null
[ ! -e "$entry" ] || fail "autostart off left $entry"
[ "$("$sluice" autostart status)" = off ] || fail "autostart status after off: $("$sluice" autostart status)"

echo "== make uninstall"
make -s -C "$pkg" uninstall PREFIX="$prefix" >/dev/null
left=$(find "$prefix" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"

echo "== staged install: make install DESTDIR=… PREFIX=/usr"
stage="$tmp/stage"
make -s -C "$pkg" install DESTDIR="$stage" PREFIX=/usr >/dev/null
[ "$(find "$stage" -mindepth 1 -maxdepth 1)" = "$stage/usr" ] || fail "staged install wrote outside DESTDIR/usr: $(ls "$stage")"
grep -qxF "Exec=/usr/bin/sluice" "$stage/usr/share/applications/app.sluice.Sluice.desktop" || fail "staged Exec"
grep -qxF "ExecStart=/usr/bin/sluice daemon" "$stage/usr/share/systemd/user/sluice.service" || fail "staged ExecStart"
out=$(appstreamcli validate-tree --no-net "$stage" 2>&1) || fail "appstreamcli validate-tree: $out"

echo "== .deb and .rpm from the same archive (packaging/build-linux-packages.sh)"
need lintian lintian
need dpkg-shlibdeps dpkg-dev
pkgs=$(packaging/build-linux-packages.sh "$archive")
deb=$(sed -n 1p <<<"$pkgs")
rpm=$(sed -n 2p <<<"$pkgs")
[ -f "$deb" ] && [ -f "$rpm" ] || fail "no packages: $pkgs"
debfiles=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||')
for f in "${want[@]}"; do
  case "$f" in Makefile | INSTALL) continue ;; esac
  grep -qxF "usr/$f" <<<"$debfiles" || fail "the .deb lacks /usr/$f"
done
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || fail "the .deb depends on nothing: $(dpkg-deb -f "$deb" Depends)"
out=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v 'running with root privileges' || true)
[ -z "$out" ] || echo "$out"
! grep -q '^E:' <<<"$out" || fail "lintian found errors in $(basename "$deb")"
echo "lintian: no errors; .deb $(du -h "$deb" | cut -f1), .rpm $(du -h "$rpm" | cut -f1)"

if [ "$(id -u)" = 0 ] && ! dpkg-query -W sluice >/dev/null 2>&1; then
  echo "== apt-get install ./$(basename "$deb")"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$(realpath "$deb")" >"$tmp/apt.log" 2>&1 ||
    fail "apt-get install: $(cat "$tmp/apt.log")"
  removed=false
  remove() { $removed || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 purge -y -qq sluice >/dev/null 2>&1; removed=true; }
  trap 'remove; cleanup' EXIT
  out=$(/usr/bin/sluice version)
  case "$out" in "sluice $version (commit "*) ;; *) fail "/usr/bin/sluice version printed '$out'" ;; esac
  grep -qxF 'Exec=/usr/bin/sluice' /usr/share/applications/app.sluice.Sluice.desktop || fail "installed launcher Exec"
  data="$tmp/deb-data"
  /usr/bin/sluice --config "$tmp/deb.toml" --data "$data" daemon 2>"$tmp/deb-daemon.log" &
  daemon_pid=$!
  for _ in $(seq 1 100); do /usr/bin/sluice --config "$tmp/deb.toml" --data "$data" status >/dev/null 2>&1 && break; sleep 0.2; done
  /usr/bin/sluice --config "$tmp/deb.toml" --data "$data" status | grep -q held || fail "the packaged daemon did not answer: $(cat "$tmp/deb-daemon.log")"
  /usr/bin/sluice --config "$tmp/deb.toml" --data "$data" quit | grep -q 'has quit' || fail "quit"
  wait "$daemon_pid" || fail "the packaged daemon exited with $? after quit"
  daemon_pid=
  remove
  [ ! -e /usr/bin/sluice ] || fail "apt-get purge left /usr/bin/sluice"
  echo "installed with apt-get, ran version and a daemon from /usr/bin, removed"
else
  echo "note: not root, or a sluice package is installed already: skipping the apt-get install check"
fi

echo "check-linux: OK ($(basename "$archive"))"
