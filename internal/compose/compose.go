// Package compose plans the composed resources of one composite resource:
// it reads the spec, resolves defaults, and calls the builders. It is where
// a composite kind meets the shared builders.
package compose

import (
	"fmt"
	"sort"
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/crossplane/function-sdk-go/resource/composite"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
	"github.com/fullstack-fn/function-fullstack/internal/build"
	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/spec"
)

// Labels Crossplane sets on a LegacyCluster XR that a claim created.
const (
	LabelClaimName      = "crossplane.io/claim-name"
	LabelClaimNamespace = "crossplane.io/claim-namespace"
)

// Request is what a planner reads.
type Request struct {
	XR       *composite.Unstructured
	Observed map[resource.Name]resource.ObservedComposed
	Platform spec.Platform
	// Databases is the function Input's cloud database configuration.
	Databases *v1beta1.Databases
	// Required are resources Crossplane fetched on the function's request.
	Required map[string][]resource.Required
	// PasswordSeed derives passwords the function must supply.
	PasswordSeed []byte
}

// observedAll returns every observed composed resource by name.
func (r Request) observedAll() map[resource.Name]*composed.Unstructured {
	out := make(map[resource.Name]*composed.Unstructured, len(r.Observed))
	for n, o := range r.Observed {
		out[n] = o.Resource
	}
	return out
}

// observed returns the observed composed resource of that name, or nil.
func (r Request) observed(n resource.Name) *composed.Unstructured {
	if o, ok := r.Observed[n]; ok {
		return o.Resource
	}
	return nil
}

// Resource is one composed resource: its name in the pipeline (stable for
// the life of the XR, so Crossplane never deletes and recreates it) and the
// object.
type Resource = build.Composed

// Plan is everything the function will set for one XR.
type Plan struct {
	Resources []Resource
	// Status fields for the XR, merged into status.
	Status map[string]any
	// Warnings for the XR and its claim.
	Warnings []string
	// Pending names what the function cannot compose yet, and why.
	Pending []string
	// Requirements are resources the function asks Crossplane to fetch.
	Requirements map[string]*fnv1.ResourceSelector
	// ConnectionDetails of a LegacyCluster XR (and so its claim).
	ConnectionDetails resource.ConnectionDetails
}

// A Planner plans the composed resources of one composite kind.
type Planner func(Request) (*Plan, error)

// Planners maps each composite kind to its planner. The API group is not
// checked, so platform teams can serve the XRDs under their own group.
var Planners = map[string]Planner{
	"XNodeApp":          NodeApp,
	"XFullStackService": FullStackService,
}

// Kinds lists the composite kinds this function composes.
func Kinds() []string {
	out := make([]string, 0, len(Planners))
	for k := range Planners {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FieldErrors is a list of field errors that reads as one message, each
// error naming its field path.
type FieldErrors field.ErrorList

func (e FieldErrors) Error() string {
	msgs := make([]string, 0, len(e))
	for _, fe := range e {
		msgs = append(msgs, fe.Error())
	}
	return strings.Join(msgs, "; ")
}

// target returns the Meta shared by every builder: names and namespace. A
// namespaced (Crossplane v2) XR composes into its own namespace. A
// LegacyCluster XR composes into its claim's namespace and takes the claim's
// name, which is what people know the application by.
func target(xr *composite.Unstructured, environment, owner string) (build.Meta, error) {
	base, ns := appName(xr)
	if ns == "" {
		return build.Meta{}, FieldErrors{field.Required(
			field.NewPath("metadata", "labels").Key(LabelClaimNamespace),
			fmt.Sprintf("a cluster-scoped %s composes namespaced objects and needs a namespace: create it through its claim, "+
				"which sets this label, or use the namespaced XRD", xr.GetKind()))}
	}
	return build.Meta{
		Names:       names.For(base),
		Namespace:   ns,
		Composite:   xr.GetName(),
		Environment: environment,
		Owner:       owner,
	}, nil
}

// appName returns the application's name and namespace: the XR's, or for a
// LegacyCluster XR its claim's.
func appName(xr *composite.Unstructured) (name, namespace string) {
	name, namespace = xr.GetName(), xr.GetNamespace()
	if namespace == "" {
		labels := xr.GetLabels()
		namespace = labels[LabelClaimNamespace]
		if claim := labels[LabelClaimName]; claim != "" {
			name = claim
		}
	}
	return name, namespace
}
