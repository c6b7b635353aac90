#!/usr/bin/env bash
# Installs what Sluice's tests need on a fresh Debian/Ubuntu machine that has
# Go and a shell, then runs every check: gofmt, go vet (also for macOS and
# Windows), staticcheck, `go test -race ./...`, the Linux packages
# (packaging/check-linux.sh) and Windows under Wine
# (packaging/check-windows.sh).
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

STATICCHECK_VERSION=v0.8.2

packaging/deps.sh test

export PATH="$(go env GOPATH)/bin:$PATH"
if ! staticcheck -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
  echo "== installing staticcheck $STATICCHECK_VERSION"
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi

export LANG=en_US.UTF-8 LC_ALL=
# Every build here uses the release flags (packaging/build-linux.sh), so
# Fyne's OpenGL driver, the slowest thing to compile, is compiled once and
# shared by vet, the screenshot test and the package.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath -tags=migrated_fynedo"
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...
echo "== go vet for macOS and Windows (every package that builds there without cgo)"
for os in darwin windows; do
  # Packages whose build constraints exclude the OS (the Dovecot harness is
  # Unix-only) are listed with an error and skipped; the windows binary needs
  # cgo everywhere.
  pkgs=$(CGO_ENABLED=0 GOOS=$os go list -e -f '{{if not .Error}}{{.ImportPath}}{{end}}' ./... | grep -v -e /app/ui -e /cmd/sluice-ui)
  CGO_ENABLED=0 GOOS=$os go vet $pkgs
done

echo "== staticcheck"
staticcheck ./...

echo "== Dendrite for the Matrix tests (built once from the module proxy, then cached)"
go run ./connectors/matrix/dendritetest/build

echo "== go test -race"
go test -race -count=1 -timeout 20m ./...

echo "== Linux package (archive, .deb, .rpm)"
packaging/check-linux.sh

echo "== Windows, under Wine"
packaging/check-windows.sh
