#!/usr/bin/env bash
# Builds the pinned tools this project needs and caches them by version, so a
# second run costs seconds. The module proxy here refuses @latest and `go
# install` for Crossplane modules, so each tool is built from its downloaded
# module directory.
#
# Usage: hack/tools.sh crossplane-cli|crossplane-core|controller-gen
# Prints the path of the binary on stdout.
set -euo pipefail

CROSSPLANE_CLI_VERSION="${CROSSPLANE_CLI_VERSION:-v2.5.0}"
CROSSPLANE_CORE_VERSION="${CROSSPLANE_CORE_VERSION:-v2.4.0}"
CROSSPLANE_CORE_APIS_VERSION="${CROSSPLANE_CORE_APIS_VERSION:-v2.4.0}"
CONTROLLER_GEN_VERSION="${CONTROLLER_GEN_VERSION:-v0.20.0}"

CACHE="${FULLSTACK_TOOLS_CACHE:-$HOME/.cache/function-fullstack/bin}"
mkdir -p "$CACHE"

log() { echo "tools: $*" >&2; }

moddir() { # MOD@VER -> module directory in the module cache
  GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

build_from_module() { # out mod ver pkg [apis-mod apis-ver]
  local out=$1 mod=$2 ver=$3 pkg=$4 apismod=${5:-} apisver=${6:-}
  local src work
  src=$(moddir "$mod@$ver")
  [ -n "$src" ] || { log "cannot download $mod@$ver"; exit 1; }
  work=$(mktemp -d)
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  if [ -n "$apismod" ]; then
    local apis
    apis=$(moddir "$apismod@$apisver")
    rm -rf "$work/apis"; cp -r "$apis" "$work/apis"; chmod -R u+w "$work/apis"
  fi
  log "building $mod@$ver ($pkg); this takes minutes the first time"
  (cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

case "${1:-}" in
  crossplane-cli)
    out="$CACHE/crossplane-cli-$CROSSPLANE_CLI_VERSION"
    [ -x "$out" ] || build_from_module "$out" github.com/crossplane/cli/v2 "$CROSSPLANE_CLI_VERSION" ./cmd/crossplane
    ;;
  crossplane-core)
    out="$CACHE/crossplane-core-$CROSSPLANE_CORE_VERSION"
    [ -x "$out" ] || build_from_module "$out" github.com/crossplane/crossplane/v2 "$CROSSPLANE_CORE_VERSION" ./cmd/crossplane \
      github.com/crossplane/crossplane/apis/v2 "$CROSSPLANE_CORE_APIS_VERSION"
    ;;
  controller-gen)
    out="$CACHE/controller-gen-$CONTROLLER_GEN_VERSION"
    [ -x "$out" ] || build_from_module "$out" sigs.k8s.io/controller-tools "$CONTROLLER_GEN_VERSION" ./cmd/controller-gen
    ;;
  *) echo "usage: $0 crossplane-cli|crossplane-core|controller-gen" >&2; exit 2 ;;
esac
echo "$out"
