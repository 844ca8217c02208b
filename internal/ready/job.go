package ready

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// JobState is where a Job is: running, succeeded or failed.
type JobState int

// Job states, as the Job controller reports them in conditions.
const (
	JobRunning JobState = iota
	JobSucceeded
	JobFailed
)

// JobOf reads a Job's state from the conditions the Job controller sets:
// Complete=True or Failed=True (with its reason and message) end a Job.
func JobOf(u *unstructured.Unstructured) (JobState, string) {
	if u == nil || len(u.Object) == 0 {
		return JobRunning, "not created yet"
	}
	if s, _, ok := condition(u, "Complete"); ok && s == "True" {
		return JobSucceeded, "succeeded"
	}
	if m := conditionOf(u, "Failed"); m != nil && m["status"] == "True" {
		reason, _ := m["reason"].(string)
		msg, _ := m["message"].(string)
		return JobFailed, fmt.Sprintf("failed: %s: %s", reason, msg)
	}
	active, _ := integer(u, "status", "active")
	failed, _ := integer(u, "status", "failed")
	return JobRunning, fmt.Sprintf("running (%d active, %d failed pods)", active, failed)
}

// job is ready once it succeeded.
func job(u *unstructured.Unstructured, _ Options) Result {
	state, msg := JobOf(u)
	return Result{Ready: state == JobSucceeded, Reason: msg}
}
