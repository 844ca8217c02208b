//go:build generate
// +build generate

// NOTE(fullstack): controller-gen is built at a pinned version by
// hack/tools.sh (the module proxy here refuses `go run` of @latest), and the
// Makefile puts it on PATH as CONTROLLER_GEN.

// Remove existing and generate new input manifests
//go:generate rm -rf ../package/input/
//go:generate sh -c "$(../hack/tools.sh controller-gen) paths=./v1beta1 object crd:crdVersions=v1 output:artifacts:config=../package/input"

package input
