package objects

import (
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// PortName is the name of the container port and of the Service port.
const PortName = "http"

// ServicePort is the port every composed Service listens on.
const ServicePort = 80

// RunAsUser is the user and group the containers run as. 1000 is the `node`
// user of the official Node.js images, so they run unchanged under the
// restricted Pod Security Standard.
const RunAsUser = 1000

// Deployment returns the Deployment of one workload. Its pods meet the
// Kubernetes restricted Pod Security Standard: non-root, no privilege
// escalation, all capabilities dropped, RuntimeDefault seccomp. The root
// filesystem is read-only; /tmp and the workload's writablePaths are
// emptyDirs. An autoscaled workload
// leaves replicas to its HorizontalPodAutoscaler, so the two never fight.
func Deployment(m Meta, component, name string, w resolve.Workload, wiring Wiring) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: m.Namespace, Labels: m.Labels(component), Annotations: workloadAnnotations(m, w)},
		Spec: appsv1.DeploymentSpec{
			Replicas:             replicas(w),
			RevisionHistoryLimit: ptr.To[int32](5),
			Selector:             &metav1.LabelSelector{MatchLabels: m.Selector(component)},
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr.To(intstr.FromInt32(0)),
					MaxSurge:       ptr.To(intstr.FromInt32(1)),
				},
			},
			Template: PodTemplate(m, component, w, wiring),
		},
	}
}

// AnnotationMigrated lists, on a workload, the images whose migration
// succeeded (space-separated, newest last). Going back to one of them (a
// rollback) runs no migration: migration tools refuse to run an older
// version's migrations against a newer schema, so the rollback would wait
// on a Job that cannot succeed.
const AnnotationMigrated = "fullstack.io/migrated-images"

// workloadAnnotations are the annotations of a workload: the composite's,
// and the images it migrated.
func workloadAnnotations(m Meta, w resolve.Workload) map[string]string {
	if w.Migrated == "" {
		return m.Annotations
	}
	out := make(map[string]string, len(m.Annotations)+1)
	for k, v := range m.Annotations {
		out[k] = v
	}
	out[AnnotationMigrated] = w.Migrated
	return out
}

func replicas(w resolve.Workload) *int32 {
	if w.Autoscaled {
		return nil
	}
	return ptr.To(w.Replicas)
}

// PodTemplate returns the pod template of one workload, shared by its
// Deployment and its Rollout.
func PodTemplate(m Meta, component string, w resolve.Workload, wiring Wiring) corev1.PodTemplateSpec {
	ps := corev1.PodSpec{
		AutomountServiceAccountToken: ptr.To(false),
		EnableServiceLinks:           ptr.To(false),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To[int64](RunAsUser),
			RunAsGroup:     ptr.To[int64](RunAsUser),
			FSGroup:        ptr.To[int64](RunAsUser),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:            component,
			Image:           w.Image,
			Ports:           []corev1.ContainerPort{{Name: PortName, ContainerPort: w.Port, Protocol: corev1.ProtocolTCP}},
			Env:             append(platformEnv(w, wiring.Env), userEnv(w.Env)...),
			Resources:       w.Resources,
			StartupProbe:    httpProbe(w.HealthPath, 5, 30),
			ReadinessProbe:  httpProbe(w.ReadinessPath, 10, 3),
			LivenessProbe:   httpProbe(w.LivenessPath, 20, 3),
			SecurityContext: containerSecurityContext(),
			VolumeMounts:    append(writableMounts(w), wiring.Mounts...),
		}},
		Volumes: append(writableVolumes(w), wiring.Volumes...),
	}
	if w.Spread {
		spread(&ps, m.Selector(component))
	}
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: m.Labels(component)}, Spec: ps}
}

// Topology keys the pods of a spread workload are spread over.
const (
	TopologyHostname = "kubernetes.io/hostname"
	TopologyZone     = "topology.kubernetes.io/zone"
)

// spread prefers one pod per node and an even spread over zones. Both are
// preferences (ScheduleAnyway), so a small or single-zone cluster still
// schedules every pod.
func spread(ps *corev1.PodSpec, selector map[string]string) {
	ps.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 100,
			PodAffinityTerm: corev1.PodAffinityTerm{
				LabelSelector: &metav1.LabelSelector{MatchLabels: selector},
				TopologyKey:   TopologyHostname,
			},
		}},
	}}
	ps.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
		MaxSkew:           1,
		TopologyKey:       TopologyZone,
		WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector:     &metav1.LabelSelector{MatchLabels: selector},
	}}
}

func containerSecurityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		RunAsNonRoot:             ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// httpProbe probes the health path on the named container port. The startup
// probe allows period*failures seconds to start; after it passes, readiness
// and liveness take over.
func httpProbe(path string, period, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{
			HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString(PortName)},
		},
		PeriodSeconds:    period,
		TimeoutSeconds:   2,
		FailureThreshold: failures,
	}
}

// platformEnv is what the platform sets: the port to listen on, HOME in
// the writable /tmp (npm, corepack and many tools write there) unless the
// workload's env sets it, then what the caller adds (API_URL, DATABASE_*).
func platformEnv(w resolve.Workload, extra []corev1.EnvVar) []corev1.EnvVar {
	out := []corev1.EnvVar{{Name: "PORT", Value: strconv.Itoa(int(w.Port))}}
	if !slices.ContainsFunc(w.Env, func(e v1alpha1.EnvVar) bool { return e.Name == "HOME" }) {
		out = append(out, corev1.EnvVar{Name: "HOME", Value: resolve.TmpDir})
	}
	return append(out, extra...)
}

// writableVolumes are the empty directories a workload may write to: /tmp,
// then its writablePaths in their order.
func writableVolumes(w resolve.Workload) []corev1.Volume {
	out := []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	for i := range w.WritablePaths {
		out = append(out, corev1.Volume{Name: writableVolume(i), VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	}
	return out
}

// writableMounts mounts writableVolumes.
func writableMounts(w resolve.Workload) []corev1.VolumeMount {
	out := []corev1.VolumeMount{{Name: "tmp", MountPath: resolve.TmpDir}}
	for i, p := range w.WritablePaths {
		out = append(out, corev1.VolumeMount{Name: writableVolume(i), MountPath: p})
	}
	return out
}

func writableVolume(i int) string { return "writable-" + strconv.Itoa(i) }

func userEnv(in []v1alpha1.EnvVar) []corev1.EnvVar {
	out := make([]corev1.EnvVar, 0, len(in))
	for _, e := range in {
		out = append(out, corev1.EnvVar{Name: e.Name, Value: e.Value})
	}
	return out
}
