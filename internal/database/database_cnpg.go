package database

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/crossplane/function-sdk-go/resource/composed"

	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// CNPGSize is what one database size means for a CloudNativePG Cluster.
type CNPGSize struct {
	Instances     int64
	Storage       string
	CPURequest    string
	MemoryRequest string
	CPULimit      string
	MemoryLimit   string
}

// CNPGSizes is the size catalog for in-cluster databases. README.md prints it;
// a test keeps the two in step.
var CNPGSizes = map[string]CNPGSize{
	resolve.SizeSmall:  {Instances: 1, Storage: "5Gi", CPURequest: "250m", MemoryRequest: "512Mi", CPULimit: "1", MemoryLimit: "1Gi"},
	resolve.SizeMedium: {Instances: 2, Storage: "20Gi", CPURequest: "500m", MemoryRequest: "1Gi", CPULimit: "2", MemoryLimit: "2Gi"},
	resolve.SizeLarge:  {Instances: 3, Storage: "100Gi", CPURequest: "1", MemoryRequest: "4Gi", CPULimit: "4", MemoryLimit: "8Gi"},
}

// PostgresImageRepository is where CloudNativePG publishes its PostgreSQL
// operand images; the major version is the tag.
const PostgresImageRepository = "ghcr.io/cloudnative-pg/postgresql"

// The fields below are the part of postgresql.cnpg.io/v1 Cluster this
// function sets, checked against the upstream CRD (../shared/crds).

// CNPGCluster is a postgresql.cnpg.io/v1 Cluster.
type CNPGCluster struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   objects.CRDMeta `json:"metadata"`
	Spec       CNPGClusterSpec `json:"spec"`
}

// CNPGClusterSpec is the part of a Cluster's spec this function sets.
type CNPGClusterSpec struct {
	Instances             int64                        `json:"instances"`
	ImageName             string                       `json:"imageName,omitempty"`
	PrimaryUpdateStrategy string                       `json:"primaryUpdateStrategy,omitempty"`
	EnableSuperuserAccess *bool                        `json:"enableSuperuserAccess,omitempty"`
	InheritedMetadata     *CNPGInheritedMetadata       `json:"inheritedMetadata,omitempty"`
	Bootstrap             *CNPGBootstrap               `json:"bootstrap,omitempty"`
	Storage               *CNPGStorage                 `json:"storage,omitempty"`
	Resources             *corev1.ResourceRequirements `json:"resources,omitempty"`
	Affinity              *CNPGAffinity                `json:"affinity,omitempty"`
}

// CNPGInheritedMetadata is copied onto every object CloudNativePG creates.
type CNPGInheritedMetadata struct {
	Labels map[string]string `json:"labels,omitempty"`
}

// CNPGBootstrap creates the application database.
type CNPGBootstrap struct {
	InitDB *CNPGInitDB `json:"initdb,omitempty"`
}

// CNPGInitDB names the application database and its owner.
type CNPGInitDB struct {
	Database string `json:"database"`
	Owner    string `json:"owner"`
}

// CNPGStorage sizes each instance's volume.
type CNPGStorage struct {
	Size string `json:"size"`
}

// CNPGAffinity spreads instances across nodes.
type CNPGAffinity struct {
	EnablePodAntiAffinity *bool  `json:"enablePodAntiAffinity,omitempty"`
	TopologyKey           string `json:"topologyKey,omitempty"`
}

// CloudNativePGCluster returns the Cluster for the application database,
// sized by the catalog, as the resource ResDatabase of a Output. observed is the Cluster as it exists now, or nil.
//
// Storage never shrinks: a PersistentVolumeClaim cannot be made smaller, and
// CloudNativePG would have to recreate instances to do it. When the size
// asks for less than the observed Cluster has, the observed size is kept and
// a warning says so.
func CloudNativePGCluster(m objects.Meta, db resolve.Database, observed *composed.Unstructured) (*Output, error) {
	size, ok := CNPGSizes[db.Size]
	if !ok {
		return nil, fmt.Errorf("no CloudNativePG size %q in the catalog", db.Size)
	}
	res := &Output{}
	storage := size.Storage
	if kept, warning := keepLargerStorage(storage, observed); kept != "" {
		storage = kept
		res.Warnings = append(res.Warnings, warning)
	}
	labels := m.Labels(objects.ComponentDatabase)
	c := CNPGCluster{
		APIVersion: "postgresql.cnpg.io/v1",
		Kind:       "Cluster",
		Metadata:   objects.CRDMeta{Name: m.Names.Database, Namespace: m.Namespace, Labels: labels},
		Spec: CNPGClusterSpec{
			Instances:             size.Instances,
			ImageName:             PostgresImageRepository + ":" + db.Version,
			PrimaryUpdateStrategy: "unsupervised",
			EnableSuperuserAccess: boolPtr(false),
			InheritedMetadata:     &CNPGInheritedMetadata{Labels: labels},
			Bootstrap:             &CNPGBootstrap{InitDB: &CNPGInitDB{Database: db.Name, Owner: db.Owner}},
			Storage:               &CNPGStorage{Size: storage},
			Resources: &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{
					corev1.ResourceCPU:    resource.MustParse(size.CPURequest),
					corev1.ResourceMemory: resource.MustParse(size.MemoryRequest),
				},
				Limits: corev1.ResourceList{
					corev1.ResourceCPU:    resource.MustParse(size.CPULimit),
					corev1.ResourceMemory: resource.MustParse(size.MemoryLimit),
				},
			},
		},
	}
	if size.Instances > 1 {
		c.Spec.Affinity = &CNPGAffinity{EnablePodAntiAffinity: boolPtr(true), TopologyKey: "kubernetes.io/hostname"}
	}
	u, err := objects.FromCRD(c)
	if err != nil {
		return nil, err
	}
	res.Resources = []objects.Composed{{Name: ResDatabase, Object: u}}
	return res, nil
}

// keepLargerStorage returns the observed storage size and a warning when it
// is larger than want, else "".
func keepLargerStorage(want string, observed *composed.Unstructured) (string, string) {
	if observed == nil {
		return "", ""
	}
	have, err := observed.GetString("spec.storage.size")
	if err != nil || have == "" {
		return "", ""
	}
	hq, err := resource.ParseQuantity(have)
	if err != nil {
		return "", ""
	}
	if hq.Cmp(resource.MustParse(want)) <= 0 {
		return "", ""
	}
	return have, fmt.Sprintf("spec.database.size asks for %s of storage but the database already has %s; "+
		"storage is never shrunk, so %s is kept", want, have, have)
}

// DatabaseHost is the in-cluster DNS name of the read-write Service
// CloudNativePG creates for the Cluster.
func DatabaseHost(m objects.Meta) string {
	return fmt.Sprintf("%s.%s.svc", m.Names.DatabaseRWService, m.Namespace)
}

func boolPtr(b bool) *bool { return &b }
