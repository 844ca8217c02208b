//go:build generate

// Regenerate every generated file: `go generate -tags generate ./...`.
// `make generate-check` fails when a committed file differs from what these
// commands produce.

//go:generate go run ./hack/gen-legacy-xrd -in package/xnodeapp/definition.yaml -out package/xnodeapp/definition-legacy.yaml -claim NodeApp -composition xnodeapp-legacy
//go:generate go run ./hack/gen-legacy-xrd -in package/xfullstackservice/definition.yaml -out package/xfullstackservice/definition-legacy.yaml -claim FullStackService -composition xfullstackservice-legacy

package main
