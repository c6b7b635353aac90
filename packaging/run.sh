#!/usr/bin/env bash
# Sets Sluice up on a fresh Debian/Ubuntu machine that has Go and a shell,
# builds it, and starts it (in the tray when the desktop has one).
# This is the README's run command. Arguments are passed to sluice, e.g.
#   packaging/run.sh daemon
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Runtime and build dependencies: cgo for the windows (Fyne/OpenGL), a
# session bus for the tray and notifications.
PKGS=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev
      libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev wayland-protocols dbus)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "Installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p bin
echo "Building bin/sluice (the first build takes a few minutes)…" >&2
go build -trimpath -ldflags "-s -w -X main.version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml 2>/dev/null || echo dev)" -o bin/sluice ./cmd/sluice
exec ./bin/sluice "$@"
