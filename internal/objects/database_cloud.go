package objects

import (
	"slices"
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

// CloudSQLInstanceParameters are a Cloud SQL DatabaseInstance's forProvider.
type CloudSQLInstanceParameters struct {
	Region             string           `json:"region"`
	DatabaseVersion    string           `json:"databaseVersion"`
	DeletionProtection bool             `json:"deletionProtection"`
	Settings           CloudSQLSettings `json:"settings"`
}

// CloudSQLSettings are a DatabaseInstance's settings.
type CloudSQLSettings struct {
	Tier                      string                      `json:"tier"`
	DiskSize                  int64                       `json:"diskSize"`
	DiskType                  string                      `json:"diskType"`
	DiskAutoresize            bool                        `json:"diskAutoresize"`
	Edition                   string                      `json:"edition"`
	AvailabilityType          string                      `json:"availabilityType"`
	DeletionProtectionEnabled bool                        `json:"deletionProtectionEnabled"`
	BackupConfiguration       CloudSQLBackupConfiguration `json:"backupConfiguration"`
	IPConfiguration           CloudSQLIPConfiguration     `json:"ipConfiguration"`
	FinalBackupConfig         *CloudSQLFinalBackupConfig  `json:"finalBackupConfig,omitempty"`
	RetainBackupsOnDelete     bool                        `json:"retainBackupsOnDelete,omitempty"`
}

// CloudSQLBackupConfiguration keeps backups.
type CloudSQLBackupConfiguration struct {
	Enabled                    bool                            `json:"enabled"`
	PointInTimeRecoveryEnabled bool                            `json:"pointInTimeRecoveryEnabled"`
	BackupRetentionSettings    CloudSQLBackupRetentionSettings `json:"backupRetentionSettings"`
}

// CloudSQLBackupRetentionSettings says how many backups are kept.
type CloudSQLBackupRetentionSettings struct {
	RetainedBackups int64  `json:"retainedBackups"`
	RetentionUnit   string `json:"retentionUnit"`
}

// CloudSQLIPConfiguration makes the instance private and encrypted.
type CloudSQLIPConfiguration struct {
	IPv4Enabled    bool   `json:"ipv4Enabled"`
	PrivateNetwork string `json:"privateNetwork"`
	SSLMode        string `json:"sslMode"`
	// ServerCAMode GOOGLE_MANAGED_CAS_CA signs server certificates with a
	// regional CA hierarchy and the instance's addresses as names, so
	// clients can verify the name (verify-full).
	ServerCAMode string `json:"serverCaMode,omitempty"`
}

// CloudSQLFinalBackupConfig takes a final backup when the instance is
// deleted.
type CloudSQLFinalBackupConfig struct {
	Enabled       bool  `json:"enabled"`
	RetentionDays int64 `json:"retentionDays"`
}

// CloudSQLEdition is the edition a Cloud SQL tier needs. Without one, the
// Cloud SQL API picks ENTERPRISE_PLUS for POSTGRES_16 and later, which takes
// only the db-perf-optimized-N-* tiers; shared-core and custom tiers
// (db-custom-*, db-g1-small, db-f1-micro) need ENTERPRISE, or the instance
// is never created ("Invalid Tier (...) for (ENTERPRISE_PLUS) Edition": the
// edition field of provider-upjet-gcp v3.0.0's DatabaseInstance CRD). The
// edition follows the tier, so it never changes for an existing instance:
// the default the API chose is the one derived here.
func CloudSQLEdition(tier string) string {
	if strings.HasPrefix(tier, "db-perf-optimized-") {
		return "ENTERPRISE_PLUS"
	}
	return "ENTERPRISE"
}

// CloudSQLDatabaseParameters are a Cloud SQL Database's forProvider.
type CloudSQLDatabaseParameters struct {
	InstanceRef NameRef `json:"instanceRef"`
}

// CloudSQLUserParameters are a Cloud SQL User's forProvider.
type CloudSQLUserParameters struct {
	InstanceRef       NameRef      `json:"instanceRef"`
	Type              string       `json:"type"`
	PasswordSecretRef SecretKeyRef `json:"passwordSecretRef"`
}

// api is the API version of a kind in the scope: the namespaced group's,
// or the storage version of the cluster-scoped kind.
func (s Scope) api(namespaced, clusterScoped string) string {
	if s.Namespaced {
		return namespaced
	}
	return clusterScoped
}

// gcpAPI is the API version of a Cloud SQL kind in the scope.
func gcpAPI(s Scope, kind string) string {
	if kind == "Database" {
		return s.api("sql.gcp.m.upbound.io/v1beta1", "sql.gcp.upbound.io/v1beta1")
	}
	return s.api("sql.gcp.m.upbound.io/v1beta1", "sql.gcp.upbound.io/v1beta2")
}

// CloudSQLInstance returns the Cloud SQL instance of db, whose GCP settings
// are set: private, SSD, backups kept, a final backup when protected.
func CloudSQLInstance(m Meta, db resolve.Database, s Scope) Managed[CloudSQLInstanceParameters] {
	c := db.GCP
	availability := "ZONAL"
	if c.HighAvailability {
		availability = "REGIONAL"
	}
	settings := CloudSQLSettings{
		Tier:                      c.Tier,
		DiskSize:                  c.DiskSizeGB,
		DiskType:                  "PD_SSD",
		DiskAutoresize:            true,
		Edition:                   CloudSQLEdition(c.Tier),
		AvailabilityType:          availability,
		DeletionProtectionEnabled: s.Protected,
		BackupConfiguration: CloudSQLBackupConfiguration{
			Enabled:                    c.BackupRetentionDays > 0,
			PointInTimeRecoveryEnabled: s.Protected,
			BackupRetentionSettings:    CloudSQLBackupRetentionSettings{RetainedBackups: c.BackupRetentionDays, RetentionUnit: "COUNT"},
		},
		IPConfiguration: CloudSQLIPConfiguration{IPv4Enabled: false, PrivateNetwork: c.PrivateNetwork, SSLMode: "ENCRYPTED_ONLY", ServerCAMode: "GOOGLE_MANAGED_CAS_CA"},
	}
	if s.Protected {
		// A final backup, and the backups kept, when the instance is deleted.
		settings.FinalBackupConfig = &CloudSQLFinalBackupConfig{Enabled: true, RetentionDays: 30}
		settings.RetainBackupsOnDelete = true
	}
	r := managed(m, s, c.ProviderConfig, gcpAPI(s, "DatabaseInstance"), "DatabaseInstance", "", CloudSQLInstanceParameters{
		Region:             db.Region,
		DatabaseVersion:    "POSTGRES_" + db.Version,
		DeletionProtection: s.Protected,
		Settings:           settings,
	})
	r.Metadata.Annotations = s.instanceAnnotations()
	return r
}

// CloudSQLDatabase returns the application database in the Cloud SQL
// instance, named by its external name.
func CloudSQLDatabase(m Meta, db resolve.Database, s Scope) Managed[CloudSQLDatabaseParameters] {
	instance := NameRef{Name: managedName(m, s, "")}
	r := managed(m, s, db.GCP.ProviderConfig, gcpAPI(s, "Database"), "Database", "-database", CloudSQLDatabaseParameters{InstanceRef: instance})
	r.Metadata.Annotations = map[string]string{ExternalNameAnnotation: db.Name}
	return r
}

// CloudSQLUser returns the application role in the Cloud SQL instance, with
// the password from the database password Secret.
func CloudSQLUser(m Meta, db resolve.Database, s Scope) Managed[CloudSQLUserParameters] {
	instance := NameRef{Name: managedName(m, s, "")}
	r := managed(m, s, db.GCP.ProviderConfig, gcpAPI(s, "User"), "User", "-user", CloudSQLUserParameters{
		InstanceRef: instance, Type: "BUILT_IN", PasswordSecretRef: passwordRef(m, s),
	})
	r.Metadata.Annotations = map[string]string{ExternalNameAnnotation: db.Owner}
	return r
}

// FlexibleServerParameters are an Azure Flexible Server's forProvider.
type FlexibleServerParameters struct {
	Location                       string                   `json:"location"`
	ResourceGroupName              string                   `json:"resourceGroupName"`
	Version                        string                   `json:"version"`
	SKUName                        string                   `json:"skuName"`
	StorageMB                      int64                    `json:"storageMb"`
	StorageTier                    string                   `json:"storageTier"`
	AutoGrowEnabled                bool                     `json:"autoGrowEnabled"`
	AdministratorLogin             string                   `json:"administratorLogin"`
	AutoGeneratePassword           bool                     `json:"autoGeneratePassword"`
	AdministratorPasswordSecretRef SecretKeyRef             `json:"administratorPasswordSecretRef"`
	DelegatedSubnetID              string                   `json:"delegatedSubnetId"`
	PrivateDNSZoneID               string                   `json:"privateDnsZoneId"`
	PublicNetworkAccessEnabled     bool                     `json:"publicNetworkAccessEnabled"`
	BackupRetentionDays            int64                    `json:"backupRetentionDays"`
	HighAvailability               *FlexibleServerHighAvail `json:"highAvailability,omitempty"`
	// CreateMode Update upgrades the major version in place; without it a
	// new version replaces the server.
	CreateMode string `json:"createMode,omitempty"`
}

// flexibleServerTiers are the storage tiers (performance) azurerm accepts
// for each storage size, the default first: terraform-provider-azurerm
// v4.80.0 internal/services/postgres/validate/flexible_server_storage_tier.go
// (InitializeFlexibleServerStorageTierDefaults). The provider late-initializes
// storageTier into the spec (provider-upjet-azure v2.7.0
// config/namespaced/postgresql/config.go ignores only ssl_enforcement and
// storage_profile), and azurerm's CustomizeDiff then refuses a storageMb whose
// tier does not fit ("invalid 'storage_tier' ... for defined 'storage_mb'
// size"), so the tier is composed with the storage.
var flexibleServerTiers = map[int64][]string{
	32768:    {"P4", "P6", "P10", "P15", "P20", "P30", "P40", "P50"},
	65536:    {"P6", "P10", "P15", "P20", "P30", "P40", "P50"},
	131072:   {"P10", "P15", "P20", "P30", "P40", "P50"},
	262144:   {"P15", "P20", "P30", "P40", "P50"},
	524288:   {"P20", "P30", "P40", "P50"},
	1048576:  {"P30", "P40", "P50"},
	2097152:  {"P40", "P50"},
	4193280:  {"P50"},
	4194304:  {"P50"},
	8388608:  {"P60", "P70", "P80"},
	16777216: {"P70", "P80"},
	33553408: {"P80"},
}

// FlexibleServerStorageTier is the storage tier of a server of storageMB:
// the tier it has while that fits the size (a team may have chosen a faster
// one), else the size's default. A size azurerm does not know (never
// composed: sizes are rounded up to a tier) gets no tier.
func FlexibleServerStorageTier(storageMB int64, have string) string {
	tiers := flexibleServerTiers[storageMB]
	if slices.Contains(tiers, have) {
		return have
	}
	if len(tiers) == 0 {
		return ""
	}
	return tiers[0]
}

// FlexibleServerHighAvail places a standby.
type FlexibleServerHighAvail struct {
	Mode string `json:"mode"`
}

// FlexibleServerDatabaseParameters are a Flexible Server database's
// forProvider.
type FlexibleServerDatabaseParameters struct {
	ServerIDRef NameRef `json:"serverIdRef"`
	Charset     string  `json:"charset"`
	Collation   string  `json:"collation"`
}

// FlexibleServer returns the Flexible Server of db, whose Azure settings are
// set. The provider generates the administrator password
// (autoGeneratePassword) into the database password Secret.
func FlexibleServer(m Meta, db resolve.Database, s Scope) Managed[FlexibleServerParameters] {
	c := db.Azure
	apiVersion := s.api("dbforpostgresql.azure.m.upbound.io/v1beta1", "dbforpostgresql.azure.upbound.io/v1beta2")
	fp := FlexibleServerParameters{
		Location:                       db.Region,
		ResourceGroupName:              c.ResourceGroupName,
		Version:                        db.Version,
		SKUName:                        c.SKUName,
		StorageMB:                      c.StorageMB,
		StorageTier:                    FlexibleServerStorageTier(c.StorageMB, c.StorageTier),
		AutoGrowEnabled:                true,
		AdministratorLogin:             db.Owner,
		AutoGeneratePassword:           true,
		AdministratorPasswordSecretRef: passwordRef(m, s),
		DelegatedSubnetID:              c.DelegatedSubnetID,
		PrivateDNSZoneID:               c.PrivateDNSZoneID,
		PublicNetworkAccessEnabled:     false,
		BackupRetentionDays:            c.BackupRetentionDays,
	}
	if c.HighAvailability {
		fp.HighAvailability = &FlexibleServerHighAvail{Mode: "ZoneRedundant"}
	}
	if c.UpgradeInPlace {
		fp.CreateMode = "Update"
	}
	r := managed(m, s, c.ProviderConfig, apiVersion, "FlexibleServer", "", fp)
	r.Metadata.Annotations = s.instanceAnnotations()
	return r
}

// FlexibleServerDatabase returns the application database on the Flexible
// Server, named by its external name.
func FlexibleServerDatabase(m Meta, db resolve.Database, s Scope) Managed[FlexibleServerDatabaseParameters] {
	apiVersion := s.api("dbforpostgresql.azure.m.upbound.io/v1beta1", "dbforpostgresql.azure.upbound.io/v1beta1")
	r := managed(m, s, db.Azure.ProviderConfig, apiVersion, "FlexibleServerDatabase", "-database", FlexibleServerDatabaseParameters{
		ServerIDRef: NameRef{Name: managedName(m, s, "")}, Charset: "UTF8", Collation: "en_US.utf8",
	})
	r.Metadata.Annotations = map[string]string{ExternalNameAnnotation: db.Name}
	return r
}

// managedName is the name of a database's managed resource in its scope.
func managedName(m Meta, s Scope, suffix string) string {
	if s.Namespaced {
		return m.Names.Database + suffix
	}
	return s.ClusterScopedName + suffix
}
