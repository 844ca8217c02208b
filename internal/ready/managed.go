package ready

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// managed is ready when the provider reports the managed resource Synced
// (its desired state is applied) and Ready (the external resource is
// available).
func managed(u *unstructured.Unstructured, _ Options) Result {
	for _, typ := range []string{"Synced", "Ready"} {
		s, msg, found := condition(u, typ)
		switch {
		case !found:
			return Result{Reason: "no " + typ + " condition reported by the provider yet"}
		case s != "True":
			if msg == "" {
				msg = conditionReason(u, typ)
			}
			return Result{Reason: typ + "=" + s + ": " + msg}
		}
	}
	return Result{Ready: true}
}

// conditionReason is the reason of a condition, "" without one.
func conditionReason(u *unstructured.Unstructured, typ string) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == typ {
			r, _ := m["reason"].(string)
			return r
		}
	}
	return ""
}
