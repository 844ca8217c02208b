package composite

import (
	"encoding/json"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// FieldOwnerComposedPrefix starts the field manager Crossplane applies
// composed resources with (crossplane v2.4.0
// internal/controller/apiextensions/composite/composition_functions.go:
// "apiextensions.crossplane.io/composed/<hash of the XR>").
const FieldOwnerComposedPrefix = "apiextensions.crossplane.io/composed"

// scaleHandover decides spec.replicas of an autoscaled workload (its
// observed object, nil before it exists). Leaving the field out hands it to
// the HorizontalPodAutoscaler, but Crossplane applies with server-side
// apply and forced ownership: a field that only its manager set is removed
// when it leaves desired state, and the API server defaults it to 1 until
// the HPA's next sync (Kubernetes docs, Server-Side Apply, "Transferring
// ownership": "if the user removes .spec.replicas before the HPA writes to
// the field and becomes its owner, then the API server would set
// .spec.replicas to 1"). So the workload keeps the replicas it has (at
// least the autoscaler's minimum) until another manager owns
// spec.replicas in its managedFields (the HPA wrote it through the scale
// subresource, or someone scaled it by hand); only then is the field left
// out, which drops Crossplane's claim and leaves the value. The count it
// keeps is the workload's own, not raised to minReplicas: the HPA raises
// it, and that write is what hands the field over (a value the function
// set to the minimum would give the HPA nothing to write). A new workload
// starts at minReplicas.
func scaleHandover(observed *unstructured.Unstructured, w resolve.Workload, as *resolve.Autoscaling) resolve.Workload {
	if as == nil || !w.Autoscaled {
		return w
	}
	if observed != nil && replicasOwnedByAnother(observed) {
		return w
	}
	w.Autoscaled = false
	w.Replicas = as.MinReplicas
	if observed != nil {
		if n, ok := pipeline.Int(observed.Object, "spec.replicas"); ok {
			w.Replicas = int32(n) //nolint:gosec // A replica count the API server accepted.
		}
	}
	return w
}

// replicasOwnedByAnother reports whether a manager other than Crossplane's
// owns spec.replicas of the object.
func replicasOwnedByAnother(o *unstructured.Unstructured) bool {
	for _, mf := range o.GetManagedFields() {
		if strings.HasPrefix(mf.Manager, FieldOwnerComposedPrefix) || mf.FieldsV1 == nil {
			continue
		}
		var fields struct {
			Spec map[string]json.RawMessage `json:"f:spec"`
		}
		if json.Unmarshal(mf.FieldsV1.Raw, &fields) != nil {
			continue
		}
		if _, ok := fields.Spec["f:replicas"]; ok {
			return true
		}
	}
	return false
}
