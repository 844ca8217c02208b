package objects

import (
	"slices"

	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Azure Database for PostgreSQL: a Flexible Server and its database
// (provider-upjet-azure).

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
