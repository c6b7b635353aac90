#!/usr/bin/env bash
# Builds Sluice for Windows on Linux and packs the installer:
#
#   out/windows/sluice-<version>-windows-<arch>/
#     sluicew.exe    the resident process for the desktop (tray, gate,
#                    toasts), linked with -H=windowsgui so no console opens
#                    when it starts from the Start menu or at login
#     sluice.exe     the same program as a console binary: the command line
#     sluice-ui.exe  the windows (Fyne, cgo: cross-built with mingw-w64)
#     sluice.png, sluice.ico   the app icon (toasts; the shortcut)
#   dist/Sluice-<version>-windows-<arch>.msi
#
# The MSI (msitools' wixl, from packaging/windows/sluice.wxs) installs per
# user without administrator rights into %LOCALAPPDATA%\Programs\Sluice,
# adds a Start menu shortcut that carries Sluice's AppUserModelID (so its
# toasts show Sluice's name and icon), starts Sluice at login when
# installed with AUTOSTART=1, and uninstalls cleanly.
#
# Needs Go and the Debian packages gcc-mingw-w64-x86-64, wixl and msitools.
# The first cross-build of sluice-ui compiles Fyne's OpenGL driver with
# mingw (about 9 minutes on 2 cores); later builds reuse Go's build cache.
# Prints the MSI's path as the last line on stdout; progress goes to stderr.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

log() { echo "build-windows: $*" >&2; }
need() {
  command -v "$1" >/dev/null 2>&1 || { log "$1 not found; install the Debian package $2"; exit 1; }
}
arch=${GOARCH:-amd64}
case "$arch" in
  amd64) cc=x86_64-w64-mingw32-gcc; need "$cc" gcc-mingw-w64-x86-64; wixarch=x64 ;;
  *) log "unsupported GOARCH $arch (amd64 only)"; exit 1 ;;
esac
need wixl wixl
need msibuild msitools

version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml | head -n1)
commit=unknown
if git rev-parse --git-dir >/dev/null 2>&1; then
  commit=$(git rev-parse --short HEAD)
  git diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
fi
ldflags="-s -w -X main.version=$version -X github.com/sluice-app/sluice/app/cli.Commit=$commit"
ldflags="$ldflags $(packaging/oauth-ldflags.sh)" # OAuth client IDs from the environment, if any
name="sluice-$version-windows-$arch"
dir="$root/out/windows/$name"
rm -rf "$dir"
mkdir -p "$dir" dist
# The same flags as every other build (.ci/test.sh), so the build cache is
# shared.
export GOFLAGS="-trimpath -tags=migrated_fynedo"

log "sluice $version (commit $commit), windows/$arch"
log "building sluice.exe (console) and sluicew.exe (-H=windowsgui)"
CGO_ENABLED=0 GOOS=windows GOARCH=$arch go build -ldflags "$ldflags" -o "$dir/sluice.exe" ./cmd/sluice
CGO_ENABLED=0 GOOS=windows GOARCH=$arch go build -ldflags "$ldflags -H=windowsgui" -o "$dir/sluicew.exe" ./cmd/sluice
log "building sluice-ui.exe (cgo with $cc; a cold build takes minutes)"
CGO_ENABLED=1 CC=$cc GOOS=windows GOARCH=$arch go build -ldflags "$ldflags -H=windowsgui" -o "$dir/sluice-ui.exe" ./cmd/sluice-ui
cp assets/app/sluice.ico "$dir/sluice.ico"
cp assets/app/sluice-64.png "$dir/sluice.png"

# MSI versions are numbers only: 0.1.0-rc1 becomes 0.1.0.
msiversion=$(sed -E 's/^([0-9]+(\.[0-9]+){0,3}).*/\1/' <<<"$version")
msi="dist/Sluice-$version-windows-$arch.msi"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# wixl reads sources relative to the .wxs file.
cp packaging/windows/sluice.wxs "$dir/"
log "wixl: $msi"
(cd "$dir" && wixl -a "$wixarch" -D Version="$msiversion" -o "$work/sluice.msi" sluice.wxs)
rm -f "$dir/sluice.wxs"
# wixl cannot write MsiShortcutProperty: add the shortcut's
# System.AppUserModel.ID, which ties toasts to the Start menu entry.
printf '%s\n' \
  $'MsiShortcutProperty\tShortcut_\tPropertyKey\tPropVariantValue' \
  $'s72\ts72\ts255\ts255' \
  $'MsiShortcutProperty\tMsiShortcutProperty' \
  $'AppUserModelID\tSluiceShortcut\tSystem.AppUserModel.ID\tapp.sluice.Sluice' \
  >"$work/MsiShortcutProperty.idt"
msibuild "$work/sluice.msi" -i "$work/MsiShortcutProperty.idt"
mv -f "$work/sluice.msi" "$msi"
log "wrote $msi ($(du -h "$msi" | cut -f1))"
echo "$root/$msi"
