package database

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// AzureSizes is the built-in Flexible Server size catalog.
var AzureSizes = map[string]v1beta1.AzureSize{
	resolve.SizeSmall:  {SKUName: "B_Standard_B1ms", StorageMB: 32768, BackupRetentionDays: 7},
	resolve.SizeMedium: {SKUName: "GP_Standard_D2ds_v5", StorageMB: 131072, BackupRetentionDays: 7},
	resolve.SizeLarge:  {SKUName: "MO_Standard_E4ds_v5", StorageMB: 524288, HighAvailability: true, BackupRetentionDays: 14},
}

// azureDatabase composes a Flexible Server and its database. The provider
// generates the administrator password (autoGeneratePassword) into a Secret
// the function then reads back.
func azureDatabase(in Input) (*Output, *field.Error) {
	cfg := v1beta1.AzureDatabases{}
	if in.Platform != nil && in.Platform.Azure != nil {
		cfg = *in.Platform.Azure
	}
	size, ferr := sizeFor("azure", in.DB.Size, cfg.Sizes, AzureSizes)
	if ferr != nil {
		return nil, ferr
	}
	location, err := in.region(cfg.Location, "databases.azure.location")
	if err != nil {
		return nil, err
	}
	for _, s := range []struct{ value, path string }{
		{cfg.ResourceGroupName, "databases.azure.resourceGroupName"},
		{cfg.DelegatedSubnetID, "databases.azure.delegatedSubnetId"},
		{cfg.PrivateDNSZoneID, "databases.azure.privateDnsZoneId"},
	} {
		if err := requireSetting(s.value, nil, s.path); err != nil {
			return nil, err
		}
	}

	out := &Output{}
	observed := in.observed(ResDatabaseAzure)
	protected := in.Protected()
	storage, warning := keepLarger(observed, "spec.forProvider.storageMb", size.StorageMB, "MB")
	if warning != "" {
		out.Warnings = append(out.Warnings, warning)
	}
	backups := retention(size.BackupRetentionDays, protected)
	fp := map[string]any{
		"location":                       location,
		"resourceGroupName":              cfg.ResourceGroupName,
		"version":                        in.DB.Version,
		"skuName":                        size.SKUName,
		"storageMb":                      storage,
		"autoGrowEnabled":                true,
		"administratorLogin":             in.DB.Owner,
		"autoGeneratePassword":           true,
		"administratorPasswordSecretRef": in.secretRef(in.Meta.Names.DatabasePassword, KeyPassword),
		"delegatedSubnetId":              cfg.DelegatedSubnetID,
		"privateDnsZoneId":               cfg.PrivateDNSZoneID,
		"publicNetworkAccessEnabled":     false,
		"backupRetentionDays":            backups,
	}
	if size.HighAvailability {
		fp["highAvailability"] = map[string]any{"mode": "ZoneRedundant"}
	}
	apiVersion := "dbforpostgresql.azure.m.upbound.io/v1beta1"
	dbAPIVersion := apiVersion
	if !in.Namespaced {
		apiVersion, dbAPIVersion = "dbforpostgresql.azure.upbound.io/v1beta2", "dbforpostgresql.azure.upbound.io/v1beta1"
	}
	server := in.managedResource(apiVersion, "FlexibleServer", "", cfg.ProviderConfig, protected, fp)
	db := in.managedResource(dbAPIVersion, "FlexibleServerDatabase", "-database", cfg.ProviderConfig, protected, map[string]any{
		"serverIdRef": map[string]any{"name": server.GetName()},
		"charset":     "UTF8",
		"collation":   "en_US.utf8",
	})
	db.SetAnnotations(map[string]string{ExternalNameAnnotation: in.DB.Name})
	out.Resources = []objects.Composed{{Name: ResDatabaseAzure, Object: server}, {Name: ResDatabaseAzureDB, Object: db}}

	password := in.requirePasswordSecret(out, in.Meta.Names.DatabasePassword, KeyPassword)
	host, _ := stringAt(observed, "status.atProvider.fqdn")
	out.Endpoint = host
	out.Connection = Connection{Host: host, Port: "5432", Username: in.DB.Owner, Password: password, DBName: in.DB.Name, SSLMode: "require"}
	return out, nil
}
