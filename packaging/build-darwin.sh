#!/usr/bin/env bash
# Builds Sluice.app for macOS and packs it as
# dist/Sluice-<version>-darwin-<arch>.tar.gz.
#
#   Sluice.app/Contents/MacOS/sluice      the resident process (tray, gate)
#   Sluice.app/Contents/MacOS/sluice-ui   the windows, started on demand
#   Sluice.app/Contents/Info.plist        with LSUIElement: no Dock icon
#   Sluice.app/Contents/Resources/icon.icns
#
# The bundle comes from `fyne package -os darwin -executable …` run from the
# repo root (FyneApp.toml gives the name, ID, version and icon). Its
# Info.plist has no LSUIElement, so a tray app would sit in the Dock all day,
# and an empty category; this script adds the one and fills in the other,
# and puts sluice-ui next to sluice, where sluice looks for it.
#
# Run it on a Mac: the tray (fyne.io/systray) and the windows (Fyne) need
# cgo and Cocoa, so elsewhere it refuses rather than make a bundle without
# either. ARCH=universal makes one bundle for Apple silicon and Intel
# (lipo); the default is the Mac's own architecture.
# Start at login (`sluice autostart on`, run from inside the bundle) writes
# a LaunchAgent that starts Contents/MacOS/sluice, so LSUIElement applies.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

log() { echo "build-darwin: $*" >&2; }

version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml | head -n1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
arch=${ARCH:-${GOARCH:-$(go env GOARCH)}}
fyne_version=$(go list -m -f '{{.Version}}' fyne.io/fyne/v2)
ldflags="-s -w -X main.version=$version -X github.com/sluice-app/sluice/app/cli.Commit=$commit"
ldflags="$ldflags $(packaging/oauth-ldflags.sh)" # OAuth client IDs from the environment, if any
out="$root/out/darwin"
work=$(mktemp -d)
cleanup() {
  # The fyne tool counts Build up in FyneApp.toml: put it back.
  if [ -f "$work/FyneApp.toml" ]; then cp "$work/FyneApp.toml" "$root/FyneApp.toml"; fi
  rm -rf "$root/Sluice.app" "$work"
}
trap cleanup EXIT
mkdir -p "$out" dist

if [ "$(uname -s)" != Darwin ]; then
  # The tray (fyne.io/systray) and the windows (Fyne) need cgo and Cocoa,
  # which only a Mac has: a bundle built elsewhere would have neither.
  log "refusing to build Sluice.app on $(uname -s): the tray and the windows need cgo and Cocoa; run this on a Mac (CI: .github/workflows/macos.yml)"
  exit 1
fi
# ARCH=universal builds arm64 and amd64 and joins them with lipo.
case "$arch" in
  universal) arches=(arm64 amd64) ;;
  *) arches=("$arch") ;;
esac
rm -f "$out/sluice" "$out/sluice-ui"
for prog in sluice sluice-ui; do
  parts=()
  for a in "${arches[@]}"; do
    log "building $prog for darwin/$a (cgo)"
    CGO_ENABLED=1 GOOS=darwin GOARCH=$a go build -trimpath -tags migrated_fynedo -ldflags "$ldflags" -o "$out/$prog-$a" "./cmd/$prog"
    # sluice's tray is Cocoa through cgo: a build without it has none.
    go version -m "$out/$prog-$a" | grep -q 'CGO_ENABLED=1' || { log "$prog for $a was built without cgo"; exit 1; }
    parts+=("$out/$prog-$a")
  done
  if [ ${#parts[@]} = 1 ]; then
    mv "${parts[0]}" "$out/$prog"
  else
    lipo -create -output "$out/$prog" "${parts[@]}"
    rm -f "${parts[@]}"
  fi
done
[ -x "$out/sluice" ] && [ -x "$out/sluice-ui" ] || { log "a program is missing from out/darwin"; exit 1; }

fyne="$root/out/tools/fyne-$fyne_version/fyne"
if [ ! -x "$fyne" ]; then
  log "installing the fyne tool $fyne_version into out/tools"
  GOBIN="$(dirname "$fyne")" GOFLAGS= go install "fyne.io/fyne/v2/cmd/fyne@$fyne_version"
fi
log "fyne package -os darwin -executable out/darwin/sluice"
cp FyneApp.toml "$work/FyneApp.toml"
"$fyne" package -os darwin -executable "$out/sluice" >"$work/fyne.log" 2>&1 || {
  cat "$work/fyne.log" >&2
  exit 1
}
rm -rf "$out/Sluice.app"
mv Sluice.app "$out/Sluice.app"
app="$out/Sluice.app"
plist="$app/Contents/Info.plist"
grep -q '<key>LSUIElement</key>' "$plist" && { log "the fyne tool now writes LSUIElement itself; drop the patch"; exit 1; }
sed -i.orig \
  -e 's|<string>public.app-category.</string>|<string>public.app-category.productivity</string>|' \
  -e 's|^</dict>|	<key>LSUIElement</key>\
	<true/>\
</dict>|' "$plist"
rm -f "$plist.orig"
grep -q '<key>LSUIElement</key>' "$plist" || { log "could not add LSUIElement to $plist"; exit 1; }
if command -v plutil >/dev/null 2>&1; then
  plutil -lint "$plist" >&2
elif command -v python3 >/dev/null 2>&1; then
  python3 -c 'import plistlib,sys; d=plistlib.load(open(sys.argv[1],"rb")); assert d["LSUIElement"] is True and d["CFBundleIdentifier"]=="app.sluice.Sluice", d' "$plist"
fi
cp "$out/sluice-ui" "$app/Contents/MacOS/"

archive="dist/Sluice-$version-darwin-$arch.tar.gz"
tar -C "$out" -czf "$archive" Sluice.app
log "wrote $archive"
echo "$root/$archive"
