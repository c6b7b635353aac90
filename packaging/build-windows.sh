#!/usr/bin/env bash
# Builds Sluice for Windows into out/windows/sluice-<version>-windows-<arch>/
# (and a .zip of it in dist/ when `zip` is installed):
#
#   sluicew.exe   the resident process for the desktop: tray, gate,
#                 notifications. Linked with -H=windowsgui (the GUI
#                 subsystem), so no console window opens when it starts from
#                 the Start menu or at login; start at login
#                 (`sluice autostart on`) registers this one.
#   sluice.exe    the same program as a console binary, for the command line
#                 (`sluice status`, `sluice daemon`, …): a GUI-subsystem
#                 program has no console to print to.
#   sluice-ui.exe the windows (Fyne, cgo, also -H=windowsgui); only built
#                 when this script runs on Windows with a C compiler (MSYS2
#                 or similar), since cgo does not cross-compile from here.
#
# Both sluice builds need no cgo, so they cross-compile from Linux.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

log() { echo "build-windows: $*" >&2; }

version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml | head -n1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
arch=${GOARCH:-amd64}
ldflags="-s -w -X main.version=$version -X github.com/sluice-app/sluice/app/cli.Commit=$commit"
ldflags="$ldflags $(packaging/oauth-ldflags.sh)" # OAuth client IDs from the environment, if any
name="sluice-$version-windows-$arch"
dir="$root/out/windows/$name"
rm -rf "$dir"
mkdir -p "$dir" dist

log "building sluice.exe (console) and sluicew.exe (-H=windowsgui) for windows/$arch"
CGO_ENABLED=0 GOOS=windows GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$dir/sluice.exe" ./cmd/sluice
CGO_ENABLED=0 GOOS=windows GOARCH=$arch go build -trimpath -ldflags "$ldflags -H=windowsgui" -o "$dir/sluicew.exe" ./cmd/sluice

if [ "$(go env GOHOSTOS)" = windows ] && [ -d cmd/sluice-ui ] && command -v gcc >/dev/null 2>&1; then
  log "building sluice-ui.exe"
  CGO_ENABLED=1 GOOS=windows GOARCH=$arch go build -trimpath -tags migrated_fynedo -ldflags "$ldflags -H=windowsgui" -o "$dir/sluice-ui.exe" ./cmd/sluice-ui
else
  log "WARNING: sluice-ui.exe needs cgo: build it on Windows with a C compiler; this folder has none"
fi

if command -v zip >/dev/null 2>&1; then
  archive="dist/$name.zip"
  rm -f "$archive"
  (cd "$root/out/windows" && zip -qr "$root/$archive" "$name")
  log "wrote $archive"
  echo "$root/$archive"
else
  log "wrote $dir (install zip to get an archive)"
  echo "$dir"
fi
