package ready

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Phases of an Argo Rollout (status.phase).
const (
	RolloutHealthy     = "Healthy"
	RolloutProgressing = "Progressing"
	RolloutPaused      = "Paused"
	RolloutDegraded    = "Degraded"
)

// RolloutStatus is what a person needs to see of a Rollout: its phase, why,
// and where a canary is in its steps.
type RolloutStatus struct {
	Phase   string
	Message string
	// Step is the canary step the Rollout is at (its currentStepIndex,
	// from 0; Steps when every step is done), nil outside a canary; Steps
	// is how many steps it has.
	Step  *int64
	Steps int64
	// Current says whether the controller has seen the latest spec.
	Current bool
}

// ReadRollout reads the status of an observed Rollout. The Rollout
// controller reports status.observedGeneration as a string.
func ReadRollout(u *unstructured.Unstructured) RolloutStatus {
	var s RolloutStatus
	s.Phase, _, _ = unstructured.NestedString(u.Object, "status", "phase")
	s.Message, _, _ = unstructured.NestedString(u.Object, "status", "message")
	gen, _ := integer(u, "metadata", "generation")
	var observed int64
	switch v := u.Object["status"].(type) {
	case map[string]any:
		switch og := v["observedGeneration"].(type) {
		case string:
			observed, _ = strconv.ParseInt(og, 10, 64)
		case int64:
			observed = og
		case float64:
			observed = int64(og)
		}
	}
	s.Current = observed >= gen && observed > 0
	steps, _, _ := unstructured.NestedSlice(u.Object, "spec", "strategy", "canary", "steps")
	if idx, ok := integer(u, "status", "currentStepIndex"); ok && len(steps) > 0 {
		s.Step, s.Steps = &idx, int64(len(steps))
	}
	return s
}

// rollout is ready when its controller has seen the latest spec and reports
// the Healthy phase: every replica updated and available, and no step,
// pause or analysis left.
func rollout(u *unstructured.Unstructured, _ Options) Result {
	s := ReadRollout(u)
	switch {
	case !s.Current:
		gen, _ := integer(u, "metadata", "generation")
		return Result{Reason: fmt.Sprintf("generation %d not yet observed by the Rollout controller", gen)}
	case s.Phase == RolloutHealthy:
		return Result{Ready: true}
	case s.Phase == "":
		return Result{Reason: "no phase reported yet"}
	}
	reason := "phase " + s.Phase
	if s.Step != nil {
		reason += fmt.Sprintf(" at step %d of %d", *s.Step, s.Steps)
	}
	if s.Message != "" {
		reason += ": " + s.Message
	}
	return Result{Reason: reason}
}
