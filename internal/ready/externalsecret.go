package ready

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// externalSecret is ready when the External Secrets Operator reports
// Ready=True: it read the store and wrote the Secret (reason SecretSynced);
// otherwise its message says why (the store refused, the key is missing).
func externalSecret(u *unstructured.Unstructured, _ Options) Result {
	s, msg, found := condition(u, "Ready")
	switch {
	case !found:
		return Result{Reason: "the External Secrets Operator has not synced it yet"}
	case s != "True":
		if msg == "" {
			msg = conditionReason(u, "Ready")
		}
		return Result{Reason: "Ready=" + s + ": " + msg}
	}
	return Result{Ready: true}
}
