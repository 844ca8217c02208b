package resolve

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
)

// The database catalogs: what each size means on each provider, the
// platform settings a cloud database takes, and the Input's checks of them.

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
