//go:build generate

// Regenerate every generated file: `go generate -tags generate ./...`.
// `make generate-check` fails when a committed file differs from what these
// commands produce.
//
// apis/v1alpha1 is the source of the XR API: controller-gen (pinned, built by
// hack/tools.sh) writes its deepcopy code and CRDs, and hack/gen-xrd turns
// the CRDs into the XRDs, the LegacyCluster XRDs and the legacy Compositions
// under configuration/. crd-ref-docs (pinned) writes docs/reference.md, the
// field reference of the XRs and the Input, from the same types.

//go:generate sh -c "rm -rf _output/gen/crds && $(hack/tools.sh controller-gen) paths=./apis/... object crd:crdVersions=v1,allowDangerousTypes=true output:crd:artifacts:config=_output/gen/crds"
//go:generate go run ./hack/gen-xrd -crds _output/gen/crds -overlay apis/v1alpha1/ui-overlay.yaml -out configuration
//go:generate sh -c "$(hack/tools.sh crd-ref-docs) --source-path=. --config=hack/crd-ref-docs.yaml --renderer=markdown --output-path=docs/reference.md"

package main
