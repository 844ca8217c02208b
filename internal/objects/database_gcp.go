package objects

import (
	"strings"

	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Cloud SQL: a DatabaseInstance, its Database and User (provider-upjet-gcp).

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
