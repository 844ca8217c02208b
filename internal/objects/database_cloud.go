package objects

import (
	"strings"

	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// The fields below are the part of the Upbound providers' managed resources
// this function sets, checked against the upstream CRDs (../shared/crds):
// RDS Instance, Cloud SQL DatabaseInstance, Database and User, Flexible
// Server and its database, each in its namespaced (.m, Crossplane v2) and
// cluster-scoped (LegacyCluster) form.

// Scope is how a database's managed resources are named, configured and
// deleted.
type Scope struct {
	// Namespaced is true for a Crossplane v2 XR: the managed resources use
	// the namespaced (.m) API groups and live in the XR's namespace. A
	// LegacyCluster XR composes the cluster-scoped groups.
	Namespaced bool
	// ClusterScopedName names cluster-scoped managed resources; it is unique
	// across namespaces (derived from the XR's name).
	ClusterScopedName string
	// Protected leaves the cloud database in place when the XR or the
	// managed resource is deleted.
	Protected bool
	// ExternalName is the cloud name of the instance: a Cloud SQL
	// DatabaseInstance's or Flexible Server's crossplane.io/external-name
	// (upjet TemplatedStringAsIdentifier("name", ...): the annotation is the
	// instance's name), an RDS Instance's spec.forProvider.identifier (its
	// external name is the DBI resource ID, IdentifierFromProvider). Empty
	// leaves the provider's default: metadata.name (crossplane-runtime
	// NameAsExternalName) for Cloud SQL and Flexible Server, which
	// cluster-scoped resources keep, and a generated identifier for RDS.
	ExternalName string
	// SnapshotPrefix starts the name of an RDS instance's final snapshot;
	// like ExternalName it is unique in the cloud account.
	SnapshotPrefix string
}

// instanceAnnotations are the annotations of a database instance's
// managed resource: its external name, when the scope sets one.
func (s Scope) instanceAnnotations() map[string]string {
	if s.ExternalName == "" {
		return nil
	}
	return map[string]string{ExternalNameAnnotation: s.ExternalName}
}

// ProtectedManagementPolicies leave out Delete: deleting the XR or the
// managed resource leaves the cloud database in place.
var ProtectedManagementPolicies = []string{"Observe", "Create", "Update", "LateInitialize"}

// Managed is a managed resource with the parameters P.
type Managed[P any] struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   CRDMeta        `json:"metadata"`
	Spec       ManagedSpec[P] `json:"spec"`
}

// ManagedSpec is the spec every managed resource shares.
type ManagedSpec[P any] struct {
	ForProvider        P                 `json:"forProvider"`
	ProviderConfigRef  ProviderConfigRef `json:"providerConfigRef"`
	ManagementPolicies []string          `json:"managementPolicies,omitempty"`
	DeletionPolicy     string            `json:"deletionPolicy,omitempty"`
}

// ProviderConfigRef names a provider config; Kind is for namespaced managed
// resources only.
type ProviderConfigRef struct {
	Kind string `json:"kind,omitempty"`
	Name string `json:"name"`
}

// SecretKeyRef is a key of a Secret; Namespace is for cluster-scoped
// managed resources only.
type SecretKeyRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Key       string `json:"key"`
}

// NameRef references another managed resource by name.
type NameRef struct {
	Name string `json:"name"`
}

// managed returns a managed resource with metadata, provider config and
// deletion behaviour for the scope. suffix tells the resources of one
// database apart.
func managed[P any](m Meta, s Scope, pc resolve.ProviderConfig, apiVersion, kind, suffix string, fp P) Managed[P] {
	r := Managed[P]{
		APIVersion: apiVersion,
		Kind:       kind,
		Metadata:   CRDMeta{Labels: m.Labels(ComponentDatabase)},
		Spec:       ManagedSpec[P]{ForProvider: fp, ProviderConfigRef: ProviderConfigRef{Name: pc.Name}},
	}
	r.Metadata.Name = managedName(m, s, suffix)
	if s.Namespaced {
		r.Metadata.Namespace = m.Namespace
		r.Spec.ProviderConfigRef.Kind = pc.Kind
		r.Spec.ManagementPolicies = []string{"*"}
		if s.Protected {
			r.Spec.ManagementPolicies = ProtectedManagementPolicies
		}
		return r
	}
	r.Spec.DeletionPolicy = "Delete"
	if s.Protected {
		r.Spec.DeletionPolicy = "Orphan"
	}
	return r
}

// passwordRef references the database password Secret in the application's
// namespace; namespaced managed resources take no namespace.
func passwordRef(m Meta, s Scope) SecretKeyRef {
	ref := SecretKeyRef{Name: m.Names.DatabasePassword, Key: PasswordKey}
	if !s.Namespaced {
		ref.Namespace = m.Namespace
	}
	return ref
}

// RDSInstanceParameters are an RDS Instance's forProvider.
type RDSInstanceParameters struct {
	// Identifier is the instance's name in the account and region.
	Identifier       string `json:"identifier,omitempty"`
	Region           string `json:"region"`
	Engine           string `json:"engine"`
	EngineVersion    string `json:"engineVersion"`
	InstanceClass    string `json:"instanceClass"`
	AllocatedStorage int64  `json:"allocatedStorage"`
	StorageType      string `json:"storageType"`
	// IOPS and StorageThroughput are gp3's baseline at and above
	// RDSGP3Threshold GiB, unset below it (where RDS refuses them).
	IOPS              int64 `json:"iops,omitempty"`
	StorageThroughput int64 `json:"storageThroughput,omitempty"`
	// ParameterGroupName is the default group of the engine's major
	// version, so a major upgrade moves to the new family's group.
	ParameterGroupName      string       `json:"parameterGroupName"`
	StorageEncrypted        bool         `json:"storageEncrypted"`
	DBName                  string       `json:"dbName"`
	Username                string       `json:"username"`
	AutoGeneratePassword    bool         `json:"autoGeneratePassword"`
	PasswordSecretRef       SecretKeyRef `json:"passwordSecretRef"`
	DBSubnetGroupName       string       `json:"dbSubnetGroupName"`
	VPCSecurityGroupIDs     []string     `json:"vpcSecurityGroupIds"`
	PubliclyAccessible      bool         `json:"publiclyAccessible"`
	MultiAZ                 bool         `json:"multiAz"`
	BackupRetentionPeriod   int64        `json:"backupRetentionPeriod"`
	AutoMinorVersionUpgrade bool         `json:"autoMinorVersionUpgrade"`
	ApplyImmediately        bool         `json:"applyImmediately"`
	// AllowMajorVersionUpgrade is sent only for an upgrade (and kept after).
	AllowMajorVersionUpgrade bool   `json:"allowMajorVersionUpgrade,omitempty"`
	DeletionProtection       bool   `json:"deletionProtection"`
	SkipFinalSnapshot        bool   `json:"skipFinalSnapshot"`
	FinalSnapshotIdentifier  string `json:"finalSnapshotIdentifier,omitempty"`
}

// RDSInstance returns the RDS Instance of db, whose AWS settings are set.
// RDS generates the master password (autoGeneratePassword) into the
// database password Secret.
func RDSInstance(m Meta, db resolve.Database, s Scope) Managed[RDSInstanceParameters] {
	c := db.AWS
	apiVersion := s.api("rds.aws.m.upbound.io/v1beta1", "rds.aws.upbound.io/v1beta3")
	r := managed(m, s, c.ProviderConfig, apiVersion, "Instance", "", RDSInstanceParameters{
		Region:                   db.Region,
		Engine:                   "postgres",
		EngineVersion:            db.Version,
		InstanceClass:            c.InstanceClass,
		AllocatedStorage:         c.StorageGiB,
		StorageType:              "gp3",
		StorageEncrypted:         true,
		DBName:                   db.Name,
		Username:                 db.Owner,
		AutoGeneratePassword:     true,
		PasswordSecretRef:        passwordRef(m, s),
		DBSubnetGroupName:        c.DBSubnetGroupName,
		VPCSecurityGroupIDs:      c.VPCSecurityGroupIDs,
		PubliclyAccessible:       false,
		MultiAZ:                  c.MultiAZ,
		BackupRetentionPeriod:    c.BackupRetentionDays,
		AutoMinorVersionUpgrade:  true,
		ApplyImmediately:         true,
		AllowMajorVersionUpgrade: c.AllowMajorVersionUpgrade,
		DeletionProtection:       s.Protected,
		SkipFinalSnapshot:        !s.Protected,
		ParameterGroupName:       "default.postgres" + major(db.Version),
	})
	if c.StorageGiB >= RDSGP3Threshold {
		r.Spec.ForProvider.IOPS, r.Spec.ForProvider.StorageThroughput = max(c.IOPS, RDSGP3BaselineIOPS), max(c.StorageThroughput, RDSGP3BaselineThroughput)
	}
	r.Spec.ForProvider.Identifier = s.ExternalName
	if s.Protected {
		// Snapshot identifiers are unique per account and region, like
		// instance identifiers: named after the instance's unique name.
		prefix := s.SnapshotPrefix
		if prefix == "" {
			prefix = r.Metadata.Name
		}
		r.Spec.ForProvider.FinalSnapshotIdentifier = prefix + "-final"
	}
	return r
}

// The provider late-initializes every field of an RDS Instance it does not
// ignore (provider-upjet-aws v2.6.0 config/namespaced/rds/config.go ignores
// only name, db_name and availability_zone): parameterGroupName, iops and
// storageThroughput land in spec.forProvider after creation, and Terraform
// sends them back on a later change. The fields below are composed so the
// function owns them, with values that stay right across the changes it
// makes:
//   - a major upgrade with the old family's parameter group is refused by
//     RDS, so the group follows the major version;
//   - growing gp3 storage to RDSGP3Threshold GiB or more sends iops with the
//     new size (terraform-provider-aws internal/service/rds/instance.go
//     dbInstancePopulateModify: "Send Iops if it has changed or not
//     (StorageType == gp3 and AllocatedStorage < threshold)"), and the
//     3000 late-initialized below the threshold is under the 12000 baseline
//     RDS requires above it; below it RDS refuses any iops.
const (
	// RDSGP3Threshold is the PostgreSQL gp3 size (GiB) from which RDS
	// takes provisioned IOPS and throughput
	// (isStorageTypeGP3BelowAllocatedStorageThreshold: postgres < 400).
	RDSGP3Threshold = 400
	// RDSGP3BaselineIOPS and RDSGP3BaselineThroughput (MiB/s) are gp3's
	// baseline for PostgreSQL at and above the threshold.
	RDSGP3BaselineIOPS       = 12000
	RDSGP3BaselineThroughput = 500
)

// major is the major version of a PostgreSQL version ("16" of "16.4").
func major(version string) string {
	m, _, _ := strings.Cut(version, ".")
	return m
}

// api is the API version of a kind in the scope: the namespaced group's,
// or the storage version of the cluster-scoped kind.
func (s Scope) api(namespaced, clusterScoped string) string {
	if s.Namespaced {
		return namespaced
	}
	return clusterScoped
}

// managedName is the name of a database's managed resource in its scope.
func managedName(m Meta, s Scope, suffix string) string {
	if s.Namespaced {
		return m.Names.Database + suffix
	}
	return s.ClusterScopedName + suffix
}
