package ready

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// deployment is ready when the controller has seen the latest spec and every
// desired replica is updated and available, with no old replica left.
func deployment(u *unstructured.Unstructured, _ Options) Result {
	gen, _ := integer(u, "metadata", "generation")
	observedGen, ok := integer(u, "status", "observedGeneration")
	if !ok || observedGen < gen {
		return Result{Reason: fmt.Sprintf("generation %d not yet observed by the Deployment controller", gen)}
	}
	want, ok := integer(u, "spec", "replicas")
	if !ok {
		want = 1 // The API server's default.
	}
	updated, _ := integer(u, "status", "updatedReplicas")
	total, _ := integer(u, "status", "replicas")
	available, _ := integer(u, "status", "availableReplicas")
	switch {
	case updated < want:
		return Result{Reason: fmt.Sprintf("%d of %d replicas updated", updated, want)}
	case total > updated:
		return Result{Reason: fmt.Sprintf("%d old replicas pending termination", total-updated)}
	case available < want:
		return Result{Reason: fmt.Sprintf("%d of %d replicas available", available, want)}
	}
	if s, msg, found := condition(u, "Available"); found && s != "True" {
		return Result{Reason: "Available=" + s + ": " + msg}
	}
	return Result{Ready: true}
}
