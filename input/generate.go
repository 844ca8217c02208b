//go:build generate

// The Input's CRD (package/input/) and deepcopy code, generated from
// ./v1beta1 by controller-gen at the version hack/tools.sh pins and builds
// (`make generate`; `make generate-check` fails on drift).

//go:generate rm -rf ../package/input/
//go:generate sh -c "$(../hack/tools.sh controller-gen) paths=./v1beta1 object crd:crdVersions=v1 output:artifacts:config=../package/input"

package input
