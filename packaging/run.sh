#!/usr/bin/env bash
# Sets Sluice up on a fresh Debian/Ubuntu machine that has Go and a shell,
# builds it, and starts it (in the tray when the desktop has one).
# This is the README's run command. Arguments are passed to sluice, e.g.
#   packaging/run.sh daemon
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packaging/deps.sh run

mkdir -p bin
version=$(sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml 2>/dev/null || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
ldflags="-s -w -X main.version=${version:-dev} -X github.com/sluice-app/sluice/app/cli.Commit=$commit"
ldflags="$ldflags $(packaging/oauth-ldflags.sh)" # OAuth client IDs from the environment, if any
echo "Building bin/sluice and bin/sluice-ui (the first build of the windows takes a few minutes)…" >&2
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o bin/sluice ./cmd/sluice
go build -trimpath -ldflags "$ldflags" -o bin/sluice-ui ./cmd/sluice-ui
exec ./bin/sluice "$@"
