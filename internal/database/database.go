// Package database decides the application's PostgreSQL database from what
// exists: it is the one package that reads observed and required state for
// a database. It applies the guards (provider switch, storage that never
// shrinks, kept identity, protection), finds the passwords and endpoints,
// and assembles the connection contract; the objects themselves come from
// the pure builders in package objects.
package database

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	kresource "k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/internal/encode"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Names of the database resources in the pipeline. They never change for
// the life of an XR: a renamed or resized database keeps its resource name,
// so Crossplane updates it in place. Each provider has its own names, so a
// provider change can never turn into an in-place update of another kind.
const (
	ResDatabase           pipeline.Name = "database" // CloudNativePG Cluster
	ResDatabaseAWS        pipeline.Name = "database-aws"
	ResDatabaseGCP        pipeline.Name = "database-gcp"
	ResDatabaseGCPDB      pipeline.Name = "database-gcp-db"
	ResDatabaseGCPUser    pipeline.Name = "database-gcp-user"
	ResDatabasePassword   pipeline.Name = "database-password"
	ResDatabaseAzure      pipeline.Name = "database-azure"
	ResDatabaseAzureDB    pipeline.Name = "database-azure-db"
	ResDatabaseConnection pipeline.Name = "database-connection"
)

// providerResources lists the resources that hold each provider's data.
var providerResources = map[string][]pipeline.Name{
	resolve.ProviderCNPG:  {ResDatabase},
	resolve.ProviderAWS:   {ResDatabaseAWS},
	resolve.ProviderGCP:   {ResDatabaseGCP, ResDatabaseGCPDB, ResDatabaseGCPUser, ResDatabasePassword},
	resolve.ProviderAzure: {ResDatabaseAzure, ResDatabaseAzureDB},
}

// MinProtectedBackupDays is the backup retention a protected database gets
// at least.
const MinProtectedBackupDays = 7

// Request is what composing a database reads: the resolved database and the
// state it is decided against.
type Request struct {
	Meta objects.Meta
	// DB is resolved: defaults applied, the size looked up, the provider's
	// platform settings filled in.
	DB resolve.Database
	// Namespaced is true for a Crossplane v2 XR: managed resources then use
	// the namespaced (.m) API groups. A LegacyCluster XR composes the
	// cluster-scoped groups.
	Namespaced bool
	// ClusterScopedName names cluster-scoped managed resources; it is unique
	// across namespaces (the XR's name).
	ClusterScopedName string
	Observed          map[pipeline.Name]*unstructured.Unstructured
	// Required are the resources Crossplane fetched because the function
	// asked for them in an earlier call.
	Required     map[string][]*unstructured.Unstructured
	PasswordSeed []byte
	// Encoder encodes the composed objects; a plan passes its own, so
	// all its objects share one Encoder's chunks. Nil: a new one.
	Encoder *encode.Encoder
}

func (in Request) observed(n pipeline.Name) *unstructured.Unstructured {
	if o, ok := in.Observed[n]; ok && o != nil && len(o.Object) > 0 {
		return o
	}
	return nil
}

// guardProviderChange refuses to drop an existing database of another
// provider from desired state: Crossplane would delete it.
func guardProviderChange(in Request) *field.Error {
	if in.DB.AllowProviderChange {
		return nil
	}
	providers := make([]string, 0, len(providerResources))
	for p := range providerResources {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	for _, p := range providers {
		if p == in.DB.Provider {
			continue
		}
		for _, n := range providerResources[p] {
			o := in.observed(n)
			if o == nil || n == ResDatabasePassword {
				continue
			}
			return field.Forbidden(field.NewPath("spec", "database", "provider"), fmt.Sprintf(
				"the database already exists on %s (%s %s); changing the provider to %s would delete it with its data. "+
					"Migrate the data first (dump and restore, or replicate), then set spec.database.allowProviderChange: true to replace it; "+
					"or set spec.database.provider back to %s", p, o.GetKind(), o.GetName(), in.DB.Provider, p))
		}
	}
	return nil
}

// isProtected reports whether an observed managed resource is protected from
// deletion: no Delete in its management policies, or deletionPolicy Orphan.
func isProtected(o *unstructured.Unstructured) bool {
	if o == nil {
		return false
	}
	if pipeline.String(o.Object, "spec.deletionPolicy") == "Orphan" {
		return true
	}
	mp, ok := pipeline.Strings(o.Object, "spec.managementPolicies")
	if !ok || len(mp) == 0 {
		return false
	}
	for _, p := range mp {
		if p == "*" || p == "Delete" {
			return false
		}
	}
	return true
}

// protected decides protection: the XR's explicit choice (Enabled,
// Disabled) wins; with Default a production database is protected, and so
// is one that already is (moving an XR from production to development does
// not drop its protection).
func (in Request) protected() bool {
	switch in.DB.Protection {
	case resolve.ProtectionEnabled:
		return true
	case resolve.ProtectionDisabled:
		return false
	}
	if in.Meta.Environment == resolve.EnvProduction {
		return true
	}
	for _, n := range providerResources[in.DB.Provider] {
		if isProtected(in.observed(n)) {
			return true
		}
	}
	return false
}

// decide returns the database to build: the name and owner it was created
// with, storage never smaller than it is (nor than the cloud grew it),
// major version upgrades the provider accepts, and backups kept at least
// MinProtectedBackupDays when protected. Every kept value gets a warning;
// spec.database.storage below the database's storage is refused.
func (in Request) decide(protected bool) (resolve.Database, []string, error) {
	db := in.DB
	warnings := in.keepIdentity(&db)
	var s storage
	switch db.Provider {
	case resolve.ProviderCNPG:
		c := *db.CNPG
		s = in.storage(in.observed(ResDatabase), "spec.storage.size", "", c.Storage, "")
		c.Storage = s.kept
		db.CNPG = &c
	case resolve.ProviderAWS:
		c := *db.AWS
		o := in.observed(ResDatabaseAWS)
		s = in.storage(o, "spec.forProvider.allocatedStorage", "status.atProvider.allocatedStorage", strconv.FormatInt(c.StorageGiB, 10), "GiB")
		c.StorageGiB = s.int(c.StorageGiB)
		c.BackupRetentionDays = retention(c.BackupRetentionDays, protected)
		c.AllowMajorVersionUpgrade = majorUpgrade(o, "status.atProvider.engineVersionActual", "status.atProvider.engineVersion", db.Version) ||
			boolAt(o, "spec.forProvider.allowMajorVersionUpgrade")
		c.IOPS, c.StorageThroughput = intAt(o, "spec.forProvider.iops"), intAt(o, "spec.forProvider.storageThroughput")
		db.AWS = &c
	case resolve.ProviderGCP:
		c := *db.GCP
		s = in.storage(in.observed(ResDatabaseGCP), "spec.forProvider.settings.diskSize", "status.atProvider.settings.diskSize", strconv.FormatInt(c.DiskSizeGB, 10), "GB")
		c.DiskSizeGB = s.int(c.DiskSizeGB)
		c.BackupRetentionDays = retention(c.BackupRetentionDays, protected)
		db.GCP = &c
	case resolve.ProviderAzure:
		c := *db.Azure
		o := in.observed(ResDatabaseAzure)
		s = in.storage(o, "spec.forProvider.storageMb", "status.atProvider.storageMb", strconv.FormatInt(c.StorageMB, 10), "MB")
		c.StorageMB = s.int(c.StorageMB)
		c.BackupRetentionDays = retention(c.BackupRetentionDays, protected)
		c.UpgradeInPlace = majorUpgrade(o, "status.atProvider.version", "", db.Version) ||
			stringAt(o, "spec.forProvider.createMode") == "Update"
		c.StorageTier = stringAt(o, "spec.forProvider.storageTier")
		db.Azure = &c
	}
	if s.refused != nil {
		return db, nil, resolve.FieldErrors{s.refused}
	}
	if s.warning != "" {
		warnings = append(warnings, s.warning)
	}
	return db, warnings, nil
}

// storage is a storage decision: the size to compose, and why it differs
// from the one asked for.
type storage struct {
	kept    string
	warning string
	refused *field.Error
}

func (s storage) int(want int64) int64 {
	n, err := strconv.ParseInt(s.kept, 10, 64)
	if err != nil {
		return want
	}
	return n
}

// storage decides the storage of a database: never below what its spec
// already has (specPath), nor below what the cloud reports (atPath) for
// providers that grow disks themselves. spec.database.storage below the
// spec's storage is refused; a size whose storage is smaller, or a disk the
// cloud grew, keeps the larger value with a warning. unit follows numbers
// that carry none (GiB of an RDS instance).
func (in Request) storage(observed *unstructured.Unstructured, specPath, atPath, want, unit string) storage {
	out := storage{kept: want}
	wq, err := kresource.ParseQuantity(want)
	if err != nil {
		return out
	}
	if have, ok := parsedQuantityAt(observed, specPath); ok && have.Cmp(wq) > 0 {
		raw := quantityAt(observed, specPath)
		if in.DB.StorageSet {
			out.refused = field.Forbidden(field.NewPath("spec", "database", "storage"), fmt.Sprintf(
				"is %s (%s%s) but the database already has %s%s; storage can only grow: set at least %s%s",
				in.DB.Storage, want, unit, raw, unit, raw, unit))
			return out
		}
		out.kept = raw
		out.warning = fmt.Sprintf("spec.database.size asks for %s%s of storage but the database already has %s%s; "+
			"storage is never shrunk, so %s%s is kept", want, unit, out.kept, unit, out.kept, unit)
		wq = have
	}
	if atPath == "" {
		return out
	}
	if grown, ok := parsedQuantityAt(observed, atPath); ok && grown.Cmp(wq) > 0 {
		out.kept = quantityAt(observed, atPath)
		out.warning = fmt.Sprintf("the cloud grew the database's storage to %s%s, more than the %s%s asked for; %s%s is kept, "+
			"since the provider would refuse a smaller size", out.kept, unit, want, unit, out.kept, unit)
	}
	return out
}

func parsedQuantityAt(u *unstructured.Unstructured, path string) (kresource.Quantity, bool) {
	s := quantityAt(u, path)
	if s == "" {
		return kresource.Quantity{}, false
	}
	q, err := kresource.ParseQuantity(s)
	return q, err == nil
}

// majorUpgrade reports whether the observed major version (the first path
// that has one) is lower than the version asked for: the provider then
// needs to be told that a major upgrade is meant.
func majorUpgrade(o *unstructured.Unstructured, path, fallback, want string) bool {
	have := stringAt(o, path)
	if have == "" && fallback != "" {
		have = stringAt(o, fallback)
	}
	if have == "" {
		return false
	}
	major, _, _ := strings.Cut(have, ".")
	h, err1 := strconv.Atoi(major)
	w, err2 := strconv.Atoi(want)
	return err1 == nil && err2 == nil && h < w
}

func intAt(u *unstructured.Unstructured, path string) int64 {
	if u == nil {
		return 0
	}
	n, _ := pipeline.Int(u.Object, path)
	return n
}

func boolAt(u *unstructured.Unstructured, path string) bool {
	if u == nil {
		return false
	}
	return pipeline.Bool(u.Object, path)
}

// keepIdentity keeps the name and owner an existing database was created
// with. Neither can change in place: RDS and Cloud SQL would replace the
// instance or create a second database, and CloudNativePG reads them only
// at bootstrap. A changed spec gets a warning instead.
func (in Request) keepIdentity(db *resolve.Database) []string {
	var name, owner string
	annotation := func(n pipeline.Name) string {
		if o := in.observed(n); o != nil {
			return o.GetAnnotations()[objects.ExternalNameAnnotation]
		}
		return ""
	}
	switch db.Provider {
	case resolve.ProviderCNPG:
		name = stringAt(in.observed(ResDatabase), "spec.bootstrap.initdb.database")
		owner = stringAt(in.observed(ResDatabase), "spec.bootstrap.initdb.owner")
	case resolve.ProviderAWS:
		name = stringAt(in.observed(ResDatabaseAWS), "spec.forProvider.dbName")
		owner = stringAt(in.observed(ResDatabaseAWS), "spec.forProvider.username")
	case resolve.ProviderGCP:
		name, owner = annotation(ResDatabaseGCPDB), annotation(ResDatabaseGCPUser)
	case resolve.ProviderAzure:
		name = annotation(ResDatabaseAzureDB)
		owner = stringAt(in.observed(ResDatabaseAzure), "spec.forProvider.administratorLogin")
	}
	var warnings []string
	for _, f := range []struct {
		field, have, what string
		want              *string
	}{
		{"name", name, "database", &db.Name},
		{"owner", owner, "role", &db.Owner},
	} {
		if f.have == "" || f.have == *f.want {
			continue
		}
		warnings = append(warnings, fmt.Sprintf("spec.database.%s is %q but the %s was created as %q and cannot be renamed in place; %q is kept",
			f.field, *f.want, f.what, f.have, f.have))
		*f.want = f.have
	}
	return warnings
}

// quantityAt reads a storage size: a quantity string, or a number (which
// JSON and protobuf Structs carry as float64).
func quantityAt(u *unstructured.Unstructured, path string) string {
	if u == nil {
		return ""
	}
	v, _ := pipeline.Value(u.Object, path)
	switch n := v.(type) {
	case string:
		return n
	case float64:
		return strconv.FormatInt(int64(n), 10)
	case int64:
		return strconv.FormatInt(n, 10)
	}
	return ""
}

// retention is the backup retention of a size, at least
// MinProtectedBackupDays for a protected database.
func retention(days int64, protected bool) int64 {
	if protected && days < MinProtectedBackupDays {
		return MinProtectedBackupDays
	}
	return days
}

func stringAt(u *unstructured.Unstructured, path string) string {
	if u == nil {
		return ""
	}
	return pipeline.String(u.Object, path)
}
