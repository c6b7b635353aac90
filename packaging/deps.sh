#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Sluice needs for a purpose, skipping
# those already installed (apt-get as root, else through sudo).
#   packaging/deps.sh run    build and run Sluice (cgo for the windows, D-Bus)
#   packaging/deps.sh test   everything the tests need as well
set -euo pipefail

BUILD=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev
       libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev wayland-protocols dbus)
# A display, a session bus, a notification daemon, a real IMAP server (with
# Pigeonhole Sieve, ManageSieve and LMTP delivery), the reference IMAP
# client, a real CalDAV server (Radicale), the desktop-file and AppStream
# validators, icons, a real Secret Service keyring (the OAuth2 end-to-end
# test); for other apps' do-not-disturb: notify-send, GNOME's GSettings
# with dconf, XFCE's xfconf and notification daemon.
# Packaging: lintian and dpkg-shlibdeps for the .deb; mingw-w64, wixl and
# msitools for the Windows build and MSI; Wine and xdotool to run them.
TEST=(xvfb xauth dbus-x11 dunst imagemagick dovecot-imapd dovecot-sieve dovecot-managesieved dovecot-lmtpd openssl isync
      desktop-file-utils appstream xz-utils librsvg2-bin systemd locales git make radicale
      gnome-keyring libnotify-bin gsettings-desktop-schemas dconf-service libglib2.0-bin
      xfconf xfce4-notifyd
      lintian dpkg-dev gcc-mingw-w64-x86-64 wixl msitools wine wine64 xdotool)

case "${1:-}" in
  run)  PKGS=("${BUILD[@]}") ;;
  test) PKGS=("${BUILD[@]}" "${TEST[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "Installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
