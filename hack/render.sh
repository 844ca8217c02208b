#!/usr/bin/env bash
# Renders every example with the real Crossplane CLI and render engine,
# compares each render with its golden file, and validates every rendered
# object against the upstream CRDs and this project's XRDs.
#
#   hack/render.sh            render, compare, validate
#   hack/render.sh --update   rewrite the golden files instead of comparing
#
# Each example/<name>/ holds xr.yaml, composition.yaml, functions.yaml and
# xrd.yaml; observed/<scenario>.yaml are observed-state fixtures. The scenario
# "nothing-exists" renders with no observed state. Goldens: golden/<scenario>.yaml.
# Optional: required/<scenario>.yaml (resources the function requires),
# environment/<scenario>.yaml (the EnvironmentConfigs of another cluster,
# in place of example/install/environmentconfig.yaml; a scenario of its own
# when no observed state has its name) and credentials.yaml (function
# credentials).
#
# The Configuration's Compositions run function-environment-configs before
# function-fullstack; it runs here as played from its source (test/envconfigs:
# the module proxy serves no version of the real one), on RENDER_PORT + 1.
set -euo pipefail
cd "$(dirname "$0")/.."

UPDATE=false
[ "${1:-}" = "--update" ] && UPDATE=true
PORT="${RENDER_PORT:-9443}"
EC_PORT=$((PORT + 1))
CRDS_DIR="${CRDS_DIR:-../shared/crds}"
OUT=_output/render
mkdir -p "$OUT"

CLI=$(hack/tools.sh crossplane-cli)
CORE=$(hack/tools.sh crossplane-core)

for p in "$PORT" "$EC_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "render: something already listens on 127.0.0.1:$p (a function left running?); stop it or set RENDER_PORT" >&2
    exit 1
  fi
done
go build -o _output/function-fullstack .
go build -o _output/function-environment-configs ./test/envconfigs/function-environment-configs
go build -o _output/render-normalize ./hack/render-normalize
_output/function-fullstack --insecure --address="127.0.0.1:$PORT" --metrics-address= >"$OUT/function.log" 2>&1 &
FN_PID=$!
_output/function-environment-configs --insecure --address="127.0.0.1:$EC_PORT" >"$OUT/function-environment-configs.log" 2>&1 &
EC_PID=$!
trap 'kill $FN_PID $EC_PID 2>/dev/null || true' EXIT
for p in "$PORT" "$EC_PORT"; do
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break
    for pid in $FN_PID $EC_PID; do
      kill -0 "$pid" 2>/dev/null || { echo "render: a function exited; see $OUT/*.log" >&2; cat "$OUT"/function*.log >&2; exit 1; }
    done
    sleep 0.2
  done
done

# Everything an object may be validated against: upstream CRDs, our XRDs and
# the function's Input CRD.
SCHEMAS="$OUT/schemas"
rm -rf "$SCHEMAS"; mkdir -p "$SCHEMAS"
cp "$CRDS_DIR"/*.yaml "$SCHEMAS/"
rm -f "$SCHEMAS/README.md"
for f in configuration/*/definition*.yaml package/input/*.yaml; do
  cp "$f" "$SCHEMAS/$(echo "$f" | tr / _)"
done

failed=0
# The Configuration package: XRDs and Compositions against Crossplane's own CRDs.
XPCRDS="$OUT/crossplane-crds"
rm -rf "$XPCRDS"; mkdir -p "$XPCRDS"
cp "$(hack/tools.sh crossplane-crds)"/*.yaml package/input/*.yaml "$XPCRDS/"
if ! "$CLI" resource validate --crossplane-image= "$XPCRDS" configuration/ >"$OUT/configuration.validate" 2>&1; then
  echo "FAIL validate configuration/ against Crossplane's CRDs:"; grep -v '^\[✓\]' "$OUT/configuration.validate"; failed=1
else
  echo "configuration/   $(tail -1 "$OUT/configuration.validate")"
fi
# What docs/install.md has users apply.
if ! "$CLI" resource validate --crossplane-image= "$XPCRDS" example/install/ >"$OUT/install.validate" 2>&1; then
  echo "FAIL validate example/install/ against Crossplane's CRDs:"; grep -v '^\[✓\]' "$OUT/install.validate"; failed=1
else
  echo "example/install/ $(tail -1 "$OUT/install.validate")"
fi
# The GitOps examples: Flux and Argo CD objects, XRs, Namespaces, the
# Configuration. kustomization.yaml files have no schema (kustomize reads
# them; the e2e runs the real one inside kustomize-controller).
GITOPS="$OUT/gitops-schemas"
rm -rf "$GITOPS"; mkdir -p "$GITOPS"
cp "$SCHEMAS"/*.yaml "$XPCRDS"/*.yaml "$GITOPS/"
if ! "$CLI" resource validate --crossplane-image= "$GITOPS" example/gitops/ >"$OUT/gitops.validate" 2>&1; then
  echo "FAIL validate example/gitops/:"; grep -v '^\[✓\]' "$OUT/gitops.validate"; failed=1
elif grep '^\[!\]' "$OUT/gitops.validate" | grep -v 'kustomize.config.k8s.io/v1beta1, Kind=Kustomization$'; then
  echo "FAIL example/gitops/: objects without a schema (above)"; failed=1
else
  echo "example/gitops/  $(tail -1 "$OUT/gitops.validate")"
fi
for ex in example/*/; do
  # Render examples have an XR; example/backstage holds a template.
  [ -e "$ex/xr.yaml" ] || continue
  ex=${ex%/}; name=$(basename "$ex")
  # An example renders against the XRD the Configuration ships, never a copy
  # that drifts from it.
  case "$(readlink "$ex/xrd.yaml")" in
    ../../configuration/*/definition*.yaml) ;;
    *) echo "FAIL $name: xrd.yaml must be a symlink to a configuration/*/definition*.yaml"; failed=1; continue ;;
  esac
  fnfile="$OUT/$name.functions.yaml"
  sed -e "s/127.0.0.1:9443/127.0.0.1:$PORT/" -e "s/127.0.0.1:9444/127.0.0.1:$EC_PORT/" "$ex/functions.yaml" >"$fnfile"
  scenarios="nothing-exists"
  for o in "$ex"/observed/*.yaml; do [ -e "$o" ] && scenarios="$scenarios $(basename "$o" .yaml)"; done
  for o in "$ex"/environment/*.yaml; do
    [ -e "$o" ] && [ ! -e "$ex/observed/$(basename "$o")" ] && scenarios="$scenarios $(basename "$o" .yaml)"
  done
  for sc in $scenarios; do
    args=()
    [ -e "$ex/observed/$sc.yaml" ] && args=(-o "$ex/observed/$sc.yaml")
    # The platform's EnvironmentConfigs, as a team applies them (or another
    # cluster's), for the Compositions whose first step selects them.
    if [ -e "$ex/environment/$sc.yaml" ]; then
      args+=(-e "$ex/environment/$sc.yaml")
    else
      args+=(-e example/install/environmentconfig.yaml)
    fi
    # Resources the function asks Crossplane for (a provider's password
    # Secret), and function credentials, where the example has them.
    [ -e "$ex/required/$sc.yaml" ] && args+=(-e "$ex/required/$sc.yaml")
    [ -e "$ex/credentials.yaml" ] && args+=(--function-credentials="$ex/credentials.yaml")
    got="$OUT/$name.$sc.yaml"
    if ! "$CLI" render "$ex/xr.yaml" "$ex/composition.yaml" "$fnfile" \
        --crossplane-binary="$CORE" --xrd="$ex/xrd.yaml" -r -x --timeout=60s "${args[@]}" >"$got.raw" 2>"$got.err"; then
      echo "FAIL render $name/$sc:"; cat "$got.err"; failed=1; continue
    fi
    _output/render-normalize <"$got.raw" >"$got"
    want="$ex/golden/$sc.yaml"
    if $UPDATE; then
      mkdir -p "$ex/golden"; cp "$got" "$want"
    elif ! diff -u "$want" "$got" >"$got.diff"; then
      echo "FAIL golden $name/$sc: the render differs from $want (hack/render.sh --update rewrites it):"
      head -60 "$got.diff"; failed=1
    fi
    # Results (render.crossplane.io Result) have no schema; validate the rest.
    if ! "$CLI" resource validate --crossplane-image= "$SCHEMAS" "$got" >"$got.validate" 2>&1; then
      echo "FAIL validate $name/$sc:"; grep -v '^\[✓\]' "$got.validate"; failed=1
    fi
    composed=$(grep -c 'crossplane.io/composition-resource-name:' "$got" || true)
    ready=$(awk '/^  - lastTransitionTime/{c=""} /^    type: Ready$/{print prev} {prev=$0}' "$got" | head -1 | sed 's/.*status: //')
    printf '%-16s %-16s composed=%-2s XR Ready=%s\n' "$name" "$sc" "$composed" "$ready"
    awk '/^kind:/{k=$2} /^  name:/{if (k!="" && k!="Result") print "    " k " " $2; k=""}' "$got" | sort
  done
done
if [ $failed -ne 0 ]; then echo "render: FAILED"; exit 1; fi
if $UPDATE; then echo "render: golden files rewritten"; else echo "render: every example matches its golden file and validates"; fi
