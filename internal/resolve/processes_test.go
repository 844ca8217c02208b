package resolve

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

// TestProcesses resolves workers and schedules: what they take from the
// API, their defaults, and one refusal per field, each naming its path.
func TestProcesses(t *testing.T) {
	api := Workload{
		Image:            "ghcr.io/acme/pay:1",
		Env:              []v1alpha1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "MODE", Value: "api"}},
		EnvFrom:          []v1alpha1.EnvFromSource{{ConfigMapRef: "pay-config"}},
		Files:            []v1alpha1.File{{Path: "/etc/pay", Secret: "pay-files"}},
		ImagePullSecrets: []string{"ghcr-pull"},
		PodAnnotations:   map[string]string{"sidecar.istio.io/inject": "true"},
	}
	d := workloadDefaults{resources: defaultBackendResources, registry: "ghcr.io/acme"}
	t.Run("WorkerTakesTheAPIsSettings", func(t *testing.T) {
		got, errs := resolveWorkers(field.NewPath("spec", "workers"), []v1alpha1.Worker{{
			Name: "queue", Process: v1alpha1.Process{Command: []string{"node", "worker.js"}, Env: []v1alpha1.EnvVar{{Name: "MODE", Value: "worker"}}},
		}}, api, d)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		w := got[0]
		if diff := cmp.Diff([]v1alpha1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "MODE", Value: "worker"}}, w.Pods.Env); diff != "" {
			t.Errorf("env: -want, +got:\n%s", diff)
		}
		if w.Pods.Image != "" || w.Pods.Replicas != 1 || w.Database || len(w.Pods.Files) != 1 || len(w.Pods.EnvFrom) != 1 ||
			!cmp.Equal(w.Pods.ImagePullSecrets, []string{"ghcr-pull"}) || w.Pods.PodAnnotations["sidecar.istio.io/inject"] != "true" {
			t.Errorf("worker: %+v", w)
		}
	})
	t.Run("ScheduleDefaults", func(t *testing.T) {
		got, errs := resolveSchedules(field.NewPath("spec", "schedules"), []v1alpha1.Schedule{{
			Name: "nightly", Schedule: "0 3 * * *", Image: "reports:2", Process: v1alpha1.Process{Command: []string{"report"}}, Database: "Enabled",
		}}, api, d)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		s := got[0]
		want := Schedule{Name: "nightly", Schedule: "0 3 * * *", ConcurrencyPolicy: "Forbid", TimeoutSeconds: 3600,
			SuccessfulJobsHistoryLimit: 3, FailedJobsHistoryLimit: 3, Database: true}
		if s.Pods.Image != "ghcr.io/acme/reports:2" {
			t.Errorf("image %q, want the registry's", s.Pods.Image)
		}
		s.Pods = Workload{}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Errorf("schedule: -want, +got:\n%s", diff)
		}
	})

	cases := map[string]struct {
		workers   []v1alpha1.Worker
		schedules []v1alpha1.Schedule
		want      []string
	}{
		"WorkerNameInvalid": {workers: []v1alpha1.Worker{{Name: "Queue"}},
			want: []string{`spec.workers[0].name: Invalid value: "Queue": must be at most 20 lowercase letters, digits and hyphens, starting with a letter`}},
		"WorkerNameTwice": {workers: []v1alpha1.Worker{{Name: "queue"}, {Name: "queue"}},
			want: []string{`spec.workers[1].name: Duplicate value: "queue"`}},
		"WorkerNameMissing": {workers: []v1alpha1.Worker{{}},
			want: []string{`spec.workers[0].name: Required value: a name such as queue`}},
		"WorkerImageInvalid": {workers: []v1alpha1.Worker{{Name: "q", Image: "Not An Image"}},
			want: []string{`spec.workers[0].image: Invalid value: "Not An Image": must be a container image reference: [registry[:port]/]repository[:tag][@sha256:digest], lower-case repository`}},
		"WorkerReplicas": {workers: []v1alpha1.Worker{{Name: "q", Replicas: ptr.To[int64](51)}},
			want: []string{`spec.workers[0].replicas: Invalid value: 51: must be between 0 and 50, inclusive`}},
		"WorkerDatabase": {workers: []v1alpha1.Worker{{Name: "q", Database: "Yes"}},
			want: []string{`spec.workers[0].database: Unsupported value: "Yes": supported values: "Enabled", "Disabled"`}},
		"WorkerFileOverTheAPIs": {workers: []v1alpha1.Worker{{Name: "q", Process: v1alpha1.Process{Files: []v1alpha1.File{{Path: "/etc/pay", ConfigMap: "other"}}}}},
			want: []string{`spec.workers[0].files[0].path: Duplicate value: "/etc/pay"`}},
		"WorkerReservedEnv": {workers: []v1alpha1.Worker{{Name: "q", Process: v1alpha1.Process{Env: []v1alpha1.EnvVar{{Name: "DATABASE_URL", Value: "x"}}}}},
			want: []string{`spec.workers[0].env[0].name: Forbidden: DATABASE_URL is set by the platform; reserved names: `}},
		"TooManyWorkers": {workers: make([]v1alpha1.Worker, 9),
			want: []string{`spec.workers: Too many: 9: must have at most 8 items`}},
		"ScheduleWithoutCommand": {schedules: []v1alpha1.Schedule{{Name: "n", Schedule: "@daily"}},
			want: []string{`spec.schedules[0].command: Required value: what the job runs, such as [npm, run, report]`}},
		"ScheduleNotCron": {schedules: []v1alpha1.Schedule{{Name: "n", Schedule: "every night", Process: v1alpha1.Process{Command: []string{"r"}}}},
			want: []string{`spec.schedules[0].schedule: Invalid value: "every night": must be a cron schedule of five fields, such as "0 3 * * *", or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly`}},
		"ScheduleConcurrency": {schedules: []v1alpha1.Schedule{{Name: "n", Schedule: "@daily", ConcurrencyPolicy: "Queue", Process: v1alpha1.Process{Command: []string{"r"}}}},
			want: []string{`spec.schedules[0].concurrencyPolicy: Unsupported value: "Queue": supported values: "Forbid", "Allow", "Replace"`}},
		"ScheduleTimeout": {schedules: []v1alpha1.Schedule{{Name: "n", Schedule: "@daily", TimeoutSeconds: ptr.To[int64](5), Process: v1alpha1.Process{Command: []string{"r"}}}},
			want: []string{`spec.schedules[0].timeoutSeconds: Invalid value: 5: must be between 30 and 86400, inclusive`}},
		"ScheduleHistory": {schedules: []v1alpha1.Schedule{{Name: "n", Schedule: "@daily", FailedJobsHistoryLimit: ptr.To[int64](21), Process: v1alpha1.Process{Command: []string{"r"}}}},
			want: []string{`spec.schedules[0].failedJobsHistoryLimit: Invalid value: 21: must be between 0 and 20, inclusive`}},
		"ScheduleTimeZone": {schedules: []v1alpha1.Schedule{{Name: "n", Schedule: "@daily", TimeZone: "../etc/passwd", Process: v1alpha1.Process{Command: []string{"r"}}}},
			want: []string{`spec.schedules[0].timeZone: Invalid value: "../etc/passwd": must be an IANA time zone such as Europe/Berlin`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, werrs := resolveWorkers(field.NewPath("spec", "workers"), tc.workers, api, d)
			_, serrs := resolveSchedules(field.NewPath("spec", "schedules"), tc.schedules, api, d)
			var got []string
			for i, e := range append(werrs, serrs...) {
				got = append(got, e.Error())
				if i < len(tc.want) && len(e.Error()) > len(tc.want[i]) && e.Error()[:len(tc.want[i])] == tc.want[i] {
					got[i] = tc.want[i]
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors: -want, +got:\n%s", diff)
			}
		})
	}
}
