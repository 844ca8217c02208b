# function-fullstack. `make check` is everything CI runs.
SHELL := /usr/bin/env bash
GO ?= go
# Upstream CRDs every composed object is validated against: CRDS_DIR if
# set, else ../shared/crds, else fetched into _output/crds (hack/crds.sh
# says which).
export CRDS_DIR
CRDS = crds=$$(hack/crds.sh) && CRDS_DIR=$$crds

.PHONY: all build test vet fmt-check lint tidy-check unit generate generate-check render render-update bench fuzz fuzz-short bench-smoke xpkg ci-lint clients e2e scale forms preflight check tools clean

all: check

build:
	$(GO) build -trimpath -o _output/function-fullstack .

## test: vet, gofmt, golangci-lint, go.mod tidiness, unit and golden tests, generated-file drift, the GitHub workflow
test: vet fmt-check lint tidy-check unit fuzz-short bench-smoke generate-check ci-lint

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/e2e/
	$(GO) vet -tags xpkg ./test/xpkg/
	cd test/gitops && $(GO) vet ./...
	cd test/netpol && $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## lint: golangci-lint (pinned in hack/tools.sh, configured in .golangci.yml)
lint:
	$$(hack/tools.sh golangci-lint) run ./...

## tidy-check: fail when go.mod or go.sum is not what `go mod tidy` writes
tidy-check:
	@$(GO) mod tidy -diff >/dev/null 2>&1 || { echo "go.mod/go.sum are not tidy; run 'go mod tidy':"; $(GO) mod tidy -diff; exit 1; }
	@cd test/gitops && { $(GO) mod tidy -diff >/dev/null 2>&1 || { echo "test/gitops: go.mod/go.sum are not tidy; run 'go mod tidy' there:"; $(GO) mod tidy -diff; exit 1; }; }
	@cd test/netpol && { $(GO) mod tidy -diff >/dev/null 2>&1 || { echo "test/netpol: go.mod/go.sum are not tidy; run 'go mod tidy' there:"; $(GO) mod tidy -diff; exit 1; }; }

## ci-lint: actionlint on .github/workflows, and the workflow's list of upstream CRDs against CRDS_DIR
ci-lint:
	$(CRDS) hack/ci-lint.sh

unit:
	$(GO) test -count=1 ./...
	cd test/gitops && $(GO) test -count=1 ./...
	cd test/netpol && $(GO) test -count=1 ./...

## generate: regenerate the Input CRD, the apis/ deepcopy code, the XRDs, LegacyCluster XRDs and legacy Compositions
generate:
	$(GO) generate -tags generate ./...

## generate-check: fail when a generated file differs from what `make generate` writes
generate-check:
	hack/generate-check.sh

## clients: real PostgreSQL clients (psql, node-postgres, JDBC) connect with the backend's environment as composed; a wrong CA is refused
clients:
	test/clients/run.sh

## render: render every example with the pinned Crossplane CLI and core, compare with golden files, validate against CRDs
render:
	$(CRDS) hack/render.sh

## render-update: rewrite the golden files after an intended change (review the diff)
render-update:
	$(CRDS) hack/render.sh --update

## bench: BenchmarkRunFunction (with each scenario's floor and the ratio) and BenchmarkGRPC (the floor server, then the built binary, at 1/16/128 callers); compare runs with benchstat
bench:
	@mkdir -p _output
	$(GO) test -run='^$$' -bench=. -benchmem -count=5 . ./test/binary/ | tee _output/bench.txt

## bench-smoke: every benchmark once, so they build and run in CI
bench-smoke:
	$(GO) test -run='^$$' -bench=. -benchtime=1x . ./internal/encode/ ./test/binary/

## fuzz: feed arbitrary specs to RunFunction for FUZZTIME (no panic; compose or one Fatal with desired state untouched), then arbitrary JSON objects to the Struct encoder (the same Struct as encoding/json's road) and to pipeline.JSON (the same bytes as encoding/json on AsMap), FUZZTIME each
FUZZTIME ?= 60s
# Minimizing each new interesting input for the default 60 s stalls the
# search (no executions counted meanwhile); 1000 tries are plenty here.
FUZZMINIMIZE ?= 1000x
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzRunFunction -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) .
	$(GO) test -run='^$$' -fuzz=FuzzStruct -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./internal/encode/
	$(GO) test -run='^$$' -fuzz=FuzzJSON -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) ./internal/pipeline/

## fuzz-short: the fuzz CI runs, 15 s per target (the long one, FUZZTIME=10m or more, stays out of CI)
fuzz-short:
	$(MAKE) fuzz FUZZTIME=15s

## xpkg: the Function package (linux/amd64 and linux/arm64, runtime image built without Docker) and the Configuration package, under _output/xpkg, then test/xpkg opens and checks them
xpkg:
	hack/xpkg.sh

## e2e: real etcd, kube-apiserver, kube-controller-manager and Crossplane core; the function over mTLS
e2e:
	$(CRDS) test/e2e/run.sh

## scale: the fleet scenario with FLEET XRs (default 200) on the e2e's real Crossplane, then the upgrade and the steady-cost scenarios on that fleet; make check runs it with 6 XRs
FLEET ?= 200
scale:
	$(CRDS) E2E_FLEET=$(FLEET) E2E_RUN='TestE2E/(the_Configuration|examples_compose|ready_once|a_fleet|upgrading|steady_XRs)' test/e2e/run.sh

## tools: build the pinned Crossplane CLI, Crossplane core, controller-gen and golangci-lint (cached)
tools:
	hack/tools.sh controller-gen
	hack/tools.sh golangci-lint
	hack/tools.sh crossplane-core
	hack/tools.sh crossplane-cli

## forms: Backstage templates from the XRDs (TeraSky's generator), form submissions through the real action, each XR applied to a real API server and composed (also part of e2e)
forms:
	$(CRDS) E2E_RUN='TestE2E/every_Backstage_form' test/e2e/run.sh

## preflight: list what make check needs and this machine lacks, before it starts
preflight:
	hack/preflight.sh

check: preflight
	$(MAKE) test render clients e2e

clean:
	rm -rf _output
