#!/usr/bin/env bash
# Renders the app icon (assets/app/sluice.svg) into the PNG sizes the
# hicolor theme, the fyne tool and the Windows/macOS bundles use, and writes
# them next to the SVG as sluice-<size>.png. The PNGs are committed, so a
# build does not need the renderer; run this after editing the SVG.
# It also packs assets/app/sluice.ico (16 to 256 px) for the Windows
# installer. Needs rsvg-convert (librsvg2-bin) and convert (imagemagick).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v rsvg-convert >/dev/null; then
  echo "render-icons: rsvg-convert not found; install the Debian package librsvg2-bin" >&2
  exit 1
fi
for size in 16 22 24 32 48 64 128 256 512; do
  rsvg-convert --width "$size" --height "$size" --format png \
    --output "assets/app/sluice-$size.png" assets/app/sluice.svg
done
convert assets/app/sluice-{16,24,32,48,64,256}.png assets/app/sluice.ico
echo "rendered assets/app/sluice-{16,22,24,32,48,64,128,256,512}.png and sluice.ico"
