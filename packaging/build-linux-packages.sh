#!/usr/bin/env bash
# Builds Sluice's Debian and RPM packages from the Linux archive
# (packaging/build-linux.sh), so they hold exactly the tarball's files:
#
#   dist/sluice_<version>_<arch>.deb
#   dist/sluice-<version>-1.<rpmarch>.rpm
#
# The archive's own `make install DESTDIR=… PREFIX=/usr` lays out the tree
# (both programs in /usr/bin, the launcher, the AppStream metadata, the
# hicolor icons, the systemd user unit, each pointing at /usr/bin/sluice);
# nfpm (github.com/goreleaser/nfpm/v2, pinned below and run with `go run`)
# packs it with a copyright file and a changelog. The dependencies are the
# shared libraries sluice-ui links (sluice is static), worked out by
# dpkg-shlibdeps for the .deb and named by soname for the .rpm, and those
# GLFW opens at run time (required or recommended, see below).
#
# Usage: packaging/build-linux-packages.sh [ARCHIVE]
# Prints the .deb's path and then the .rpm's, last on stdout. Needs the
# Debian package dpkg-dev (dpkg-shlibdeps) besides what build-linux.sh needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0

log() { echo "build-linux-packages: $*" >&2; }
command -v dpkg-shlibdeps >/dev/null || { log "dpkg-shlibdeps not found; install the Debian package dpkg-dev"; exit 1; }

archive=${1:-}
if [ -z "$archive" ]; then
  archive=$(packaging/build-linux.sh | tail -n1)
fi
[ -f "$archive" ] || { log "no archive at $archive"; exit 1; }
version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml | head -n1)
arch=$(go env GOARCH)
case "$arch" in
  amd64) rpmarch=x86_64 ;;
  arm64) rpmarch=aarch64 ;;
  *) rpmarch=$arch ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xJf "$archive" -C "$work"
pkg=$(find "$work" -mindepth 1 -maxdepth 1 -type d)
stage="$work/root"
make -s -C "$pkg" install DESTDIR="$stage" PREFIX=/usr >/dev/null

# Debian wants a copyright file and a compressed changelog in the doc dir.
doc="$work/doc"
mkdir -p "$doc"
cat >"$doc/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Sluice
Upstream-Contact: The Sluice developers <developers@sluice.app>

Files: *
Copyright: 2026 The Sluice developers
License: Proprietary
 All rights reserved by the Sluice developers until a licence is chosen.
EOF
date=$(git log -1 --format=%aD HEAD 2>/dev/null || date -R)
printf 'sluice (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- The Sluice developers <developers@sluice.app>  %s\n' \
  "$version" "$version" "$date" | gzip -9n >"$doc/changelog.Debian.gz"
# sluice is a static Go program on purpose (no cgo, so the resident
# process links nothing); lintian exempts Go binaries only when it sees a
# Debian source package that build-depends on golang-go.
printf '%s\n' '# Go, CGO_ENABLED=0: static by design.' 'sluice: statically-linked-binary [usr/bin/sluice]' >"$doc/lintian-overrides"

# What sluice-ui links, in each format's words.
mkdir -p "$work/shlibs/debian"
echo "Source: sluice" >"$work/shlibs/debian/control"
deb_depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O -e "$stage/usr/bin/sluice-ui" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$deb_depends" ] || { log "dpkg-shlibdeps found no dependencies of sluice-ui"; exit 1; }
rpm_requires=$(objdump -p "$stage/usr/bin/sluice-ui" | awk '/NEEDED/ {print $2}' | sort -u)
# GLFW opens the X11 and Wayland client libraries at run time (dlopen), so
# no tool sees them: the ones it cannot start without are required, the
# ones it uses when present are recommended.
dlopen_required="libX11.so.6 libX11-xcb.so.1 libxkbcommon.so.0"
dlopen_recommended="libXcursor.so.1 libXrandr.so.2 libXinerama.so.1 libXi.so.6 libXext.so.6 libwayland-cursor.so.0 libwayland-egl.so.1 libEGL.so.1"
debpkgs() { # sonames → the Debian packages that hold them, comma-separated
  local so p out=()
  for so in "$@"; do
    p=$(dpkg -S "*/$so" 2>/dev/null | grep -v -e -dev -e i386 | head -n1 | cut -d: -f1)
    [ -n "$p" ] || { log "no installed Debian package holds $so (install the Fyne build dependencies)"; exit 1; }
    out+=("$p")
  done
  local IFS=,
  echo "${out[*]}"
}
deb_depends="$deb_depends, $(debpkgs $dlopen_required | sed 's/,/, /g')"
deb_recommends=$(debpkgs $dlopen_recommended)
rpm_requires=$(printf '%s\n' $rpm_requires $dlopen_required | sort -u)
rpm_recommends=$(printf '%s\n' $dlopen_recommended)

yaml() { # list items: one per line on stdin → YAML list lines
  while IFS= read -r line; do [ -n "$line" ] && printf '      - "%s"\n' "$line"; done
}
cat >"$work/nfpm.yaml" <<EOF
name: sluice
arch: $arch
platform: linux
version: "$version"
release: "1"
section: mail
priority: optional
maintainer: The Sluice developers <developers@sluice.app>
vendor: The Sluice developers
license: Proprietary
description: |-
  Holds email and chat until your check-in times
  Sluice pulls messages from IMAP mail, Slack and a local inbox into a store
  on your machine and lets them through only at the check-in times you
  chose, so the rest of the day, and above all deep-work blocks, stay quiet.
  Urgent items (a VIP, a keyword, an urgent channel) still break through.
  It lives in the system tray; its windows open on demand.
contents:
  - src: $stage/usr/
    dst: /usr/
    type: tree
  - src: $doc/copyright
    dst: /usr/share/doc/sluice/copyright
    file_info: {mode: 0644}
  - src: $doc/changelog.Debian.gz
    dst: /usr/share/doc/sluice/changelog.Debian.gz
    file_info: {mode: 0644}
    packager: deb
  - src: $doc/lintian-overrides
    dst: /usr/share/lintian/overrides/sluice
    file_info: {mode: 0644}
    packager: deb
overrides:
  deb:
    depends:
$(tr ',' '\n' <<<"$deb_depends" | sed 's/^ *//' | yaml)
    recommends:
$(tr ',' '\n' <<<"$deb_recommends" | sed 's/^ *//' | yaml)
  rpm:
    depends:
$(while read -r so; do echo "$so()(64bit)"; done <<<"$rpm_requires" | yaml)
    recommends:
$(while read -r so; do echo "$so()(64bit)"; done <<<"$rpm_recommends" | yaml)
rpm:
  group: Applications/Internet
  summary: Holds email and chat until your check-in times
EOF
mkdir -p dist
deb="dist/sluice_${version}_${arch}.deb"
rpm="dist/sluice-${version}-1.${rpmarch}.rpm"
rm -f "$deb" "$rpm"
log "nfpm: $deb and $rpm (Depends: $deb_depends)"
GOFLAGS= go run "$NFPM" package --config "$work/nfpm.yaml" --packager deb --target "$deb" >&2
GOFLAGS= go run "$NFPM" package --config "$work/nfpm.yaml" --packager rpm --target "$rpm" >&2
log "wrote $deb ($(du -h "$deb" | cut -f1)) and $rpm ($(du -h "$rpm" | cut -f1))"
echo "$root/$deb"
echo "$root/$rpm"
