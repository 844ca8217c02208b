package ready

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// CNPGHealthyPhase is the phase of a CloudNativePG Cluster that serves.
const CNPGHealthyPhase = "Cluster in healthy state"

// cnpgCluster is ready when CloudNativePG reports the Ready condition True.
// Operators older than the Ready condition only set the phase; a healthy
// phase counts then.
func cnpgCluster(u *unstructured.Unstructured, _ Options) Result {
	phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
	s, msg, found := condition(u, "Ready")
	switch {
	case found && s == "True":
		return Result{Ready: true}
	case !found && phase == CNPGHealthyPhase:
		return Result{Ready: true}
	case phase != "" && phase != CNPGHealthyPhase:
		return Result{Reason: "phase: " + phase}
	case found:
		return Result{Reason: "Ready=" + s + ": " + msg}
	}
	return Result{Reason: "no status reported by CloudNativePG yet"}
}
