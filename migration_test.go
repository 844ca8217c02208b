package main

import (
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"

	"github.com/fullstack-fn/function-fullstack/internal/composite"
)

// TestMigrationGatesANewImage walks an XNodeApp's backend and an
// XFullStackService's Rollout through migrations, playing the Job
// controller: a new image runs the migration Job first and the workload
// keeps the image it serves until the Job succeeds; a failed Job keeps the
// old version serving and says why; an unchanged image runs nothing.
func TestMigrationGatesANewImage(t *testing.T) {
	type step struct {
		what string
		// spec is merged into the XR before the reconcile; job plays the Job
		// controller on the Job of that image before it ("Complete",
		// "Failed").
		spec, job, jobImage string
		// Want: the workload's image ("" for no workload), the image whose
		// Job is desired ("" for none), and the Migrated condition
		// (reason, and words its message holds).
		image, jobFor, reason string
		says                  []string
		// command is the Job's, when not npm run migrate.
		command []any
	}
	const migrate = `database: {migration: {command: [npm, run, migrate]}}`
	cases := map[string]struct {
		xr       func(string) string
		workload string
		steps    []step
	}{
		"XNodeAppBackend": {
			xr: nodeApp, workload: string(composite.ResBackendDeployment),
			steps: []step{
				{what: "a new app waits for its first migration", spec: migrate,
					image: "", jobFor: "ghcr.io/acme/api:1", reason: "Migrating", says: []string{"shop-backend-migrate-", "no version serves until it succeeds"}},
				{what: "the migration succeeded: the backend is created", job: "Complete", jobImage: "ghcr.io/acme/api:1",
					image: "ghcr.io/acme/api:1", jobFor: "ghcr.io/acme/api:1", reason: "MigrationSucceeded"},
				{what: "the image serves: the Job leaves desired state",
					image: "ghcr.io/acme/api:1"},
				{what: "a new image migrates first; the old one keeps serving", spec: `backend: {image: "ghcr.io/acme/api:2"}`,
					image: "ghcr.io/acme/api:1", jobFor: "ghcr.io/acme/api:2", reason: "Migrating", says: []string{"ghcr.io/acme/api:1 keeps serving"}},
				{what: "a failed migration keeps the old version and names the Job", job: "Failed", jobImage: "ghcr.io/acme/api:2",
					image: "ghcr.io/acme/api:1", jobFor: "ghcr.io/acme/api:2", reason: "MigrationFailed",
					says: []string{"shop-backend-migrate-", "BackoffLimitExceeded: Job has reached the specified backoff limit", "ghcr.io/acme/api:1 keeps serving"}},
				{what: "another command for the same image replaces the Job (its pod template is immutable)", spec: `database: {migration: {command: [npm, run, migrate, --, --verbose]}}`,
					image: "ghcr.io/acme/api:1", jobFor: "ghcr.io/acme/api:2", reason: "Migrating", command: []any{"npm", "run", "migrate", "--", "--verbose"}},
				{what: "the new Job succeeds: the backend takes the new image", job: "Complete", jobImage: "ghcr.io/acme/api:2",
					image: "ghcr.io/acme/api:2", jobFor: "ghcr.io/acme/api:2", reason: "MigrationSucceeded", command: []any{"npm", "run", "migrate", "--", "--verbose"}},
				{what: "a rollback to an image that served runs no migration (its tool would refuse the newer schema)", spec: `backend: {image: "ghcr.io/acme/api:1"}`,
					image: "ghcr.io/acme/api:1"},
				{what: "and forward again: that migration succeeded already", spec: `backend: {image: "ghcr.io/acme/api:2"}`,
					image: "ghcr.io/acme/api:2"},
				{what: "without a migration a new image rolls out at once", spec: `database: {migration: null}
backend: {image: "ghcr.io/acme/api:3"}`,
					image: "ghcr.io/acme/api:3"},
			},
		},
		"XFullStackServiceRollout": {
			xr: fullStackService, workload: string(composite.ResServiceRollout),
			steps: []step{
				{what: "the first version, no migration yet", spec: `delivery: {strategy: canary}`,
					image: "ghcr.io/acme/orders:1"},
				{what: "a new image with a migration: the Rollout keeps the old one", spec: `backend: {image: "ghcr.io/acme/orders:2"}
` + migrate,
					image: "ghcr.io/acme/orders:1", jobFor: "ghcr.io/acme/orders:2", reason: "Migrating", says: []string{"orders-migrate-"}},
				{what: "the migration succeeded: the Rollout takes the new image", job: "Complete", jobImage: "ghcr.io/acme/orders:2",
					image: "ghcr.io/acme/orders:2", jobFor: "ghcr.io/acme/orders:2", reason: "MigrationSucceeded"},
				{what: "a rollback to the first version runs no migration", spec: `backend: {image: "ghcr.io/acme/orders:1"}`,
					image: "ghcr.io/acme/orders:1"},
				{what: "a version never migrated still migrates first", spec: `backend: {image: "ghcr.io/acme/orders:3"}`,
					image: "ghcr.io/acme/orders:1", jobFor: "ghcr.io/acme/orders:3", reason: "Migrating"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := ""
			w := newWorld(t, tc.xr(spec))
			for _, s := range tc.steps {
				if s.spec != "" {
					spec = s.spec
					merge(w.xr["spec"].(map[string]any), readYAML(t, spec))
					dropNulls(w.xr)
				}
				if s.job != "" {
					var job map[string]any
					for n, o := range w.observed {
						if strings.HasPrefix(n, composite.ResMigrationPrefix) && jobContainer(o)["image"] == s.jobImage {
							job = o
						}
					}
					if job == nil {
						t.Fatalf("%s: no Job for %s to play", s.what, s.jobImage)
					}
					job["status"] = jobStatus(s.job)
				}
				rsp := w.reconcile()
				desired := rsp.GetDesired().GetResources()
				image := ""
				if _, ok := desired[tc.workload]; ok {
					image, _ = valueAt(rsp, tc.workload, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)["image"].(string)
				}
				if image != s.image {
					t.Errorf("%s: workload image %q, want %q", s.what, image, s.image)
				}
				var jobs []string
				for n, r := range desired {
					if strings.HasPrefix(n, composite.ResMigrationPrefix) {
						c := jobContainer(r.GetResource().AsMap())
						jobs = append(jobs, c["image"].(string))
						command := []any{"npm", "run", "migrate"}
						if s.command != nil {
							command = s.command
						}
						if diff := cmp.Diff(command, c["command"]); diff != "" {
							t.Errorf("%s: Job command: -want, +got:\n%s", s.what, diff)
						}
					}
				}
				var wantJobs []string
				if s.jobFor != "" {
					wantJobs = []string{s.jobFor}
				}
				if diff := cmp.Diff(wantJobs, jobs); diff != "" {
					t.Errorf("%s: Jobs (by image): -want, +got:\n%s", s.what, diff)
				}
				var cond *fnv1.Condition
				for _, c := range rsp.GetConditions() {
					if c.GetType() == ConditionMigrated {
						cond = c
					}
				}
				if cond.GetReason() != s.reason {
					t.Errorf("%s: Migrated reason %q, want %q (%s)", s.what, cond.GetReason(), s.reason, cond.GetMessage())
				}
				for _, want := range s.says {
					if !strings.Contains(cond.GetMessage(), want) {
						t.Errorf("%s: Migrated message %q does not say %q", s.what, cond.GetMessage(), want)
					}
				}
				if s.reason == ReasonMigrationFailed && len(messages(rsp, fnv1.Severity_SEVERITY_WARNING)) == 0 {
					t.Errorf("%s: no warning for the failed migration", s.what)
				}
				w.report()
			}
		})
	}
}

// jobContainer is the container of a Job.
func jobContainer(job map[string]any) map[string]any {
	return job["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
}

// jobStatus is what the Job controller reports on a finished Job.
func jobStatus(state string) map[string]any {
	if state == "Complete" {
		return map[string]any{"succeeded": float64(1), "conditions": []any{
			map[string]any{"type": "SuccessCriteriaMet", "status": "True"},
			map[string]any{"type": "Complete", "status": "True"},
		}}
	}
	return map[string]any{"failed": float64(2), "conditions": []any{
		map[string]any{"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"},
		map[string]any{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"},
	}}
}

// dropNulls removes keys a YAML null unset (as a merge patch would).
func dropNulls(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropNulls(x)
		}
	}
}
