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
		ServiceAccountName:           m.Names.ServiceAccount,
		AutomountServiceAccountToken: ptr.To(m.Identity.KubernetesAPIToken),
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
			Ports:           containerPorts(w),
			Command:         w.Command,
			Args:            w.Args,
			Env:             append(platformEnv(w, wiring.Env), userEnv(w.Env)...),
			EnvFrom:         envFrom(w.EnvFrom),
			Resources:       w.Resources,
			StartupProbe:    httpProbe(w.HealthPath, w.Probes.Startup),
			ReadinessProbe:  httpProbe(w.ReadinessPath, w.Probes.Readiness),
			LivenessProbe:   httpProbe(w.LivenessPath, w.Probes.Liveness),
			SecurityContext: containerSecurityContext(),
			VolumeMounts:    append(append(writableMounts(w), fileMounts(w)...), wiring.Mounts...),
		}},
		Volumes:          append(append(writableVolumes(w), fileVolumes(w)...), wiring.Volumes...),
		ImagePullSecrets: pullSecrets(w.ImagePullSecrets),
	}
	if w.Spread {
		spread(&ps, m.Selector(component))
	}
	return corev1.PodTemplateSpec{ObjectMeta: podMeta(m, component, w), Spec: ps}
}

// podMeta is a pod template's metadata: the platform's labels over the
// workload's own (whose keys never clash: resolve refuses the platform's),
// the Azure Workload Identity label where the pods use one, and the
// workload's pod annotations.
func podMeta(m Meta, component string, w resolve.Workload) metav1.ObjectMeta {
	labels := m.Labels(component)
	if len(w.PodLabels) > 0 || m.Identity.AzureClientID != "" {
		merged := make(map[string]string, len(labels)+len(w.PodLabels)+1)
		for k, v := range w.PodLabels {
			merged[k] = v
		}
		for k, v := range labels {
			merged[k] = v
		}
		if m.Identity.AzureClientID != "" {
			merged[resolve.LabelAzureWorkloadIdentity] = "true"
		}
		labels = merged
	}
	return metav1.ObjectMeta{Labels: labels, Annotations: w.PodAnnotations}
}

// ServiceAccount is the application's pods' ServiceAccount, annotated with
// the cloud identities it maps to (workload identity). Its token is not
// mounted unless the application asks for Kubernetes API access.
func ServiceAccount(m Meta) *corev1.ServiceAccount {
	var annotations map[string]string
	for k, v := range map[string]string{
		resolve.AnnotationAWSRoleARN:        m.Identity.AWSRoleARN,
		resolve.AnnotationGCPServiceAccount: m.Identity.GCPServiceAccount,
		resolve.AnnotationAzureClientID:     m.Identity.AzureClientID,
	} {
		if v == "" {
			continue
		}
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[k] = v
	}
	return &corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   metav1.ObjectMeta{Name: m.Names.ServiceAccount, Namespace: m.Namespace, Labels: m.Labels(ComponentIdentity), Annotations: annotations},
		AutomountServiceAccountToken: ptr.To(m.Identity.KubernetesAPIToken),
	}
}

// envFrom takes every key of the Secrets and ConfigMaps a workload names.
func envFrom(in []v1alpha1.EnvFromSource) []corev1.EnvFromSource {
	var out []corev1.EnvFromSource
	for _, e := range in {
		s := corev1.EnvFromSource{Prefix: e.Prefix}
		if e.SecretRef != "" {
			s.SecretRef = &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: e.SecretRef}}
		} else {
			s.ConfigMapRef = &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: e.ConfigMapRef}}
		}
		out = append(out, s)
	}
	return out
}

// fileVolumes are the ConfigMaps and Secrets a workload mounts as files.
func fileVolumes(w resolve.Workload) []corev1.Volume {
	var out []corev1.Volume
	for i, f := range w.Files {
		v := corev1.Volume{Name: fileVolume(i)}
		if f.Secret != "" {
			v.Secret = &corev1.SecretVolumeSource{SecretName: f.Secret}
		} else {
			v.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: f.ConfigMap}}
		}
		out = append(out, v)
	}
	return out
}

// fileMounts mounts fileVolumes read-only.
func fileMounts(w resolve.Workload) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	for i, f := range w.Files {
		out = append(out, corev1.VolumeMount{Name: fileVolume(i), MountPath: f.Path, ReadOnly: true})
	}
	return out
}

func fileVolume(i int) string { return "files-" + strconv.Itoa(i) }

func pullSecrets(names []string) []corev1.LocalObjectReference {
	var out []corev1.LocalObjectReference
	for _, n := range names {
		out = append(out, corev1.LocalObjectReference{Name: n})
	}
	return out
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
func httpProbe(path string, t resolve.ProbeTiming) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{
			HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString(PortName)},
		},
		InitialDelaySeconds: t.InitialDelaySeconds,
		PeriodSeconds:       t.PeriodSeconds,
		TimeoutSeconds:      t.TimeoutSeconds,
		FailureThreshold:    t.FailureThreshold,
	}
}

// containerPorts are the main port (http) and the workload's others.
func containerPorts(w resolve.Workload) []corev1.ContainerPort {
	out := []corev1.ContainerPort{{Name: PortName, ContainerPort: w.Port, Protocol: corev1.ProtocolTCP}}
	for _, p := range w.Ports {
		out = append(out, corev1.ContainerPort{Name: p.Name, ContainerPort: p.Number, Protocol: corev1.ProtocolTCP})
	}
	return out
}

// platformEnv is what the platform sets: the port to listen on, HOME in
// the writable /tmp (npm, corepack and many tools write there) unless the
// workload's env sets it, then what the caller adds (API_URL, DATABASE_*).
func platformEnv(w resolve.Workload, extra []corev1.EnvVar) []corev1.EnvVar {
	var out []corev1.EnvVar
	if w.Port != 0 {
		out = append(out, corev1.EnvVar{Name: "PORT", Value: strconv.Itoa(int(w.Port))})
	}
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
		v := corev1.EnvVar{Name: e.Name, Value: e.Value}
		if f := e.ValueFrom; f != nil {
			v.Value = ""
			switch {
			case f.SecretKeyRef != nil:
				v.ValueFrom = &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: f.SecretKeyRef.Name}, Key: f.SecretKeyRef.Key}}
			case f.ConfigMapKeyRef != nil:
				v.ValueFrom = &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: f.ConfigMapKeyRef.Name}, Key: f.ConfigMapKeyRef.Key}}
			}
		}
		out = append(out, v)
	}
	return out
}
