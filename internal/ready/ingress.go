package ready

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ingress is ready once observed under the Exists policy, and otherwise once
// the ingress controller publishes an IP or hostname for it.
func ingress(u *unstructured.Unstructured, o Options) Result {
	if o.Ingress == IngressExists {
		return Result{Ready: true}
	}
	lbs, _, _ := unstructured.NestedSlice(u.Object, "status", "loadBalancer", "ingress")
	for _, lb := range lbs {
		m, ok := lb.(map[string]any)
		if !ok {
			continue
		}
		if ip, _ := m["ip"].(string); ip != "" {
			return Result{Ready: true}
		}
		if host, _ := m["hostname"].(string); host != "" {
			return Result{Ready: true}
		}
	}
	return Result{Reason: "no address assigned by the ingress controller yet"}
}
