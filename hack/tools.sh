#!/usr/bin/env bash
# Builds the pinned tools this project needs and caches them by version, so a
# second run costs seconds. The module proxy here refuses @latest and `go
# install` for Crossplane modules, so each tool is built from its downloaded
# module directory.
#
# Usage: hack/tools.sh crossplane-cli|crossplane-core|crossplane-chart|helm|controller-gen|golangci-lint|crossplane-crds|kube-apiserver|kube-controller-manager|kube-scheduler|rollouts-controller|kwok|actionlint|source-controller|kustomize-controller|argocd|argocd-crds|kustomize
# Prints the path of the binary on stdout.
set -euo pipefail

CROSSPLANE_CLI_VERSION="${CROSSPLANE_CLI_VERSION:-v2.5.0}"
# Crossplane core: the newest that builds from the module proxy (checked
# 2026-12-06). v2.4.1, v2.4.3 and every v2.5.x are refused (403); v2.4.2 is
# served but requires crossplane-runtime v2.4.2, which is refused. Its go.mod
# replaces the nested apis module with ./apis, which the zip leaves out. The
# previous minor: CROSSPLANE_CORE_VERSION=v2.3.3 CROSSPLANE_CORE_APIS_VERSION=v2.3.3.
CROSSPLANE_CORE_VERSION="${CROSSPLANE_CORE_VERSION:-v2.4.0}"
CROSSPLANE_CORE_APIS_VERSION="${CROSSPLANE_CORE_APIS_VERSION:-v2.4.0}"
CONTROLLER_GEN_VERSION="${CONTROLLER_GEN_VERSION:-v0.20.0}"
GOLANGCI_LINT_VERSION="${GOLANGCI_LINT_VERSION:-v2.11.4}"
KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.35.3}"
# The version of the Argo Rollouts CRDs in ../shared/crds.
ARGO_ROLLOUTS_VERSION="${ARGO_ROLLOUTS_VERSION:-v1.9.1}"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
# The versions of the Flux CRDs in ../shared/crds.
FLUX_SOURCE_CONTROLLER_VERSION="${FLUX_SOURCE_CONTROLLER_VERSION:-v1.9.1}"
FLUX_KUSTOMIZE_CONTROLLER_VERSION="${FLUX_KUSTOMIZE_CONTROLLER_VERSION:-v1.9.4}"
# Argo CD's application-controller, repo-server and applicationset-controller
# (one binary, cmd/main.go, that runs the component its name or
# ARGOCD_BINARY_NAME says). v3.2.6 is the newest v3 that builds from the
# module proxy here: v3.3.x and later leave their nested gitops-engine module
# out of the module zip (checked 2026-12-06). The CRDs the e2e installs come
# from this module's manifests/crds.
ARGOCD_VERSION="${ARGOCD_VERSION:-v3.2.6}"
# The kustomize Argo CD v3.2.6 ships (its hack/tool-versions.sh), which its
# repo-server runs for a kustomization.yaml.
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.7.0}"
# Renders Crossplane's own Helm chart (its RBAC) for the e2e.
HELM_VERSION="${HELM_VERSION:-v4.3.2}"
# docs/reference.md is generated from apis/ and input/ by crd-ref-docs.
CRD_REF_DOCS_VERSION="${CRD_REF_DOCS_VERSION:-v0.3.0}"

CACHE="${FULLSTACK_TOOLS_CACHE:-$HOME/.cache/function-fullstack/bin}"
mkdir -p "$CACHE"

log() { echo "tools: $*" >&2; }

moddir() { # MOD@VER -> module directory in the module cache
  GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

build_from_module() { # out mod ver pkg [apis-mod apis-ver [apis-dir]]
  # apis-mod is a nested module the module's go.mod replaces with a local
  # folder (apis-dir, default apis) that its module zip leaves out.
  local out=$1 mod=$2 ver=$3 pkg=$4 apismod=${5:-} apisver=${6:-} apisdir=${7:-apis}
  local src work
  src=$(moddir "$mod@$ver")
  [ -n "$src" ] || { log "cannot download $mod@$ver"; exit 1; }
  work=$(mktemp -d)
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  if [ -n "$apismod" ]; then
    local apis
    apis=$(moddir "$apismod@$apisver")
    rm -rf "$work/$apisdir"; cp -r "$apis" "$work/$apisdir"; chmod -R u+w "$work/$apisdir"
  fi
  log "building $mod@$ver ($pkg); this takes minutes the first time"
  (cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags="${LDFLAGS:-}" -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

# Builds a Kubernetes command from k8s.io/kubernetes through a small wrapper
# module: kubernetes' own go.mod replaces its staging modules with local
# folders the module zip lacks, so the wrapper replaces each with its
# published v0.x.y version instead.
build_kubernetes() { # out cmd
  local out=$1 cmd=$2 gomod work staging
  staging="v0${KUBERNETES_VERSION#v1}"
  moddir "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null
  gomod=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  work=$(mktemp -d)
  {
    echo "module fullstack.local/kubernetes-tools"
    echo
    sed -n 's/^go \(.*\)/go \1/p; s/^godebug \(.*\)/godebug \1/p' "$gomod"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    sed -n '/^replace (/,/^)/p' "$gomod" | sed -n "s#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 $staging#p"
    echo ")"
  } >"$work/go.mod"
  log "building k8s.io/kubernetes/cmd/$cmd@$KUBERNETES_VERSION; this takes minutes the first time"
  local ver="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1"
  ver="$ver -X k8s.io/component-base/version.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
  (cd "$work" && GOFLAGS=-mod=mod go get "k8s.io/kubernetes/cmd/$cmd@$KUBERNETES_VERSION" >/dev/null 2>&1 && \
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags="$ver" -o "$out.tmp" "k8s.io/kubernetes/cmd/$cmd")
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

case "${1:-}" in
  kube-apiserver|kube-controller-manager|kube-scheduler)
    out="$CACHE/$1-$KUBERNETES_VERSION"
    [ -x "$out" ] || build_kubernetes "$out" "$1"
    ;;
  rollouts-controller)
    out="$CACHE/rollouts-controller-$ARGO_ROLLOUTS_VERSION"
    [ -x "$out" ] || build_from_module "$out" github.com/argoproj/argo-rollouts "$ARGO_ROLLOUTS_VERSION" ./cmd/rollouts-controller
    ;;
  kwok)
    out="$CACHE/kwok-$KWOK_VERSION"
    [ -x "$out" ] || build_from_module "$out" sigs.k8s.io/kwok "$KWOK_VERSION" ./cmd/kwok
    ;;
  crossplane-cli)
    out="$CACHE/crossplane-cli-$CROSSPLANE_CLI_VERSION"
    [ -x "$out" ] || build_from_module "$out" github.com/crossplane/cli/v2 "$CROSSPLANE_CLI_VERSION" ./cmd/crossplane
    ;;
  source-controller)
    out="$CACHE/source-controller-$FLUX_SOURCE_CONTROLLER_VERSION"
    [ -x "$out" ] || build_from_module "$out" github.com/fluxcd/source-controller "$FLUX_SOURCE_CONTROLLER_VERSION" . \
      github.com/fluxcd/source-controller/api "$FLUX_SOURCE_CONTROLLER_VERSION" api
    ;;
  kustomize-controller)
    out="$CACHE/kustomize-controller-$FLUX_KUSTOMIZE_CONTROLLER_VERSION"
    [ -x "$out" ] || build_from_module "$out" github.com/fluxcd/kustomize-controller "$FLUX_KUSTOMIZE_CONTROLLER_VERSION" . \
      github.com/fluxcd/kustomize-controller/api "$FLUX_KUSTOMIZE_CONTROLLER_VERSION" api
    ;;
  argocd)
    out="$CACHE/argocd-$ARGOCD_VERSION"
    [ -x "$out" ] || build_from_module "$out" github.com/argoproj/argo-cd/v3 "$ARGOCD_VERSION" ./cmd
    ;;
  argocd-crds)
    out="$(moddir "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION")/manifests/crds"
    ;;
  kustomize)
    # Named kustomize in a folder of its own: Argo CD's repo-server runs
    # `kustomize` from its PATH.
    out="$CACHE/kustomize-$KUSTOMIZE_VERSION/kustomize"
    mkdir -p "$(dirname "$out")"
    [ -x "$out" ] || LDFLAGS="-X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$KUSTOMIZE_VERSION" \
      build_from_module "$out" sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" .
    ;;
  actionlint)
    out="$CACHE/actionlint-$ACTIONLINT_VERSION"
    [ -x "$out" ] || build_from_module "$out" github.com/rhysd/actionlint "$ACTIONLINT_VERSION" ./cmd/actionlint
    ;;
  crossplane-core)
    # Stamped with its version, which the package manager compares with a
    # package's spec.crossplane.version constraint.
    out="$CACHE/crossplane-core-$CROSSPLANE_CORE_VERSION-stamped"
    [ -x "$out" ] || LDFLAGS="-X github.com/crossplane/crossplane-runtime/v2/pkg/version.version=$CROSSPLANE_CORE_VERSION" \
      build_from_module "$out" github.com/crossplane/crossplane/v2 "$CROSSPLANE_CORE_VERSION" ./cmd/crossplane \
      github.com/crossplane/crossplane/apis/v2 "$CROSSPLANE_CORE_APIS_VERSION"
    ;;
  crossplane-chart)
    # Crossplane's Helm chart, from the core module's cluster/charts.
    out="$(moddir "github.com/crossplane/crossplane/v2@$CROSSPLANE_CORE_VERSION")/cluster/charts/crossplane"
    ;;
  helm)
    out="$CACHE/helm-$HELM_VERSION"
    [ -x "$out" ] || build_from_module "$out" helm.sh/helm/v4 "$HELM_VERSION" ./cmd/helm
    ;;
  crossplane-crds)
    # Crossplane core's own CRDs, for `crossplane core init --cr-ds-path`.
    out="$(moddir "github.com/crossplane/crossplane/v2@$CROSSPLANE_CORE_VERSION")/cluster/crds"
    ;;
  controller-gen)
    out="$CACHE/controller-gen-$CONTROLLER_GEN_VERSION"
    [ -x "$out" ] || build_from_module "$out" sigs.k8s.io/controller-tools "$CONTROLLER_GEN_VERSION" ./cmd/controller-gen
    ;;
  crd-ref-docs)
    out="$CACHE/crd-ref-docs-$CRD_REF_DOCS_VERSION"
    [ -x "$out" ] || build_from_module "$out" github.com/elastic/crd-ref-docs "$CRD_REF_DOCS_VERSION" .
    ;;
  golangci-lint)
    out="$CACHE/golangci-lint-$GOLANGCI_LINT_VERSION"
    [ -x "$out" ] || build_from_module "$out" github.com/golangci/golangci-lint/v2 "$GOLANGCI_LINT_VERSION" ./cmd/golangci-lint
    ;;
  *) echo "usage: $0 crossplane-cli|crossplane-core|crossplane-chart|helm|controller-gen|golangci-lint|crossplane-crds|kube-apiserver|kube-controller-manager|kube-scheduler|rollouts-controller|kwok|actionlint|source-controller|kustomize-controller|argocd|argocd-crds|kustomize|crd-ref-docs" >&2; exit 2 ;;
esac
echo "$out"
