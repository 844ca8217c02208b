package resolve

import (
	"fmt"
	"regexp"

	kresource "k8s.io/apimachinery/pkg/api/resource"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
)

// Database is the application's database with every default applied, the
// size looked up in its provider's catalog and the provider's platform
// settings filled in: what the database package needs, and nothing it has
// to check again.
type Database struct {
	Name       string
	Owner      string
	Size       string
	Engine     string
	Version    string
	Provider   string
	Region     string
	Protection string
	// AllowProviderChange lets a change of Provider replace (delete) an
	// existing database.
	AllowProviderChange bool
	// StorageSet is true when spec.database.storage chose the storage
	// (already mapped into the provider's size below): it may only grow.
	StorageSet bool
	// Storage is spec.database.storage as written, for messages.
	Storage string
	// CABundle is where a cloud database's CA bundle comes from; empty for
	// CloudNativePG, whose CA Secret the operator creates.
	CABundle CABundle
	// Migration runs before a new backend image serves; nil for none.
	Migration *Migration

	// The provider's size and settings; only the one for Provider is set.
	CNPG  *CNPGSize
	AWS   *AWSDatabase
	GCP   *GCPDatabase
	Azure *AzureDatabase
}

// CABundle is a ConfigMap key holding PEM certificates.
type CABundle struct {
	ConfigMap string
	Key       string
}

// Default CA bundles of the cloud providers: ConfigMaps the platform keeps
// in every application namespace (docs/databases.md: Database TLS).
var DefaultCABundles = map[string]CABundle{
	ProviderAWS:   {ConfigMap: "rds-ca-bundle", Key: defaultCABundleKey},
	ProviderGCP:   {ConfigMap: "cloudsql-ca-bundle", Key: defaultCABundleKey},
	ProviderAzure: {ConfigMap: "azure-postgres-ca-bundle", Key: defaultCABundleKey},
}

// defaultCABundleKey is the key of a CA bundle in its ConfigMap.
const defaultCABundleKey = "ca.crt"

// Migration is spec.database.migration with its default applied.
type Migration struct {
	Command        []string
	TimeoutSeconds int64
}

// defaultMigrationTimeoutSeconds bounds a migration Job.
const defaultMigrationTimeoutSeconds = 600

// resolveDatabase resolves the database fields both composites share, and
// the size and engine each has its own way (an XFullStackService's size
// comes from its profile; an XNodeApp has no engine field). A cloud
// provider's settings come from the platform's Input.
func resolveDatabase(path *field.Path, in v1alpha1.Database, size, engine string, p Platform) (Database, field.ErrorList) {
	out := Database{
		Name:                orDefault(in.Name, defaultDatabaseName),
		Owner:               orDefault(in.Owner, defaultDatabaseOwner),
		Size:                orDefault(size, defaultDatabaseSize),
		Engine:              orDefault(engine, enginePostgres),
		Version:             orDefault(in.Version, defaultPostgresVersion),
		Provider:            orDefault(in.Provider, defaultProvider),
		Region:              in.Region,
		Protection:          orDefault(in.Protection, protectionDefault),
		AllowProviderChange: in.AllowProviderChange,
		Storage:             in.Storage,
		StorageSet:          in.Storage != "",
	}
	// A migration without a command (what a form may send) is none.
	if m := in.Migration; m != nil && len(m.Command) > 0 {
		out.Migration = &Migration{Command: m.Command, TimeoutSeconds: defaultMigrationTimeoutSeconds}
		if m.TimeoutSeconds != nil {
			out.Migration.TimeoutSeconds = *m.TimeoutSeconds
		}
	}
	var errs field.ErrorList
	errs = append(errs, out.checkMigration(path.Child("migration"))...)
	for _, f := range []struct{ name, value string }{{"name", out.Name}, {"owner", out.Owner}} {
		if !identifierRE.MatchString(f.value) {
			errs = append(errs, field.Invalid(path.Child(f.name), f.value,
				"must be a PostgreSQL identifier: lower-case letters, digits and _, starting with a letter or _, at most 63 characters"))
		}
	}
	if out.Owner == "postgres" {
		errs = append(errs, field.Forbidden(path.Child("owner"), "postgres is the superuser; choose an application role name"))
	}
	errs = append(errs, oneOf(path.Child("engine"), out.Engine, engines)...)
	errs = append(errs, oneOf(path.Child("size"), out.Size, sizes)...)
	errs = append(errs, oneOf(path.Child("version"), out.Version, postgresVersions)...)
	errs = append(errs, oneOf(path.Child("provider"), out.Provider, providers)...)
	errs = append(errs, oneOf(path.Child("protection"), out.Protection, protections)...)
	if out.Region != "" && !regionRE.MatchString(out.Region) {
		errs = append(errs, field.Invalid(path.Child("region"), out.Region, "must be a region or location name such as eu-west-1, europe-west1 or westeurope"))
	}
	var storage int64
	if out.StorageSet {
		var err *field.Error
		if storage, err = storageBytes(path.Child("storage"), out.Storage); err != nil {
			errs = append(errs, err)
		} else if min, ok := minStorageGiB[out.Provider]; ok && storage < min*gib {
			errs = append(errs, field.Invalid(path.Child("storage"), out.Storage, fmt.Sprintf("the %s database needs at least %dGi of storage", out.Provider, min)))
		}
	}
	if len(errs) > 0 {
		return out, errs
	}
	if errs := out.provider(path, p.Databases); len(errs) > 0 {
		return out, errs
	}
	return out, out.overrideStorage(path.Child("storage"), storage)
}

// checkMigration checks a migration's command and timeout.
func (db *Database) checkMigration(path *field.Path) field.ErrorList {
	m := db.Migration
	if m == nil {
		return nil
	}
	var errs field.ErrorList
	for i, c := range m.Command {
		if c == "" {
			errs = append(errs, field.Invalid(path.Child("command").Index(i), c, "must not be empty"))
		}
	}
	if m.TimeoutSeconds < 30 || m.TimeoutSeconds > 86400 {
		errs = append(errs, field.Invalid(path.Child("timeoutSeconds"), m.TimeoutSeconds, "must be between 30 and 86400"))
	}
	return errs
}

// storageBytes parses spec.database.storage.
func storageBytes(path *field.Path, s string) (int64, *field.Error) {
	if !storageRE.MatchString(s) {
		return 0, field.Invalid(path, s, "must be a size in Mi, Gi or Ti, such as 25Gi")
	}
	q, err := kresource.ParseQuantity(s)
	if err != nil {
		return 0, field.Invalid(path, s, "must be a size in Mi, Gi or Ti, such as 25Gi")
	}
	return q.Value(), nil
}

// A ConfigMap's name and a key in it: at most 253 characters each
// (checked apart: Go's regexp compiles a counted repetition such as
// {0,251} into that many copies, 125 KB of memory held for the life of
// the process, and a larger state for every match).
const maxConfigMapName = 253

var (
	configMapNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
	configMapKeyRE  = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
)

var storageRE = regexp.MustCompile(`^[1-9][0-9]{0,6}(Mi|Gi|Ti)$`)

const (
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// overrideStorage puts spec.database.storage into the provider's size, in
// the provider's unit: a quantity for CloudNativePG, whole GiB for RDS and
// Cloud SQL (rounded up), the next storage tier for Flexible Server.
func (db *Database) overrideStorage(path *field.Path, bytes int64) field.ErrorList {
	if !db.StorageSet {
		return nil
	}
	ceilDiv := func(a, b int64) int64 { return (a + b - 1) / b }
	switch db.Provider {
	case ProviderCNPG:
		c := *db.CNPG
		c.Storage = db.Storage
		db.CNPG = &c
	case ProviderAWS:
		db.AWS.StorageGiB = ceilDiv(bytes, gib)
	case ProviderGCP:
		db.GCP.DiskSizeGB = ceilDiv(bytes, gib)
	case ProviderAzure:
		want := ceilDiv(bytes, mib)
		tier := azureStorageTiersMB[len(azureStorageTiersMB)-1]
		if want > tier {
			return field.ErrorList{field.Invalid(path, db.Storage, fmt.Sprintf("a Flexible Server holds at most %dMi", tier))}
		}
		for _, t := range azureStorageTiersMB {
			if t >= want {
				tier = t
				break
			}
		}
		db.Azure.StorageMB = tier
	}
	return nil
}

// provider looks the size up in the provider's catalog and fills in the
// platform's settings, naming whatever is missing and where to set it.
func (db *Database) provider(path *field.Path, platform v1beta1.Databases) field.ErrorList {
	var errs field.ErrorList
	region := func(fromInput, inputPath string) {
		if db.Region == "" {
			db.Region = fromInput
		}
		if db.Region == "" {
			errs = append(errs, field.Required(path.Child("region"), "set it on the XR, or set it in "+platformSettings+" at "+inputPath))
		}
	}
	require := func(value, inputPath string) {
		if value == "" {
			errs = append(errs, field.Required(field.NewPath("input").Child(inputPath), "set it in "+platformSettings+" at "+inputPath))
		}
	}
	switch db.Provider {
	case ProviderCNPG:
		s := cnpgSizes[db.Size]
		db.CNPG = &s
	case ProviderAWS:
		cfg := v1beta1.AWSDatabases{}
		if platform.AWS != nil {
			cfg = *platform.AWS
		}
		s, err := sizeFor(ProviderAWS, db.Size, cfg.Sizes, awsSizes)
		if err != nil {
			return field.ErrorList{err}
		}
		region(cfg.Region, "databases.aws.region")
		require(cfg.DBSubnetGroupName, "databases.aws.dbSubnetGroupName")
		if len(cfg.VPCSecurityGroupIDs) == 0 {
			require("", "databases.aws.vpcSecurityGroupIds")
		}
		db.CABundle = caBundle(ProviderAWS, cfg.CABundle)
		db.AWS = &AWSDatabase{AWSSize: s, DBSubnetGroupName: cfg.DBSubnetGroupName, VPCSecurityGroupIDs: cfg.VPCSecurityGroupIDs,
			ProviderConfig: providerConfig(cfg.ProviderConfig)}
	case ProviderGCP:
		cfg := v1beta1.GCPDatabases{}
		if platform.GCP != nil {
			cfg = *platform.GCP
		}
		s, err := sizeFor(ProviderGCP, db.Size, cfg.Sizes, gcpSizes)
		if err != nil {
			return field.ErrorList{err}
		}
		region(cfg.Region, "databases.gcp.region")
		require(cfg.PrivateNetwork, "databases.gcp.privateNetwork")
		db.CABundle = caBundle(ProviderGCP, cfg.CABundle)
		db.GCP = &GCPDatabase{GCPSize: s, PrivateNetwork: cfg.PrivateNetwork, ProviderConfig: providerConfig(cfg.ProviderConfig)}
	case ProviderAzure:
		cfg := v1beta1.AzureDatabases{}
		if platform.Azure != nil {
			cfg = *platform.Azure
		}
		s, err := sizeFor(ProviderAzure, db.Size, cfg.Sizes, azureSizes)
		if err != nil {
			return field.ErrorList{err}
		}
		region(cfg.Location, "databases.azure.location")
		require(cfg.ResourceGroupName, "databases.azure.resourceGroupName")
		require(cfg.DelegatedSubnetID, "databases.azure.delegatedSubnetId")
		require(cfg.PrivateDNSZoneID, "databases.azure.privateDnsZoneId")
		db.CABundle = caBundle(ProviderAzure, cfg.CABundle)
		db.Azure = &AzureDatabase{AzureSize: s, ResourceGroupName: cfg.ResourceGroupName, DelegatedSubnetID: cfg.DelegatedSubnetID,
			PrivateDNSZoneID: cfg.PrivateDNSZoneID, ProviderConfig: providerConfig(cfg.ProviderConfig)}
	}
	return errs
}

// caBundle is the Input's CA bundle of a provider, defaults applied.
func caBundle(provider string, in *v1beta1.CABundle) CABundle {
	out := DefaultCABundles[provider]
	if in != nil {
		out.ConfigMap = orDefault(in.ConfigMapName, out.ConfigMap)
		out.Key = orDefault(in.Key, out.Key)
	}
	return out
}
