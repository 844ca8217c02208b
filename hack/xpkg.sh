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
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=_output/xpkg
CLI=$(hack/tools.sh crossplane-cli)
t0=$(date +%s)
rm -rf "$OUT"; mkdir -p "$OUT"
for arch in amd64 arm64; do
  mkdir -p "$OUT/linux-$arch"
  # Static (no cgo), reproducible (no paths, no build ID).
  CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -ldflags='-s -w -buildid=' -o "$OUT/linux-$arch/function" .
  go run ./hack/image -binary "$OUT/linux-$arch/function" -arch "$arch" -o "$OUT/runtime-$arch.tar"
  "$CLI" xpkg build --package-root=package \
    --embed-runtime-image-tarball="$OUT/runtime-$arch.tar" -o "$OUT/function-fullstack-$arch.xpkg"
done
"$CLI" xpkg build --package-root=configuration -o "$OUT/configuration-fullstack.xpkg"
# Open what was built: metadata, capabilities, Input CRD, image user,
# entrypoint, platform and a static binary of the right architecture.
XPKG_DIR="$(pwd)/$OUT" go test -count=1 -v -tags xpkg ./test/xpkg/ >"$OUT/test.log" 2>&1 || { cat "$OUT/test.log"; exit 1; }
sed -n "s/^ *xpkg_test.go:[0-9]*: //p" "$OUT/test.log" | sort -u
ls -l "$OUT"/*.xpkg | awk '{print "xpkg: " $5 " bytes  " $9}'
echo "xpkg: built and checked in $(($(date +%s) - t0))s"
