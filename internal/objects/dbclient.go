package objects

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Where the backend finds the database's CA bundle: a read-only volume
// holding one file.
const (
	DatabaseCADir  = resolve.DatabaseCADir
	DatabaseCAFile = "ca.crt"
	DatabaseCAPath = DatabaseCADir + "/" + DatabaseCAFile
)

// CNPGCAKey is the key of the CA certificate in the Secret CloudNativePG
// creates for a Cluster's CA (<cluster>-ca); the same Secret holds ca.key,
// which is never mounted.
const CNPGCAKey = "ca.crt"

// ComponentMigration labels migration Jobs and their pods; no Service
// selects them.
const ComponentMigration = "migration"

// Wiring is what a workload's container gets besides its own spec:
// environment, and volumes with where they are mounted.
type Wiring struct {
	Env     []corev1.EnvVar
	Volumes []corev1.Volume
	Mounts  []corev1.VolumeMount
}

// DatabaseWiring wires a workload to its database: every value from the
// connection Secret, never as plain text, and the database's CA bundle
// mounted read-only at DatabaseCAPath. For CloudNativePG the CA is the
// operator's <cluster>-ca Secret (only its ca.crt); for a cloud provider a
// ConfigMap the platform keeps in the namespace.
func DatabaseWiring(m Meta, db resolve.Database) Wiring {
	secret := m.Names.DatabaseConnection
	ref := func(env, key string) corev1.EnvVar {
		return corev1.EnvVar{Name: env, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret},
			Key:                  key,
		}}}
	}
	items := func(key string) []corev1.KeyToPath { return []corev1.KeyToPath{{Key: key, Path: DatabaseCAFile}} }
	source := corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName: m.Names.Database + "-ca", Items: items(CNPGCAKey), DefaultMode: ptr.To[int32](0o444),
	}}
	if db.Provider != resolve.ProviderCNPG {
		source = corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: db.CABundle.ConfigMap},
			Items:                items(db.CABundle.Key), DefaultMode: ptr.To[int32](0o444),
		}}
	}
	return Wiring{
		Env: []corev1.EnvVar{
			ref("DATABASE_HOST", "host"),
			ref("DATABASE_PORT", "port"),
			ref("DATABASE_NAME", "dbname"),
			ref("DATABASE_USER", "username"),
			ref("DATABASE_PASSWORD", "password"),
			ref("DATABASE_URL", "uri"),
			ref("DATABASE_SSLMODE", "sslmode"),
			ref("DATABASE_SSLROOTCERT", "sslrootcert"),
			ref("PGSSLROOTCERT", "sslrootcert"),
			ref("DATABASE_JDBC_URL", "jdbcUrl"),
		},
		Volumes: []corev1.Volume{{Name: "db-ca", VolumeSource: source}},
		Mounts:  []corev1.VolumeMount{{Name: "db-ca", MountPath: DatabaseCADir, ReadOnly: true}},
	}
}

// MigrationJobName names the migration Job of a pod template (TemplateHash):
// a new image, command or environment gets a new Job, the same template
// the same one.
func MigrationJobName(workload, templateHash string) string {
	return names.Join(workload, "migrate-"+templateHash, names.MaxLength)
}

// TemplateHash is a short, stable hash of a Job's pod template, which the
// API server never lets change: each template (image, command,
// environment, mounts, labels) has a Job of its own, so a changed one
// replaces the Job instead of being refused.
func TemplateHash(pod corev1.PodTemplateSpec) (string, error) {
	b, err := json.Marshal(pod)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:10], nil
}

// MigrationJob runs a migration with a workload's new image, its
// environment and database wiring, under the same restricted security as
// its pods. It is never retried more than once and never outlives its
// timeout; finished, it stays until the new version serves, so its result
// can be read.
func MigrationJob(m Meta, name string, w resolve.Workload, mig resolve.Migration, wiring Wiring) *batchv1.Job {
	pod := PodTemplate(m, ComponentMigration, w, wiring)
	c := &pod.Spec.Containers[0]
	c.Command = mig.Command
	c.Ports, c.StartupProbe, c.ReadinessProbe, c.LivenessProbe = nil, nil, nil, nil
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	pod.Spec.Affinity, pod.Spec.TopologySpreadConstraints = nil, nil
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: m.Namespace, Labels: m.Labels(ComponentMigration), Annotations: m.Annotations},
		Spec: batchv1.JobSpec{
			BackoffLimit:          ptr.To[int32](1),
			ActiveDeadlineSeconds: ptr.To(mig.TimeoutSeconds),
			Template:              pod,
		},
	}
}
