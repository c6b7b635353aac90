#!/usr/bin/env bash
# Builds Sluice's Linux archive, dist/sluice-<version>-linux-<arch>.tar.xz:
#
#   bin/sluice        the resident process: tray, daemon, command line
#                     (CGO_ENABLED=0: static, links no GUI library)
#   bin/sluice-ui     the windows (Fyne, cgo), started by sluice on demand
#   share/applications/app.sluice.Sluice.desktop
#   share/icons/hicolor/<size>/apps/app.sluice.Sluice.{png,svg}
#   share/metainfo/app.sluice.Sluice.metainfo.xml   (AppStream)
#   share/systemd/user/sluice.service               (runs `sluice daemon`)
#   Makefile          make install / uninstall, PREFIX (default ~/.local), DESTDIR
#
# Both binaries are stamped with the Version from FyneApp.toml
# (-X main.version) and the commit (-X …/app/cli.Commit).
#
# The fyne tool (fyne.io/fyne/v2/cmd/fyne at the Fyne version go.mod pins)
# runs `fyne package -os linux -executable bin/sluice` from the repo root, so
# the launcher's name, comment, categories and keywords come from
# FyneApp.toml. What the tool makes is a one-binary archive with the icon in
# pixmaps/ and a Makefile without ~/.local or DESTDIR, so this script takes
# the tool's .desktop file from it and assembles the rest itself (see
# packaging/README.md).
#
# Prints the archive's path as the last line on stdout; progress goes to
# stderr. Needs Go, a C toolchain and Fyne's C libraries (for sluice-ui), tar
# and xz (xz-utils). Reuses out/ between runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

log() { echo "build-linux: $*" >&2; }

version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml | head -n1)
if [ -z "$version" ]; then
  log "no Version in FyneApp.toml"
  exit 1
fi
commit=unknown
date=$(date -u +%F)
mtime=$(date -u +%s)
if git rev-parse --git-dir >/dev/null 2>&1; then
  commit=$(git rev-parse --short HEAD)
  git diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
  date=$(git log -1 --format=%cs HEAD)
  mtime=$(git log -1 --format=%ct HEAD)
fi
arch=$(go env GOARCH)
fyne_version=$(go list -m -f '{{.Version}}' fyne.io/fyne/v2)
name="sluice-$version-linux-$arch"
ldflags="-s -w -X main.version=$version -X github.com/sluice-app/sluice/app/cli.Commit=$commit"
ldflags="$ldflags $(packaging/oauth-ldflags.sh)" # OAuth client IDs from the environment, if any

out="$root/out/linux"
work=$(mktemp -d)
cleanup() {
  # The fyne tool rewrites FyneApp.toml (it counts Build up) and leaves its
  # archive in the directory it ran in: put both back as they were.
  if [ -f "$work/FyneApp.toml" ]; then cp "$work/FyneApp.toml" "$root/FyneApp.toml"; fi
  rm -f "$root/Sluice.tar.xz"
  rm -rf "$root/tmp-pkg" "$work"
}
trap cleanup EXIT

mkdir -p "$out/bin" dist
log "sluice $version (commit $commit), Fyne $fyne_version, linux/$arch"

log "building bin/sluice (CGO_ENABLED=0)"
CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "$ldflags" -o "$out/bin/sluice" ./cmd/sluice

ui=false
if [ -d cmd/sluice-ui ]; then
  # migrated_fynedo is the tag `fyne build` adds when FyneApp.toml sets
  # [Migrations] fyneDo = true: all UI updates go through fyne.Do.
  log "building bin/sluice-ui (cgo; a cold build takes minutes)"
  CGO_ENABLED=1 GOOS=linux go build -trimpath -tags migrated_fynedo -ldflags "$ldflags" -o "$out/bin/sluice-ui" ./cmd/sluice-ui
  ui=true
else
  log "WARNING: cmd/sluice-ui does not exist yet; packaging without the windows binary"
  rm -f "$out/bin/sluice-ui"
fi

fyne="$root/out/tools/fyne-$fyne_version/fyne"
if [ ! -x "$fyne" ]; then
  log "installing the fyne tool $fyne_version into out/tools"
  GOBIN="$(dirname "$fyne")" GOFLAGS= go install "fyne.io/fyne/v2/cmd/fyne@$fyne_version"
fi

log "fyne package -os linux -executable out/linux/bin/sluice"
cp FyneApp.toml "$work/FyneApp.toml"
"$fyne" package -os linux -executable "$out/bin/sluice" >"$work/fyne.log" 2>&1 || {
  cat "$work/fyne.log" >&2
  exit 1
}
mkdir "$work/fyne"
tar -xJf Sluice.tar.xz -C "$work/fyne"
fyne_desktop=$(find "$work/fyne" -name Sluice.desktop -print -quit)
if [ -z "$fyne_desktop" ]; then
  log "the fyne tool made no Sluice.desktop"
  exit 1
fi
if [ "$(grep -c '^\[' "$fyne_desktop")" != 1 ]; then
  log "the fyne tool's desktop file has more groups than [Desktop Entry]:"
  cat "$fyne_desktop" >&2
  exit 1
fi

log "assembling $name"
stage="$work/stage/$name"
mkdir -p "$stage/bin" "$stage/share/applications" "$stage/share/metainfo" "$stage/share/systemd/user"
cp "$out/bin/sluice" "$stage/bin/"
if $ui; then cp "$out/bin/sluice-ui" "$stage/bin/"; fi

# The launcher: the fyne tool's entry, named after the app ID (as AppStream
# and the desktop spec want), with the themed icon, no startup spinner (the
# tray opens no window) and quick actions for the windows.
{
  sed -e '/^$/d' -e 's/^Icon=.*/Icon=app.sluice.Sluice/' "$fyne_desktop"
  printf '%s\n' \
    "Terminal=false" \
    "StartupNotify=false" \
    "Actions=digest;settings;" \
    "" \
    "[Desktop Action digest]" \
    "Name=Open Digest" \
    "Exec=sluice ui digest" \
    "" \
    "[Desktop Action settings]" \
    "Name=Settings" \
    "Exec=sluice ui settings"
} >"$stage/share/applications/app.sluice.Sluice.desktop"

for size in 16 22 24 32 48 64 128 256 512; do
  install -D -m 0644 "assets/app/sluice-$size.png" "$stage/share/icons/hicolor/${size}x${size}/apps/app.sluice.Sluice.png"
done
install -D -m 0644 assets/app/sluice.svg "$stage/share/icons/hicolor/scalable/apps/app.sluice.Sluice.svg"

sed -e "s/@VERSION@/$version/g" -e "s/@DATE@/$date/g" packaging/linux/app.sluice.Sluice.metainfo.xml.in \
  >"$stage/share/metainfo/app.sluice.Sluice.metainfo.xml"
cp packaging/linux/sluice.service "$stage/share/systemd/user/sluice.service"
sed -e "s/@VERSION@/$version/g" packaging/linux/Makefile >"$stage/Makefile"
sed -e "s/@VERSION@/$version/g" packaging/linux/INSTALL >"$stage/INSTALL"
chmod -R u=rwX,go=rX "$stage"
chmod 0755 "$stage"/bin/*

archive="dist/$name.tar.xz"
tar -C "$work/stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
  -cJf "$archive.tmp" "$name"
mv -f "$archive.tmp" "$archive"
log "wrote $archive ($(du -h "$archive" | cut -f1))"
echo "$root/$archive"
