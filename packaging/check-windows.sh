#!/usr/bin/env bash
# CI check of Sluice on Windows, run under Wine on Linux:
#
#   1. packaging/build-windows.sh builds sluice.exe, sluicew.exe,
#      sluice-ui.exe (mingw-w64) and the MSI, once;
#   2. a fresh Wine prefix gets the stand-in bcryptprimitives.dll, built
#      here from packaging/windows/bcryptprimitives.c (Go 1.24+ programs
#      need ProcessPrng, which Wine 8.0 lacks); nothing of Linux's leaks in
#      (GOROOT and ZONEINFO unset, programs run from C:);
#   3. `msiexec /i … /qn AUTOSTART=1` installs per user: the programs,
#      the Start menu shortcut, the AppUserModelID, start at login;
#   4. end to end with the installed sluice.exe: a daemon whose schedule
#      zone is Europe/Berlin (the embedded zone database), send, held,
#      focus, checkin, digest, a second daemon (exit 3), `sluice quit`, and
#      nothing left (no control.json; the named pipe is gone, so status
#      exits 4); meanwhile the idle RSS and CPU of sluice.exe under Wine
#      and of the Linux sluice, side by side (indicative only);
#   5. the desktop app (sluicew.exe) in Wine's desktop under Xvfb: a
#      screenshot of the digest window and one of the tray menu, into
#      out/screenshots/windows-{digest,tray}.png;
#   6. `msiexec /x` uninstalls: no program, shortcut or registry value left;
#   7. the tests of the domain, the store and the Windows-specific packages
#      cross-compiled with `GOOS=windows go test -c` and run under Wine.
#
# Usage: packaging/check-windows.sh
# Debian packages: wine wine64 gcc-mingw-w64-x86-64 wixl msitools xvfb
# imagemagick xdotool (packaging/deps.sh test installs them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
start=$(date +%s)

fail() {
  echo "check-windows: FAIL: $*" >&2
  exit 1
}
need() {
  command -v "$1" >/dev/null 2>&1 || fail "$1 not found; install the Debian package $2"
}
need wine wine
[ -x /usr/lib/wine/wine64 ] || fail "/usr/lib/wine/wine64 not found; install the Debian package wine64"
need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
need wixl wixl
need msiinfo msitools
need Xvfb xvfb
need import imagemagick
need xdotool xdotool

echo "== build (packaging/build-windows.sh)"
msi=$(packaging/build-windows.sh | tail -n1)
[ -f "$msi" ] || fail "no MSI at $msi"
built=$(date +%s)

tmp=$(mktemp -d)
pids=()
cleanup() {
  wineserver -k 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

export WINEPREFIX="$tmp/prefix" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset GOROOT ZONEINFO SLUICE_CONFIG SLUICE_DATA SLUICE_TEST_NOW DBUS_SESSION_BUS_ADDRESS
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" 2>"$tmp/xvfb.log" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$tmp/display" ] && break; sleep 0.1; done
export DISPLAY=":$(cat "$tmp/display")"

echo "== Wine prefix"
wineboot -i >/dev/null 2>&1 || true
c="$WINEPREFIX/drive_c"
[ -d "$c/windows/system32" ] || fail "wineboot made no prefix"
x86_64-w64-mingw32-gcc -shared -O2 -o "$c/windows/system32/bcryptprimitives.dll" \
  packaging/windows/bcryptprimitives.c packaging/windows/bcryptprimitives.def -ladvapi32
user=$(basename "$(find "$c/users" -mindepth 1 -maxdepth 1 -type d ! -name Public | head -n1)")
home="$c/users/$user"
winhome="C:\\users\\$user"

echo "== msiexec /i $(basename "$msi") /qn AUTOSTART=1"
cp "$msi" "$c/Sluice.msi"
wine msiexec /i 'C:\Sluice.msi' /qn AUTOSTART=1 || fail "msiexec /i exited with $?"
inst="$home/AppData/Local/Programs/Sluice"
wininst="$winhome\\AppData\\Local\\Programs\\Sluice"
for f in sluice.exe sluicew.exe sluice-ui.exe sluice.png; do
  [ -f "$inst/$f" ] || fail "the MSI did not install $f into $inst"
done
lnk="$home/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Sluice.lnk"
[ -f "$lnk" ] || fail "no Start menu shortcut at $lnk"
reg() { wine reg query "$@" 2>/dev/null | tr -d '\r'; }
reg 'HKCU\Software\Microsoft\Windows\CurrentVersion\Run' /v Sluice | grep -qF "$wininst\\sluicew.exe" ||
  fail "AUTOSTART=1 did not register start at login: $(reg 'HKCU\Software\Microsoft\Windows\CurrentVersion\Run')"
reg 'HKCU\Software\Classes\AppUserModelId\app.sluice.Sluice' /v DisplayName | grep -q 'Sluice' ||
  fail "the MSI did not register the AppUserModelID's name"
msiinfo export "$msi" MsiShortcutProperty | grep -q 'System.AppUserModel.ID.*app.sluice.Sluice' ||
  fail "the shortcut does not carry the AppUserModelID"
echo "installed into $wininst, with shortcut, AppUserModelID and start at login"

# The end-to-end runs use their own folder on C: and a test clock:
# Monday 23 November 2026, 12:00 in Berlin, between the 11:00 and 16:00
# check-ins of the "twice a day" rhythm.
mkdir -p "$c/sluice-e2e"
printf 'version = 1\n[schedule]\ntemplate = "twice-a-day"\nzone = "Europe/Berlin"\n' >"$c/sluice-e2e/config.toml"
export SLUICE_TEST_NOW=2026-11-23T12:00:00+01:00
sl() { wine "$wininst\\sluice.exe" --config 'C:\sluice-e2e\config.toml' --data 'C:\sluice-e2e\data' "$@" | tr -d '\r'; }
slcode() {
  local code=0
  wine "$wininst\\sluice.exe" --config 'C:\sluice-e2e\config.toml' --data 'C:\sluice-e2e\data' "$@" >"$tmp/out" 2>&1 || code=$?
  echo "$code"
}
waitrunning() {
  for _ in $(seq 1 150); do
    sl status >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

echo "== sluice.exe daemon, zone Europe/Berlin"
wine "$wininst\\sluice.exe" --config 'C:\sluice-e2e\config.toml' --data 'C:\sluice-e2e\data' daemon 2>"$tmp/daemon.log" &
daemon=$!
pids+=($daemon)
waitrunning || fail "the daemon did not answer: $(cat "$tmp/daemon.log")"
st=$(sl status)
echo "$st"
grep -q 'Europe/Berlin' <<<"$(sl status --json)" || fail "status does not name the zone: $st"
grep -q 'next check-in 16:00' <<<"$st" || fail "status: want the next check-in at 16:00 Berlin time"

id=$(sl send --title 'Deploy finished' --from 'CI <ci@example.com>' --body 'all green')
[ ${#id} -ge 8 ] || fail "send printed '$id'"
sl send --title 'Lunch on Friday?' --from 'Ann <ann@example.com>' >/dev/null
[ "$(sl held --json | grep -o '"id"' | wc -l)" = 2 ] || fail "held: $(sl held)"
sl focus 25m | grep -q Focus || fail "focus 25m"
sl status | grep -q '^Focus' || fail "status after focus: $(sl status)"
sl checkin | grep -q 'Checked in: 2 released' || fail "checkin did not release the two items"
[ "$(sl held --json | grep -o '"id"' | wc -l)" = 0 ] || fail "still held after checkin: $(sl held)"
sl digest | grep -q 'Deploy finished' || fail "digest: $(sl digest)"
sl explain "${id:0:8}" | grep -q 'released' || fail "explain: $(sl explain "${id:0:8}")"
echo "send, held, focus, checkin, digest, explain: ok"

code=$(slcode daemon)
[ "$code" = 3 ] || fail "a second daemon exited with $code, want 3: $(cat "$tmp/out")"
grep -q 'already running' "$tmp/out" || fail "second daemon said: $(cat "$tmp/out")"
echo "a second daemon exits 3"

echo "== idle: sluice.exe daemon under Wine beside the Linux daemon (indicative)"
linux_bin="$tmp/sluice-linux"
CGO_ENABLED=0 go build -trimpath -o "$linux_bin" ./cmd/sluice
SLUICE_TEST_NOW= "$linux_bin" --config "$c/sluice-e2e/config.toml" --data "$tmp/linux-data" daemon 2>"$tmp/linux.log" &
linux=$!
pids+=($linux)
for _ in $(seq 1 100); do "$linux_bin" --data "$tmp/linux-data" status >/dev/null 2>&1 && break; sleep 0.1; done
winpid=$(pgrep -f 'Programs.Sluice.sluice\.exe.*daemon' | head -n1 || true)
sample() { # pid → "rss_kB cpu_ticks"
  awk '/^VmRSS/ {print $2}' "/proc/$1/status" | tr '\n' ' '
  awk '{print $14 + $15}' "/proc/$1/stat"
}
if [ -n "$winpid" ]; then
  sleep 2
  read -r wr0 wc0 <<<"$(sample "$winpid")"
  read -r lr0 lc0 <<<"$(sample "$linux")"
  sleep 20
  read -r wr1 wc1 <<<"$(sample "$winpid")"
  read -r lr1 lc1 <<<"$(sample "$linux")"
  hz=$(getconf CLK_TCK)
  awk -v wr="$wr1" -v wc=$((wc1 - wc0)) -v lr="$lr1" -v lc=$((lc1 - lc0)) -v hz="$hz" \
    'BEGIN { printf "idle 20 s: sluice.exe daemon under Wine: RSS %.1f MB, CPU %.2f s; Linux sluice daemon: RSS %.1f MB, CPU %.2f s\n", wr/1024, wc/hz, lr/1024, lc/hz }'
else
  echo "note: could not find the Wine process of sluice.exe; no idle figures"
fi
kill "$linux" && wait "$linux" 2>/dev/null || true

echo "== sluice quit"
sl quit | grep -q 'Sluice has quit' || fail "quit: $(cat "$tmp/out")"
code=0
wait "$daemon" || code=$?
[ "$code" = 0 ] || fail "the daemon exited with $code after quit: $(cat "$tmp/daemon.log")"
code=$(slcode status)
[ "$code" = 4 ] || fail "status after quit exited $code, want 4 (not running): $(cat "$tmp/out")"
left=$(ls "$c/sluice-e2e/data")
[ "$(tr '\n' ' ' <<<"$left")" = "local-token sluice.db " ] || fail "files left in the data folder: $left"
echo "quit: the daemon exited, the pipe is gone, only the store and the inbox token remain"

echo "== desktop: sluicew.exe in Wine's desktop, digest and tray"
rm -rf "$c/sluice-e2e/data"
wine explorer /desktop=sluice,1280x800 "$wininst\\sluicew.exe" --config 'C:\sluice-e2e\config.toml' --data 'C:\sluice-e2e\data' >/dev/null 2>&1 &
pids+=($!)
waitrunning || fail "the desktop app did not answer"
for _ in $(seq 1 50); do sl status --json | grep -q '"tray": *"shown"' && break; sleep 0.2; done
sl status --json | grep -q '"tray": *"shown"' || fail "no tray icon: $(sl status)"
sl send --title 'Quarterly report draft' --from 'Dana Lee <dana@example.com>' --body 'Numbers for Q3 attached; comments by Friday?' >/dev/null
sl send --title 'Build failed on main' --from 'CI <ci@example.com>' --body 'test ./app/gate timed out' >/dev/null
sl send --title 'Lunch on Friday?' --from 'Ann <ann@example.com>' >/dev/null
sl checkin >/dev/null
# `sluice ui digest` runs the window in the foreground, like a user's
# shortcut would.
wine "$wininst\\sluice.exe" --config 'C:\sluice-e2e\config.toml' --data 'C:\sluice-e2e\data' ui digest >/dev/null 2>&1 &
pids+=($!)
mkdir -p out/screenshots
# Wine's desktop is one X window, so wait until the digest has painted
# its white page over the desktop's background where the window opens.
bg=$(import -window root "$tmp/shot.png" && convert "$tmp/shot.png" -format '%[pixel:p{640,400}]' info:)
drawn=false
for _ in $(seq 1 120); do
  sleep 1
  import -window root "$tmp/shot.png"
  px=$(convert "$tmp/shot.png" -format '%[pixel:p{400,600}]' info:)
  if [ "$px" != "$bg" ]; then
    drawn=true
    break
  fi
done
$drawn || fail "the digest window did not appear (background $bg, at 400,600: $px)"
sleep 3 # let the list fill in
import -window root out/screenshots/windows-digest.png
echo "wrote out/screenshots/windows-digest.png"
wine taskkill /f /im sluice-ui.exe >/dev/null 2>&1 || true
sleep 2
# The tray sits at the right end of the taskbar of Wine's desktop; the
# menu opens above it. The pointer then moves off the icon, so its
# tooltip does not cover the menu; a click on the desktop closes the menu.
xdotool mousemove 1268 789 click 3
sleep 1
xdotool mousemove 600 400
sleep 2
import -window root out/screenshots/windows-tray.png
echo "wrote out/screenshots/windows-tray.png"
xdotool click 1
sleep 1
sl quit >/dev/null || fail "quit the desktop app: $(sl status)"

echo "== msiexec /x"
wine msiexec /x 'C:\Sluice.msi' /qn || fail "msiexec /x exited with $?"
[ ! -e "$inst" ] || fail "uninstall left $(ls -A "$inst")"
[ ! -e "$lnk" ] || fail "uninstall left the Start menu shortcut"
! reg 'HKCU\Software\Microsoft\Windows\CurrentVersion\Run' /v Sluice | grep -q sluicew || fail "uninstall left start at login"
! reg 'HKCU\Software\Classes\AppUserModelId\app.sluice.Sluice' | grep -q DisplayName || fail "uninstall left the AppUserModelID"
! reg 'HKCU\Software\Sluice' | grep -q InstallDir || fail "uninstall left HKCU\\Software\\Sluice"
echo "uninstalled: no file, shortcut or registry value left"
scenario=$(date +%s)

echo "== Windows test binaries under Wine"
# Go's os.RemoveAll (used by t.TempDir's cleanup) asks for
# FileDispositionInformationEx, which Wine 8.0 answers "not implemented";
# Go falls back only for the statuses Windows gives. The test binaries are
# built with that status added to the fallback (an overlay of one std
# file, for these Wine runs only; the shipped programs are untouched).
at="$(go env GOROOT)/src/internal/syscall/windows/at_windows.go"
grep -q 'STATUS_NOT_SUPPORTED:     // the file system' "$at" || fail "Go's Deleteat changed; update the Wine overlay"
sed 's|^\t\tSTATUS_NOT_SUPPORTED:     // the file system|\t\tSTATUS_NOT_SUPPORTED, NTStatus(0xC0000002): // Wine: not implemented; the file system|' \
  "$at" >"$tmp/at_windows.go"
printf '{"Replace":{"%s":"%s"}}' "$at" "$tmp/at_windows.go" >"$tmp/overlay.json"
pkgs=(app/model app/schedule app/rules app/gate app/config app/store app/secrets app/control app/desktop connectors/local)
failed=()
for p in "${pkgs[@]}"; do
  n=${p//\//-}
  d="$c/tests/$n"
  mkdir -p "$d"
  # timetzdata: the test binaries carry the zone database, as both
  # programs do (Wine has none and Z: must not lend the machine's).
  GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -tags timetzdata -overlay "$tmp/overlay.json" -c -o "$d/$n.test.exe" "./$p"
  [ -d "$p/testdata" ] && cp -r "$p/testdata" "$d/"
  # Run where go test would: in the package's folder (here its copy on C:).
  if (cd "$d" && wine "$n.test.exe" -test.timeout 300s >"$tmp/$n.log" 2>&1); then
    echo "ok   $p"
  else
    echo "FAIL $p"
    tr -d '\r' <"$tmp/$n.log" | grep -v '^=== ' | tail -n 30
    failed+=("$p")
  fi
done
[ ${#failed[@]} = 0 ] || fail "tests failed under Wine: ${failed[*]}"
end=$(date +%s)
echo "check-windows: OK (MSI $(du -h "$msi" | cut -f1); build $((built - start)) s, install and scenario $((scenario - built)) s, tests $((end - scenario)) s)"
