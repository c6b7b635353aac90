#!/usr/bin/env bash
# Installs what Sluice's tests need on a fresh Debian/Ubuntu machine that has
# Go and a shell, then runs every check: gofmt, go vet (also for macOS and
# Windows), staticcheck, and `go test -race ./...`.
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STATICCHECK_VERSION=v0.8.2

# Debian packages: Fyne's C build deps, a display, a session bus, a
# notification daemon, a real IMAP server, the reference IMAP client, and
# the desktop-file/AppStream validators.
PKGS=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev
      libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev wayland-protocols
      xvfb xauth dbus dbus-x11 dunst imagemagick dovecot-imapd openssl isync
      desktop-file-utils appstream xz-utils locales)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "== installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export PATH="$(go env GOPATH)/bin:$PATH"
if ! staticcheck -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  echo "== installing staticcheck $STATICCHECK_VERSION"
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi

export LANG=en_US.UTF-8 LC_ALL=
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...
echo "== go vet for macOS and Windows (packages without cgo)"
nocgo=$(go list -f '{{if not .CgoFiles}}{{.ImportPath}}{{end}}' ./... | grep -v -e /app/ui -e /app/desktop || true)
for os in darwin windows; do
  CGO_ENABLED=0 GOOS=$os go vet $nocgo
done

echo "== staticcheck"
staticcheck ./...

echo "== go test -race"
go test -race -count=1 -timeout 20m ./...
