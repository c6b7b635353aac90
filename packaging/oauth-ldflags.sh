#!/usr/bin/env bash
# Prints the -ldflags -X options that build OAuth client IDs into Sluice,
# from the environment (see packaging/OAUTH.md for how to register them):
#
#   SLUICE_GOOGLE_CLIENT_ID, SLUICE_GOOGLE_CLIENT_SECRET   (a Google "Desktop app")
#   SLUICE_MICROSOFT_CLIENT_ID                             (a Microsoft Entra app)
#
# Prints nothing when none is set: users then give their own per account
# (oauth_client_id). The build scripts append its output to their ldflags.
set -euo pipefail
pkg=github.com/sluice-app/sluice/app/oauth
out=()
add() {
  local var=$1 name=$2 value=${!1:-}
  [ -z "$value" ] && return 0
  case "$value" in
    *[[:space:]\'\"]*) echo "oauth-ldflags: $var must not contain spaces or quotes" >&2; exit 1 ;;
  esac
  out+=("-X $pkg.$name=$value")
}
add SLUICE_GOOGLE_CLIENT_ID GoogleClientID
add SLUICE_GOOGLE_CLIENT_SECRET GoogleClientSecret
add SLUICE_MICROSOFT_CLIENT_ID MicrosoftClientID
echo "${out[*]:-}"
