package resolve

import (
	"fmt"
	"regexp"
	"sort"

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

// Minimum storage of each cloud provider, in GiB: RDS gp3 20 GiB, Cloud
// SQL 10 GB, Flexible Server's smallest tier 32 GiB.
var minStorageGiB = map[string]int64{ProviderAWS: 20, ProviderGCP: 10, ProviderAzure: 32}

// azureStorageTiersMB are the storage sizes a Flexible Server accepts.
var azureStorageTiersMB = []int64{32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608, 16777216, 33553408}

// CNPGSize is what one database size means for a CloudNativePG Cluster.
type CNPGSize struct {
	Instances     int64
	Storage       string
	CPURequest    string
	MemoryRequest string
	CPULimit      string
	MemoryLimit   string
}

// cnpgSizes is the size catalog for in-cluster databases. docs/databases.md prints
// it; a test keeps the two in step.
var cnpgSizes = map[string]CNPGSize{
	sizeSmall:  {Instances: 1, Storage: "5Gi", CPURequest: "250m", MemoryRequest: "512Mi", CPULimit: "1", MemoryLimit: "1Gi"},
	sizeMedium: {Instances: 2, Storage: "20Gi", CPURequest: "500m", MemoryRequest: "1Gi", CPULimit: "2", MemoryLimit: "2Gi"},
	sizeLarge:  {Instances: 3, Storage: "100Gi", CPURequest: "1", MemoryRequest: "4Gi", CPULimit: "4", MemoryLimit: "8Gi"},
}

// awsSizes is the built-in RDS size catalog. docs/databases.md prints it; a test
// keeps the two in step. The function Input can replace it.
var awsSizes = map[string]v1beta1.AWSSize{
	sizeSmall:  {InstanceClass: "db.t4g.micro", StorageGiB: 20, BackupRetentionDays: 1},
	sizeMedium: {InstanceClass: "db.m6g.large", StorageGiB: 100, BackupRetentionDays: 7},
	sizeLarge:  {InstanceClass: "db.r6g.xlarge", StorageGiB: 500, MultiAZ: true, BackupRetentionDays: 14},
}

// gcpSizes is the built-in Cloud SQL size catalog.
var gcpSizes = map[string]v1beta1.GCPSize{
	sizeSmall:  {Tier: "db-custom-1-3840", DiskSizeGB: 20, BackupRetentionDays: 1},
	sizeMedium: {Tier: "db-custom-2-7680", DiskSizeGB: 100, BackupRetentionDays: 7},
	sizeLarge:  {Tier: "db-custom-8-30720", DiskSizeGB: 500, HighAvailability: true, BackupRetentionDays: 14},
}

// azureSizes is the built-in Flexible Server size catalog.
var azureSizes = map[string]v1beta1.AzureSize{
	sizeSmall:  {SKUName: "B_Standard_B1ms", StorageMB: 32768, BackupRetentionDays: 7},
	sizeMedium: {SKUName: "GP_Standard_D2ds_v5", StorageMB: 131072, BackupRetentionDays: 7},
	sizeLarge:  {SKUName: "MO_Standard_E4ds_v5", StorageMB: 524288, HighAvailability: true, BackupRetentionDays: 14},
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
	// AllowMajorVersionUpgrade is decided from observed state: the running
	// engine's major version is lower than Version.
	AllowMajorVersionUpgrade bool
	// IOPS and StorageThroughput an existing instance has in its spec
	// (provisioned above the gp3 baseline, or late-initialized); the
	// builder never sends less than the baseline at its size.
	IOPS, StorageThroughput int64
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
	// UpgradeInPlace is decided from observed state: the server's major
	// version is lower than Version, so the provider must upgrade it in
	// place (createMode Update) rather than replace it.
	UpgradeInPlace bool
	// StorageTier is the tier an existing server has in its spec (set, or
	// late-initialized by the provider); the builder keeps it while it
	// fits the storage.
	StorageTier string
}

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

// sizeFor returns a size from the Input's catalog when one is given, else
// from the built-in one.
func sizeFor[T any](provider, size string, override map[string]T, builtin map[string]T) (T, *field.Error) {
	if len(override) > 0 {
		s, ok := override[size]
		if !ok {
			var zero T
			return zero, field.Required(field.NewPath("input", "databases", provider, "sizes").Key(size),
				fmt.Sprintf("%s replace the %s size catalog but have no %q size that spec.database.size asks for; add it there", platformSettings, provider, size))
		}
		return s, nil
	}
	return builtin[size], nil
}

// defaultProviderConfigName and defaultProviderConfigKind name the provider
// config of managed resources when the Input names none.
const (
	defaultProviderConfigName = "default"
	defaultProviderConfigKind = "ClusterProviderConfig"
)

// providerConfigKinds lists the allowed values of the Input's
// databases.<provider>.providerConfig.kind.
var providerConfigKinds = []string{"ClusterProviderConfig", "ProviderConfig"}

func providerConfig(in v1beta1.ProviderConfig) ProviderConfig {
	return ProviderConfig{Name: orDefault(in.Name, defaultProviderConfigName), Kind: orDefault(in.Kind, defaultProviderConfigKind)}
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
	kind := func(provider string, pc v1beta1.ProviderConfig, ca *v1beta1.CABundle) {
		if pc.Kind != "" {
			errs = append(errs, oneOf(root.Child(provider, "providerConfig", "kind"), pc.Kind, providerConfigKinds)...)
		}
		if ca == nil {
			return
		}
		if n := ca.ConfigMapName; n != "" && (len(n) > maxConfigMapName || !configMapNameRE.MatchString(n)) {
			errs = append(errs, field.Invalid(root.Child(provider, "caBundle", "configMapName"), n,
				"must be a ConfigMap name: at most 253 lower-case letters, digits, - and ., starting and ending with a letter or digit"))
		}
		if k := ca.Key; k != "" && (len(k) > maxConfigMapName || !configMapKeyRE.MatchString(k)) {
			errs = append(errs, field.Invalid(root.Child(provider, "caBundle", "key"), k, "must be a ConfigMap key: at most 253 letters, digits, -, _ and ."))
		}
	}
	catalog := func(provider, classField, storageField string, entries []catalogEntry) {
		sort.Slice(entries, func(i, j int) bool { return entries[i].size < entries[j].size })
		for _, e := range entries {
			p := root.Child(provider, "sizes").Key(e.size)
			errs = append(errs, oneOf(p, e.size, sizes)...)
			if e.class == "" {
				errs = append(errs, field.Required(p.Child(classField), "every size of a catalog names its machine"))
			}
			if e.storage <= 0 {
				errs = append(errs, field.Invalid(p.Child(storageField), e.storage, "must be greater than 0"))
			}
		}
	}
	if c := in.AWS; c != nil {
		kind("aws", c.ProviderConfig, c.CABundle)
		catalog("aws", "instanceClass", "storageGiB", entriesOf(c.Sizes, func(s v1beta1.AWSSize) (string, int64) { return s.InstanceClass, s.StorageGiB }))
	}
	if c := in.GCP; c != nil {
		kind("gcp", c.ProviderConfig, c.CABundle)
		catalog("gcp", "tier", "diskSizeGB", entriesOf(c.Sizes, func(s v1beta1.GCPSize) (string, int64) { return s.Tier, s.DiskSizeGB }))
	}
	if c := in.Azure; c != nil {
		kind("azure", c.ProviderConfig, c.CABundle)
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
