package main

import (
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
)

// TestTTL checks the TTL the function answers with, which is when
// Crossplane calls again if nothing it watches changes first: soon while
// something is on its way, in a minute while a person or a timer must act,
// rarely once everything is ready and the image serves. Every example
// scenario is listed, so a new one needs a decision here.
func TestTTL(t *testing.T) {
	const (
		soon   = pipeline.TTLInProgress
		minute = pipeline.DefaultTTL
		steady = pipeline.TTLSteady
	)
	want := map[string]time.Duration{
		// Nothing composed yet: every resource is on its way.
		"fullstack-aws/nothing-exists": soon, "fullstack-azure/nothing-exists": soon, "fullstack-bluegreen/nothing-exists": soon,
		"fullstack-canary-prod/nothing-exists": soon, "fullstack-dev/nothing-exists": soon, "fullstack-gcp/nothing-exists": soon,
		"fullstack-payments/nothing-exists": soon, "nodeapp-claim/nothing-exists": soon, "nodeapp-claim-aws/nothing-exists": soon,
		"xnodeapp/nothing-exists": soon, "xnodeapp-migration/nothing-exists": soon,
		// Everything ready, the image asked for serves.
		"fullstack-aws/all-ready": steady, "fullstack-azure/all-ready": steady, "fullstack-gcp/all-ready": steady,
		"fullstack-bluegreen/healthy": steady, "fullstack-canary-prod/healthy": steady, "fullstack-dev/healthy": steady,
		"nodeapp-claim/all-ready": steady, "nodeapp-claim-aws/all-ready": steady, "xnodeapp/all-ready": steady,
		// Composed resources not ready yet (pods starting, a database
		// provisioning).
		"fullstack-bluegreen/not-ready": soon, "fullstack-canary-prod/not-ready": soon, "fullstack-dev/not-ready": soon,
		"xnodeapp/partly-ready": soon, "fullstack-dev/eu-cluster": soon,
		// A rolling update under way.
		"fullstack-dev/progressing": soon,
		// Paused: the blueGreen preview waits for its promotion, the canary
		// at a pause step.
		"fullstack-bluegreen/progressing": minute, "fullstack-canary-prod/progressing": minute,
		// The new image's migration Job runs.
		"xnodeapp-migration/new-image": soon,
	}
	seen := map[string]bool{}
	for _, e := range examples(t) {
		key := e.Name + "/" + e.Scenario
		seen[key] = true
		t.Run(key, func(t *testing.T) {
			w, ok := want[key]
			if !ok {
				t.Fatalf("no TTL decided for example scenario %s: add it to this table", key)
			}
			if diff := cmp.Diff(w, run(t, e.request(t)).GetMeta().GetTtl().AsDuration()); diff != "" {
				t.Errorf("TTL: -want, +got:\n%s", diff)
			}
		})
	}
	for key := range want {
		if !seen[key] {
			t.Errorf("the table lists %s, which is no example scenario", key)
		}
	}
}

// TestTTLOfAMigration follows a migration Job from the example through its
// outcomes: running (soon), failed (a person must act: a minute), succeeded
// with the workload still rolling the new image out (soon).
func TestTTLOfAMigration(t *testing.T) {
	e := exampleOf("xnodeapp-migration", "new-image")
	cases := map[string]struct {
		jobStatus string
		want      time.Duration
	}{
		"Running": {jobStatus: `{active: 1, startTime: "2026-11-21T09:00:00Z"}`, want: pipeline.TTLInProgress},
		"Failed": {
			jobStatus: `{failed: 3, conditions: [{type: Failed, status: "True", reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}]}`,
			want:      pipeline.DefaultTTL,
		},
		"Succeeded": {
			jobStatus: `{succeeded: 1, conditions: [{type: Complete, status: "True"}]}`,
			want:      pipeline.TTLInProgress,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := e.request(t)
			job := jobOf(t, req)
			job.GetResource().GetFields()["status"] = mustValue(t, tc.jobStatus)
			if diff := cmp.Diff(tc.want, run(t, req).GetMeta().GetTtl().AsDuration()); diff != "" {
				t.Errorf("TTL: -want, +got:\n%s", diff)
			}
		})
	}
}

func jobOf(t *testing.T, req *fnv1.RunFunctionRequest) *fnv1.Resource {
	t.Helper()
	for _, r := range req.GetObserved().GetResources() {
		if r.GetResource().GetFields()["kind"].GetStringValue() == "Job" {
			return r
		}
	}
	t.Fatal("the example observes no Job")
	return nil
}

func mustValue(t *testing.T, yamlDoc string) *structpb.Value {
	t.Helper()
	return structpb.NewStructValue(mustStruct(t, yamlDoc))
}
