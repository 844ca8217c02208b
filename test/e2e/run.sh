#!/usr/bin/env bash
# End-to-end test on one machine, no Docker, no kubelet: etcd, kube-apiserver,
# kube-controller-manager and Crossplane core run as local processes; the
# function runs with mTLS; its packages are built (hack/xpkg.sh), pushed to a
# registry on loopback and installed by Crossplane's package manager from a
# Configuration, with the upstream CRDs; then
# the scenarios in e2e_test.go run. Everything is stopped by PID at the end,
# also when a step fails. Logs: _output/e2e/logs/.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
t0=$(date +%s)

if ! command -v etcd >/dev/null; then
  echo "e2e: installing Debian's etcd-server"
  # The package would start a system etcd on the default ports; the tests
  # run their own on free loopback ports. policy-rc.d tells the package's
  # scripts not to start it, so nothing has to be stopped afterwards (and no
  # process this script did not start is ever signalled).
  created_policy=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=true
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
  if $created_policy; then rm -f /usr/sbin/policy-rc.d; fi
fi

# Backstage's database in the golden-path journey: Debian's PostgreSQL (the
# one make clients uses), run by the test as the postgres user.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ]; then
  echo "e2e: installing Debian's postgresql"
  created_policy=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=true
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  if $created_policy; then rm -f /usr/sbin/policy-rc.d; fi
fi
export E2E_PG_BIN=$(pg_bin)
# Argo CD's cache: Debian's Redis.
if ! command -v redis-server >/dev/null; then
  echo "e2e: installing Debian's redis-server"
  created_policy=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=true
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  if $created_policy; then rm -f /usr/sbin/policy-rc.d; fi
fi
export E2E_REDIS=$(command -v redis-server)

echo "e2e: building tools (cached by version in ${FULLSTACK_TOOLS_CACHE:-$HOME/.cache/function-fullstack/bin})"
export E2E_KUBE_APISERVER=$(hack/tools.sh kube-apiserver)
export E2E_KUBE_CONTROLLER_MANAGER=$(hack/tools.sh kube-controller-manager)
export E2E_KUBE_SCHEDULER=$(hack/tools.sh kube-scheduler)
export E2E_KWOK=$(hack/tools.sh kwok)
export E2E_ROLLOUTS_CONTROLLER=$(hack/tools.sh rollouts-controller)
export E2E_SOURCE_CONTROLLER=$(hack/tools.sh source-controller)
export E2E_KUSTOMIZE_CONTROLLER=$(hack/tools.sh kustomize-controller)
export E2E_ARGOCD=$(hack/tools.sh argocd)
export E2E_ARGOCD_CRDS=$(hack/tools.sh argocd-crds)
export E2E_KUSTOMIZE=$(hack/tools.sh kustomize)
export E2E_CROSSPLANE=$(hack/tools.sh crossplane-core)
export E2E_CROSSPLANE_CRDS=$(hack/tools.sh crossplane-crds)
echo "e2e: Crossplane core $("$E2E_CROSSPLANE" --version) (CROSSPLANE_CORE_VERSION picks another)"
export E2E_CROSSPLANE_CLI=$(hack/tools.sh crossplane-cli)
# Crossplane's own Helm chart, rendered with its default values: the e2e
# runs Crossplane and its RBAC manager with the ServiceAccounts, ClusterRoles
# and args it renders (test/e2e/rbac_test.go).
mkdir -p _output
"$(hack/tools.sh helm)" template crossplane "$(hack/tools.sh crossplane-chart)" --namespace crossplane-system >_output/crossplane-chart.yaml
export E2E_CROSSPLANE_CHART="$repo/_output/crossplane-chart.yaml"
export E2E_ETCD=$(command -v etcd)
mkdir -p _output
echo "e2e: Backstage forms (hack/forms/run.sh)"
hack/forms/run.sh "$repo/_output/forms"
export E2E_FORMS="$repo/_output/forms"
echo "e2e: packages (hack/xpkg.sh)"
# With the next release (v0.2.0) a live install upgrades to.
UPGRADE_VERSION=v0.2.0 hack/xpkg.sh
export E2E_XPKG_DIR="$repo/_output/xpkg"
go build -ldflags "-X main.version=v0.1.0" -o _output/function-fullstack .
export E2E_FUNCTION="$repo/_output/function-fullstack"
go build -ldflags "-X main.version=v0.2.0" -o _output/function-fullstack-v0.2.0 .
export E2E_FUNCTION_UPGRADE="$repo/_output/function-fullstack-v0.2.0"
# The Configuration's first step, function-environment-configs, played from
# its source (the module proxy serves no version of the real one).
go build -o _output/function-environment-configs ./test/envconfigs/function-environment-configs
export E2E_FUNCTION_ENVCONFIGS="$repo/_output/function-environment-configs"
export E2E_REPO="$repo"
export E2E_CRDS_DIR=$(cd "${CRDS_DIR:-../shared/crds}" && pwd)
export E2E_WORKDIR="$repo/_output/e2e"
t1=$(date +%s)
echo "e2e: tools ready in $((t1 - t0))s"

status=0
go test -tags e2e -count=1 -timeout 60m -v -run "${E2E_RUN:-.}" ./test/e2e/ 2>&1 | tee _output/e2e.log || status=$?
t2=$(date +%s)
passed=$(grep -c '^e2e: PASS ' _output/e2e.log || true)
echo "e2e: summary: $passed scenarios passed; tools $((t1 - t0))s, tests $((t2 - t1))s, total $((t2 - t0))s"
exit $status
