package composite

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// TestScaleHandover shows when an autoscaled workload's spec.replicas
// leaves desired state: only once a manager other than Crossplane's owns
// it, as the API server records in managedFields. The managers and fields
// are those kube-apiserver v1.35.3 records in the e2e: Crossplane's apply,
// the Deployment controller's status, and the HPA's Update through the
// scale subresource.
func TestScaleHandover(t *testing.T) {
	crossplane := metav1.ManagedFieldsEntry{Manager: "apiextensions.crossplane.io/composed/5f1c", Operation: metav1.ManagedFieldsOperationApply,
		FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:replicas":{},"f:template":{}}}`)}}
	status := metav1.ManagedFieldsEntry{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status",
		FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:replicas":{},"f:readyReplicas":{}}}`)}}
	hpa := metav1.ManagedFieldsEntry{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "scale",
		FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:replicas":{}}}`)}}
	observed := func(replicas int64, mf ...metav1.ManagedFieldsEntry) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"replicas": replicas}}}
		u.SetManagedFields(mf)
		return u
	}
	as := &resolve.Autoscaling{MinReplicas: 3, MaxReplicas: 10}
	cases := map[string]struct {
		observed   *unstructured.Unstructured
		autoscaled *resolve.Autoscaling
		// want is the replicas composed; nil when left to the HPA.
		want *int32
	}{
		"NotAutoscaled":                {observed: observed(3, crossplane), want: ptr(3)},
		"NewStartsAtMinimum":           {autoscaled: as, want: ptr(3)},
		"SwitchedOnKeepsWhatItHas":     {observed: observed(3, crossplane, status), autoscaled: as, want: ptr(3)},
		"SwitchedOnBelowMinimum":       {observed: observed(1, crossplane, status), autoscaled: as, want: ptr(1)},
		"SwitchedOnAboveMinimum":       {observed: observed(6, crossplane), autoscaled: as, want: ptr(6)},
		"HPAWroteIt":                   {observed: observed(5, crossplane, status, hpa), autoscaled: as},
		"HPAOwnsItAlone":               {observed: observed(5, status, hpa), autoscaled: as},
		"ScaledByHand":                 {observed: observed(4, metav1.ManagedFieldsEntry{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "scale", FieldsV1: hpa.FieldsV1}), autoscaled: as},
		"StatusReplicasAreNotSpecOnes": {observed: observed(3, status), autoscaled: as, want: ptr(3)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := resolve.Workload{Replicas: 3, Autoscaled: tc.autoscaled != nil}
			got := scaleHandover(tc.observed, w, tc.autoscaled)
			var replicas *int32
			if !got.Autoscaled {
				replicas = &got.Replicas
			}
			if diff := cmp.Diff(tc.want, replicas); diff != "" {
				t.Errorf("replicas: -want, +got:\n%s", diff)
			}
		})
	}
}

func ptr(n int32) *int32 { return &n }
