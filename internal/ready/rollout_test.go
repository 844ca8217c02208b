package ready

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var rolloutGK = schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}

func TestRolloutReadiness(t *testing.T) {
	const canary = "spec: {strategy: {canary: {steps: [{setWeight: 10}, {pause: {}}, {setWeight: 50}, {pause: {duration: 2m}}, {setWeight: 100}]}}}\n"
	cases := map[string]struct {
		observed string
		want     Result
		status   RolloutStatus
	}{
		"Healthy": {
			observed: "metadata: {generation: 4}\n" + canary + `status: {observedGeneration: "4", phase: Healthy, currentStepIndex: 5}`,
			want:     Result{Ready: true},
			status:   RolloutStatus{Phase: "Healthy", Step: i64(5), Steps: 5, Current: true},
		},
		"HealthyButGenerationNotObserved": {
			// The string observedGeneration lags: a new spec is not yet seen.
			observed: "metadata: {generation: 5}\n" + canary + `status: {observedGeneration: "4", phase: Healthy}`,
			want:     Result{Reason: "generation 5 not yet observed by the Rollout controller"},
			status:   RolloutStatus{Phase: "Healthy"},
		},
		"PausedAtAStep": {
			observed: "metadata: {generation: 5}\n" + canary + `status: {observedGeneration: "5", phase: Paused, message: CanaryPauseStep, currentStepIndex: 1}`,
			want:     Result{Reason: "phase Paused at step 1 of 5: CanaryPauseStep"},
			status:   RolloutStatus{Phase: "Paused", Message: "CanaryPauseStep", Step: i64(1), Steps: 5, Current: true},
		},
		"DegradedAfterAFailedAnalysis": {
			observed: "metadata: {generation: 5}\n" + canary +
				`status: {observedGeneration: "5", phase: Degraded, message: "RolloutAborted: Rollout aborted update to revision 5: Metric \"success-rate\" assessed Failed", currentStepIndex: 0}`,
			want: Result{Reason: `phase Degraded at step 0 of 5: RolloutAborted: Rollout aborted update to revision 5: Metric "success-rate" assessed Failed`},
			status: RolloutStatus{Phase: "Degraded", Message: `RolloutAborted: Rollout aborted update to revision 5: Metric "success-rate" assessed Failed`,
				Step: i64(0), Steps: 5, Current: true},
		},
		"BlueGreenProgressing": {
			observed: "metadata: {generation: 1}\nspec: {strategy: {blueGreen: {activeService: a}}}\n" +
				`status: {observedGeneration: "1", phase: Progressing, message: more replicas need to be updated}`,
			want:   Result{Reason: "phase Progressing: more replicas need to be updated"},
			status: RolloutStatus{Phase: "Progressing", Message: "more replicas need to be updated", Current: true},
		},
		"NoStatusYet": {
			observed: "metadata: {generation: 1}\n" + canary,
			want:     Result{Reason: "generation 1 not yet observed by the Rollout controller"},
		},
		"NoPhaseYet": {
			observed: "metadata: {generation: 1}\n" + canary + `status: {observedGeneration: "1"}`,
			want:     Result{Reason: "no phase reported yet"},
			status:   RolloutStatus{Current: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u := obj(t, tc.observed)
			if diff := cmp.Diff(tc.want, Of(rolloutGK, u, Options{})); diff != "" {
				t.Errorf("Of: -want, +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.status, ReadRollout(u)); diff != "" {
				t.Errorf("ReadRollout: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestKindsWithoutStatusAreReadyOnceObserved(t *testing.T) {
	for _, gk := range []schema.GroupKind{
		{Group: "argoproj.io", Kind: "AnalysisTemplate"},
		{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"},
		{Group: "policy", Kind: "PodDisruptionBudget"},
		{Group: "monitoring.coreos.com", Kind: "ServiceMonitor"},
		{Group: "monitoring.coreos.com", Kind: "PodMonitor"},
	} {
		if got := Of(gk, nil, Options{}); got.Ready {
			t.Errorf("%s: ready before it exists", gk)
		}
		if got := Of(gk, obj(t, "metadata: {name: x}"), Options{}); !got.Ready {
			t.Errorf("%s: not ready once observed: %s", gk, got.Reason)
		}
	}
}

func i64(n int64) *int64 { return &n }
