#!/usr/bin/env bash
# Builds the two Crossplane packages without a Docker daemon, then checks them:
#   _output/xpkg/function-fullstack-{amd64,arm64}.xpkg   the Function package
#       (package/: crossplane.yaml and the Input CRD), each embedding the
#       runtime image of its platform (hack/image: the static binary as
#       /function, user 65532)
#   _output/xpkg/configuration-fullstack.xpkg            the Configuration
#       package (configuration/: XRDs and Compositions of both composites,
#       depending on the Function)
# Push them with
#   crossplane xpkg push -f _output/xpkg/function-fullstack-amd64.xpkg,_output/xpkg/function-fullstack-arm64.xpkg REGISTRY/fullstack-fn/function-fullstack:TAG
#   crossplane xpkg push -f _output/xpkg/configuration-fullstack.xpkg REGISTRY/fullstack-fn/configuration-fullstack:TAG
#
# The binary is stamped with VERSION (default v0.1.0, -X main.version). With
# UPGRADE_VERSION set (the e2e sets v0.2.0), it also builds the next release
# a live install upgrades to, in $OUT/upgrade/: the function (linux/amd64)
# stamped UPGRADE_VERSION, and the Configuration whose dependsOn moves to
# ">=UPGRADE_VERSION <next minor" (what a release bumps).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=_output/xpkg
VERSION="${VERSION:-v0.1.0}"
CLI=$(hack/tools.sh crossplane-cli)
t0=$(date +%s)
rm -rf "$OUT"; mkdir -p "$OUT"
function_xpkg() { # arch version out
  local arch=$1 version=$2 out=$3 dir
  dir=$(dirname "$out")/linux-$arch-$version
  mkdir -p "$dir"
  # Static (no cgo), reproducible (no paths, no build ID).
  CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags="-s -w -buildid= -X main.version=$version" -o "$dir/function" .
  go run ./hack/image -binary "$dir/function" -arch "$arch" -o "$dir/runtime.tar"
  "$CLI" xpkg build --package-root=package \
    --embed-runtime-image-tarball="$dir/runtime.tar" -o "$out"
}
for arch in amd64 arm64; do
  function_xpkg "$arch" "$VERSION" "$OUT/function-fullstack-$arch.xpkg"
done
"$CLI" xpkg build --package-root=configuration -o "$OUT/configuration-fullstack.xpkg"
# The Configuration's other dependency, function-environment-configs, as the
# e2e plays it (test/envconfigs: the module proxy serves no version of the
# real one): its package metadata only, no runtime image.
mkdir -p "$OUT/played"
"$CLI" xpkg build --package-root=test/envconfigs/package -o "$OUT/played/function-environment-configs.xpkg"
if [ -n "${UPGRADE_VERSION:-}" ]; then
  mkdir -p "$OUT/upgrade"
  function_xpkg amd64 "$UPGRADE_VERSION" "$OUT/upgrade/function-fullstack-amd64.xpkg"
  minor=${UPGRADE_VERSION#v0.}; minor=${minor%%.*}
  rm -rf "$OUT/upgrade/configuration"; cp -r configuration "$OUT/upgrade/configuration"
  sed -i "s/version: \">=v0.1.0 <v0.2.0\"/version: \">=$UPGRADE_VERSION <v0.$((minor + 1)).0\"/" "$OUT/upgrade/configuration/crossplane.yaml"
  grep -q ">=$UPGRADE_VERSION" "$OUT/upgrade/configuration/crossplane.yaml" || { echo "xpkg: cannot move the dependsOn range to $UPGRADE_VERSION"; exit 1; }
  # The release also changes every Composition, without changing what it
  # composes: its pipeline step is called compose. Crossplane then makes a
  # new CompositionRevision of each, which XRs with
  # compositionUpdatePolicy: Manual do not take until moved by hand.
  sed -i 's/^    - step: compose-\(app\|service\)$/    - step: compose/' "$OUT/upgrade/configuration"/*/composition*.yaml
  [ "$(grep -c '^    - step: compose$' "$OUT/upgrade/configuration"/*/composition*.yaml | grep -c ':1$')" = 4 ] || { echo "xpkg: cannot rename the Compositions' step"; exit 1; }
  "$CLI" xpkg build --package-root="$OUT/upgrade/configuration" -o "$OUT/upgrade/configuration-fullstack.xpkg"
fi
# Open what was built: metadata, capabilities, Input CRD, image user,
# entrypoint, platform and a static binary of the right architecture.
XPKG_DIR="$(pwd)/$OUT" go test -count=1 -v -tags xpkg ./test/xpkg/ >"$OUT/test.log" 2>&1 || { cat "$OUT/test.log"; exit 1; }
sed -n "s/^ *xpkg_test.go:[0-9]*: //p" "$OUT/test.log" | sort -u
ls -l "$OUT"/*.xpkg | awk '{print "xpkg: " $5 " bytes  " $9}'
echo "xpkg: built and checked in $(($(date +%s) - t0))s"
