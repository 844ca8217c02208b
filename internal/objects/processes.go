package objects

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Components of workers and scheduled jobs: each has its own, so each
// Deployment selects only its own pods and each NetworkPolicy its own.
func WorkerComponent(name string) string   { return "worker-" + name }
func ScheduleComponent(name string) string { return "schedule-" + name }

// MaxCronJobName bounds a CronJob's name: the CronJob controller names its
// Jobs <cronjob>-<minutes since the epoch, 11 digits>, and a Job's name
// becomes a label value (63).
const MaxCronJobName = 52

// WorkerName and ScheduleName name a worker's Deployment and a schedule's
// CronJob (and their NetworkPolicies).
func WorkerName(m Meta, name string) string   { return names.Join(m.Names.Base, name, names.MaxLength) }
func ScheduleName(m Meta, name string) string { return names.Join(m.Names.Base, name, MaxCronJobName) }

// processPod is the pod template of a worker or scheduled job: a
// workload's, without a port or HTTP probes (nothing calls it).
func processPod(m Meta, component string, w resolve.Workload, wiring Wiring) corev1.PodTemplateSpec {
	w.Port = 0
	pod := PodTemplate(m, component, w, wiring)
	c := &pod.Spec.Containers[0]
	c.Ports, c.StartupProbe, c.ReadinessProbe, c.LivenessProbe = nil, nil, nil, nil
	return pod
}

// WorkerDeployment returns a worker's Deployment: its pods meet the
// restricted Pod Security Standard as every workload's; no Service selects
// them.
func WorkerDeployment(m Meta, wk resolve.Worker, wiring Wiring) *appsv1.Deployment {
	component := WorkerComponent(wk.Name)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: WorkerName(m, wk.Name), Namespace: m.Namespace, Labels: m.Labels(component), Annotations: m.Annotations},
		Spec: appsv1.DeploymentSpec{
			Replicas:             ptr.To(wk.Pods.Replicas),
			RevisionHistoryLimit: ptr.To[int32](5),
			Selector:             &metav1.LabelSelector{MatchLabels: m.Selector(component)},
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr.To(intstr.FromInt32(0)),
					MaxSurge:       ptr.To(intstr.FromInt32(1)),
				},
			},
			Template: processPod(m, component, wk.Pods, wiring),
		},
	}
}

// ScheduleCronJob returns a scheduled job's CronJob: one attempt and a
// retry per run, bounded by its timeout, its finished runs kept as asked.
func ScheduleCronJob(m Meta, s resolve.Schedule, wiring Wiring) *batchv1.CronJob {
	component := ScheduleComponent(s.Name)
	pod := processPod(m, component, s.Pods, wiring)
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	pod.Spec.Affinity, pod.Spec.TopologySpreadConstraints = nil, nil
	cj := &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: ScheduleName(m, s.Name), Namespace: m.Namespace, Labels: m.Labels(component), Annotations: m.Annotations},
		Spec: batchv1.CronJobSpec{
			Schedule:                   s.Schedule,
			ConcurrencyPolicy:          batchv1.ConcurrencyPolicy(s.ConcurrencyPolicy),
			SuccessfulJobsHistoryLimit: ptr.To(s.SuccessfulJobsHistoryLimit),
			FailedJobsHistoryLimit:     ptr.To(s.FailedJobsHistoryLimit),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: m.Labels(component)},
				Spec: batchv1.JobSpec{
					BackoffLimit:          ptr.To[int32](1),
					ActiveDeadlineSeconds: ptr.To(s.TimeoutSeconds),
					Template:              pod,
				},
			},
		},
	}
	if s.TimeZone != "" {
		cj.Spec.TimeZone = ptr.To(s.TimeZone)
	}
	return cj
}

// ProcessPolicy lets nothing into a worker's or scheduled job's pods, and
// out only to the application's API (every port), DNS and, with the
// database connection, the database.
func ProcessPolicy(m Meta, net resolve.Network, name, component string, api API, database bool, db resolve.Database) *networkingv1.NetworkPolicy {
	out := []networkingv1.NetworkPolicyEgressRule{
		{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: m.Selector(api.Component)}}}, Ports: tcp(api.allPorts()...)},
	}
	if database {
		out = append(out, databaseRule(m, net, db))
	}
	return networkPolicy(m, name, component, nil, append(out, dnsRule()), true)
}
