package composite

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/internal/ready"
)

// TestDelivered decides the XR's Delivered condition from the delivery
// status and the migration: a client reads whether the asked image serves
// from the condition's status and why not from its reason.
func TestDelivered(t *testing.T) {
	const img, old = "ghcr.io/acme/orders:2", "ghcr.io/acme/orders:1"
	step := int64(1)
	rollout := func(phase, observed, msg string) *v1alpha1.DeliveryStatus {
		return &v1alpha1.DeliveryStatus{WorkloadKind: "Rollout", WorkloadName: "orders", Phase: phase, ObservedImage: observed, Message: msg}
	}
	cases := map[string]struct {
		d    *v1alpha1.DeliveryStatus
		mig  *Migration
		want Condition
	}{
		"Delivered": {d: rollout("Healthy", img, ""),
			want: Condition{Status: true, Reason: "Delivered", Message: "ghcr.io/acme/orders:2 serves from Rollout orders"}},
		"HealthyOnTheOldImage": {d: rollout("Healthy", old, ""), mig: &Migration{Job: "orders-migrate-1", Image: img, State: ready.JobRunning},
			want: Condition{Reason: "Migrating", Message: "ghcr.io/acme/orders:2 waits for its migration Job orders-migrate-1"}},
		"MigrationFailed": {d: rollout("Healthy", old, ""), mig: &Migration{Job: "orders-migrate-1", Image: img, State: ready.JobFailed},
			want: Condition{Reason: "MigrationFailed", Message: "the migration Job orders-migrate-1 for ghcr.io/acme/orders:2 failed; ghcr.io/acme/orders:1 keeps serving"}},
		"PausedAtAStep": {d: func() *v1alpha1.DeliveryStatus {
			d := rollout("Paused", img, "CanaryPauseStep")
			d.Step, d.Steps = &step, 6
			return d
		}(), want: Condition{Reason: "Paused", Message: "ghcr.io/acme/orders:2 rolling out: at step 1 of 6; CanaryPauseStep"}},
		"Degraded": {d: rollout("Degraded", img, "RolloutAborted: metric success-rate assessed Failed"),
			want: Condition{Reason: "Degraded", Message: "ghcr.io/acme/orders:2 rolling out: RolloutAborted: metric success-rate assessed Failed"}},
		"NotCreatedYet": {d: rollout("Pending", "", ""),
			want: Condition{Reason: "Pending", Message: "ghcr.io/acme/orders:2 not running yet: Rollout orders is pending"}},
		"Handover": {d: &v1alpha1.DeliveryStatus{Phase: "Healthy", ObservedImage: img, Handover: "handover (Deployment orders keeps serving until the Rollout is Healthy)"},
			want: Condition{Reason: "Handover", Message: "handover (Deployment orders keeps serving until the Rollout is Healthy)"}},
		"OtherImageWithoutMigration": {d: rollout("Progressing", old, "more replicas need to be updated"),
			want: Condition{Reason: "Progressing", Message: "ghcr.io/acme/orders:2 on its way, ghcr.io/acme/orders:1 runs: more replicas need to be updated"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, delivered(tc.d, img, tc.mig)); diff != "" {
				t.Errorf("delivered(...): -want, +got:\n%s", diff)
			}
		})
	}
}
