package resolve

import (
	"fmt"
	"sort"

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

	// The provider's size and settings; only the one for Provider is set.
	CNPG  *CNPGSize
	AWS   *AWSDatabase
	GCP   *GCPDatabase
	Azure *AzureDatabase
}

// CNPGSize is what one database size means for a CloudNativePG Cluster.
type CNPGSize struct {
	Instances     int64
	Storage       string
	CPURequest    string
	MemoryRequest string
	CPULimit      string
	MemoryLimit   string
}

// CNPGSizes is the size catalog for in-cluster databases. README.md prints
// it; a test keeps the two in step.
var CNPGSizes = map[string]CNPGSize{
	SizeSmall:  {Instances: 1, Storage: "5Gi", CPURequest: "250m", MemoryRequest: "512Mi", CPULimit: "1", MemoryLimit: "1Gi"},
	SizeMedium: {Instances: 2, Storage: "20Gi", CPURequest: "500m", MemoryRequest: "1Gi", CPULimit: "2", MemoryLimit: "2Gi"},
	SizeLarge:  {Instances: 3, Storage: "100Gi", CPURequest: "1", MemoryRequest: "4Gi", CPULimit: "4", MemoryLimit: "8Gi"},
}

// AWSSizes is the built-in RDS size catalog. README.md prints it; a test
// keeps the two in step. The function Input can replace it.
var AWSSizes = map[string]v1beta1.AWSSize{
	SizeSmall:  {InstanceClass: "db.t4g.micro", StorageGiB: 20, BackupRetentionDays: 1},
	SizeMedium: {InstanceClass: "db.m6g.large", StorageGiB: 100, BackupRetentionDays: 7},
	SizeLarge:  {InstanceClass: "db.r6g.xlarge", StorageGiB: 500, MultiAZ: true, BackupRetentionDays: 14},
}

// GCPSizes is the built-in Cloud SQL size catalog.
var GCPSizes = map[string]v1beta1.GCPSize{
	SizeSmall:  {Tier: "db-custom-1-3840", DiskSizeGB: 20, BackupRetentionDays: 1},
	SizeMedium: {Tier: "db-custom-2-7680", DiskSizeGB: 100, BackupRetentionDays: 7},
	SizeLarge:  {Tier: "db-custom-8-30720", DiskSizeGB: 500, HighAvailability: true, BackupRetentionDays: 14},
}

// AzureSizes is the built-in Flexible Server size catalog.
var AzureSizes = map[string]v1beta1.AzureSize{
	SizeSmall:  {SKUName: "B_Standard_B1ms", StorageMB: 32768, BackupRetentionDays: 7},
	SizeMedium: {SKUName: "GP_Standard_D2ds_v5", StorageMB: 131072, BackupRetentionDays: 7},
	SizeLarge:  {SKUName: "MO_Standard_E4ds_v5", StorageMB: 524288, HighAvailability: true, BackupRetentionDays: 14},
}

// ProviderConfig names the provider config of managed resources, defaults
// applied.
type ProviderConfig struct {
	Name string
	// Kind is used by namespaced managed resources only.
	Kind string
}

// AWSDatabase is an RDS instance's size and platform settings.
type AWSDatabase struct {
	v1beta1.AWSSize
	DBSubnetGroupName   string
	VPCSecurityGroupIDs []string
	ProviderConfig      ProviderConfig
}

// GCPDatabase is a Cloud SQL instance's size and platform settings.
type GCPDatabase struct {
	v1beta1.GCPSize
	PrivateNetwork string
	ProviderConfig ProviderConfig
}

// AzureDatabase is a Flexible Server's size and platform settings.
type AzureDatabase struct {
	v1beta1.AzureSize
	ResourceGroupName string
	DelegatedSubnetID string
	PrivateDNSZoneID  string
	ProviderConfig    ProviderConfig
}

// resolveDatabase resolves the database fields both composites share, and
// the size and engine each has its own way (an XFullStackService's size
// comes from its profile; an XNodeApp has no engine field). A cloud
// provider's settings come from the platform's Input.
func resolveDatabase(path *field.Path, in v1alpha1.Database, size, engine string, p Platform) (Database, field.ErrorList) {
	out := Database{
		Name:                orDefault(in.Name, DefaultDatabaseName),
		Owner:               orDefault(in.Owner, DefaultDatabaseOwner),
		Size:                orDefault(size, DefaultDatabaseSize),
		Engine:              orDefault(engine, EnginePostgres),
		Version:             orDefault(in.Version, DefaultPostgresVersion),
		Provider:            orDefault(in.Provider, DefaultProvider),
		Region:              in.Region,
		Protection:          orDefault(in.Protection, ProtectionDefault),
		AllowProviderChange: in.AllowProviderChange,
	}
	var errs field.ErrorList
	for _, f := range []struct{ name, value string }{{"name", out.Name}, {"owner", out.Owner}} {
		if !identifierRE.MatchString(f.value) {
			errs = append(errs, field.Invalid(path.Child(f.name), f.value,
				"must be a PostgreSQL identifier: lower-case letters, digits and _, starting with a letter or _, at most 63 characters"))
		}
	}
	if out.Owner == "postgres" {
		errs = append(errs, field.Forbidden(path.Child("owner"), "postgres is the superuser; choose an application role name"))
	}
	errs = append(errs, oneOf(path.Child("engine"), out.Engine, Engines)...)
	errs = append(errs, oneOf(path.Child("size"), out.Size, Sizes)...)
	errs = append(errs, oneOf(path.Child("version"), out.Version, PostgresVersions)...)
	errs = append(errs, oneOf(path.Child("provider"), out.Provider, Providers)...)
	errs = append(errs, oneOf(path.Child("protection"), out.Protection, Protections)...)
	if out.Region != "" && !regionRE.MatchString(out.Region) {
		errs = append(errs, field.Invalid(path.Child("region"), out.Region, "must be a region or location name such as eu-west-1, europe-west1 or westeurope"))
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, out.provider(path, p.Databases)
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
			errs = append(errs, field.Required(path.Child("region"), "set it on the XR, or set it in the function Input in the Composition at "+inputPath))
		}
	}
	require := func(value, inputPath string) {
		if value == "" {
			errs = append(errs, field.Required(field.NewPath("input").Child(inputPath), "set it in the function Input in the Composition at "+inputPath))
		}
	}
	switch db.Provider {
	case ProviderCNPG:
		s := CNPGSizes[db.Size]
		db.CNPG = &s
	case ProviderAWS:
		cfg := v1beta1.AWSDatabases{}
		if platform.AWS != nil {
			cfg = *platform.AWS
		}
		s, err := sizeFor(ProviderAWS, db.Size, cfg.Sizes, AWSSizes)
		if err != nil {
			return field.ErrorList{err}
		}
		region(cfg.Region, "databases.aws.region")
		require(cfg.DBSubnetGroupName, "databases.aws.dbSubnetGroupName")
		if len(cfg.VPCSecurityGroupIDs) == 0 {
			require("", "databases.aws.vpcSecurityGroupIds")
		}
		db.AWS = &AWSDatabase{AWSSize: s, DBSubnetGroupName: cfg.DBSubnetGroupName, VPCSecurityGroupIDs: cfg.VPCSecurityGroupIDs,
			ProviderConfig: providerConfig(cfg.ProviderConfig)}
	case ProviderGCP:
		cfg := v1beta1.GCPDatabases{}
		if platform.GCP != nil {
			cfg = *platform.GCP
		}
		s, err := sizeFor(ProviderGCP, db.Size, cfg.Sizes, GCPSizes)
		if err != nil {
			return field.ErrorList{err}
		}
		region(cfg.Region, "databases.gcp.region")
		require(cfg.PrivateNetwork, "databases.gcp.privateNetwork")
		db.GCP = &GCPDatabase{GCPSize: s, PrivateNetwork: cfg.PrivateNetwork, ProviderConfig: providerConfig(cfg.ProviderConfig)}
	case ProviderAzure:
		cfg := v1beta1.AzureDatabases{}
		if platform.Azure != nil {
			cfg = *platform.Azure
		}
		s, err := sizeFor(ProviderAzure, db.Size, cfg.Sizes, AzureSizes)
		if err != nil {
			return field.ErrorList{err}
		}
		region(cfg.Location, "databases.azure.location")
		require(cfg.ResourceGroupName, "databases.azure.resourceGroupName")
		require(cfg.DelegatedSubnetID, "databases.azure.delegatedSubnetId")
		require(cfg.PrivateDNSZoneID, "databases.azure.privateDnsZoneId")
		db.Azure = &AzureDatabase{AzureSize: s, ResourceGroupName: cfg.ResourceGroupName, DelegatedSubnetID: cfg.DelegatedSubnetID,
			PrivateDNSZoneID: cfg.PrivateDNSZoneID, ProviderConfig: providerConfig(cfg.ProviderConfig)}
	}
	return errs
}

// sizeFor returns a size from the Input's catalog when one is given, else
// from the built-in one.
func sizeFor[T any](provider, size string, override map[string]T, builtin map[string]T) (T, *field.Error) {
	if len(override) > 0 {
		s, ok := override[size]
		if !ok {
			var zero T
			return zero, field.Required(field.NewPath("input", "databases", provider, "sizes").Key(size),
				fmt.Sprintf("the function Input in the Composition replaces the %s size catalog but has no %q size that spec.database.size asks for; add it there", provider, size))
		}
		return s, nil
	}
	return builtin[size], nil
}

// DefaultProviderConfigName and DefaultProviderConfigKind name the provider
// config of managed resources when the Input names none.
const (
	DefaultProviderConfigName = "default"
	DefaultProviderConfigKind = "ClusterProviderConfig"
)

// ProviderConfigKinds lists the allowed values of the Input's
// databases.<provider>.providerConfig.kind.
var ProviderConfigKinds = []string{"ClusterProviderConfig", "ProviderConfig"}

func providerConfig(in v1beta1.ProviderConfig) ProviderConfig {
	return ProviderConfig{Name: orDefault(in.Name, DefaultProviderConfigName), Kind: orDefault(in.Kind, DefaultProviderConfigKind)}
}

// databasesInput checks the Input's databases section on its own: provider
// config kinds, and size catalogs that name known sizes with every value
// set. What an XR needs of it (a region, a subnet) is checked against the
// XR, since it depends on the provider the XR chooses.
func databasesInput(in *v1beta1.Databases) field.ErrorList {
	if in == nil {
		return nil
	}
	root := field.NewPath("databases")
	var errs field.ErrorList
	kind := func(provider string, pc v1beta1.ProviderConfig) {
		if pc.Kind != "" {
			errs = append(errs, oneOf(root.Child(provider, "providerConfig", "kind"), pc.Kind, ProviderConfigKinds)...)
		}
	}
	catalog := func(provider, classField, storageField string, entries []catalogEntry) {
		sort.Slice(entries, func(i, j int) bool { return entries[i].size < entries[j].size })
		for _, e := range entries {
			p := root.Child(provider, "sizes").Key(e.size)
			errs = append(errs, oneOf(p, e.size, Sizes)...)
			if e.class == "" {
				errs = append(errs, field.Required(p.Child(classField), "every size of a catalog names its machine"))
			}
			if e.storage <= 0 {
				errs = append(errs, field.Invalid(p.Child(storageField), e.storage, "must be greater than 0"))
			}
		}
	}
	if c := in.AWS; c != nil {
		kind("aws", c.ProviderConfig)
		catalog("aws", "instanceClass", "storageGiB", entriesOf(c.Sizes, func(s v1beta1.AWSSize) (string, int64) { return s.InstanceClass, s.StorageGiB }))
	}
	if c := in.GCP; c != nil {
		kind("gcp", c.ProviderConfig)
		catalog("gcp", "tier", "diskSizeGB", entriesOf(c.Sizes, func(s v1beta1.GCPSize) (string, int64) { return s.Tier, s.DiskSizeGB }))
	}
	if c := in.Azure; c != nil {
		kind("azure", c.ProviderConfig)
		catalog("azure", "skuName", "storageMB", entriesOf(c.Sizes, func(s v1beta1.AzureSize) (string, int64) { return s.SKUName, s.StorageMB }))
	}
	return errs
}

// catalogEntry is one size of an Input's catalog: its machine and storage.
type catalogEntry struct {
	size, class string
	storage     int64
}

func entriesOf[T any](sizes map[string]T, machine func(T) (string, int64)) []catalogEntry {
	out := make([]catalogEntry, 0, len(sizes))
	for k, s := range sizes {
		class, storage := machine(s)
		out = append(out, catalogEntry{k, class, storage})
	}
	return out
}
