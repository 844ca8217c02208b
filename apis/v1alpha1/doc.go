// Package v1alpha1 is the API of the composite resources this function
// composes: XNodeApp and XFullStackService, spec and status.
//
// These types are the one source of the API. `go generate` turns them into
// the XRDs (Crossplane v2, namespaced), their LegacyCluster variants with
// claims, and the legacy Compositions (hack/gen-xrd); the function decodes
// an XR's spec into them. Markers carry the schema: enums, defaults,
// patterns, ranges, CEL rules and printer columns. Keys that form
// generators read and markers cannot express (x-ui-*) come from
// ui-overlay.yaml beside this file.
//
// +kubebuilder:object:generate=true
// +groupName=platform.fullstack.io
// +versionName=v1alpha1
package v1alpha1
