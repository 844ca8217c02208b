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

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	kresource "k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Names of the database resources in the pipeline. They never change for
// the life of an XR: a renamed or resized database keeps its resource name,
// so Crossplane updates it in place. Each provider has its own names, so a
// provider change can never turn into an in-place update of another kind.
const (
	ResDatabase           resource.Name = "database" // CloudNativePG Cluster
	ResDatabaseAWS        resource.Name = "database-aws"
	ResDatabaseGCP        resource.Name = "database-gcp"
	ResDatabaseGCPDB      resource.Name = "database-gcp-db"
	ResDatabaseGCPUser    resource.Name = "database-gcp-user"
	ResDatabasePassword   resource.Name = "database-password"
	ResDatabaseAzure      resource.Name = "database-azure"
	ResDatabaseAzureDB    resource.Name = "database-azure-db"
	ResDatabaseConnection resource.Name = "database-connection"
)

// providerResources lists the resources that hold each provider's data.
var providerResources = map[string][]resource.Name{
	resolve.ProviderCNPG:  {ResDatabase},
	resolve.ProviderAWS:   {ResDatabaseAWS},
	resolve.ProviderGCP:   {ResDatabaseGCP, ResDatabaseGCPDB, ResDatabaseGCPUser, ResDatabasePassword},
	resolve.ProviderAzure: {ResDatabaseAzure, ResDatabaseAzureDB},
}

// MinProtectedBackupDays is the backup retention a protected database gets
// at least.
const MinProtectedBackupDays = 7

// Input is what composing a database reads: the resolved database and the
// state it is decided against.
type Input struct {
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
	Observed          map[resource.Name]*composed.Unstructured
	// Required are the resources Crossplane fetched because the function
	// asked for them in an earlier call.
	Required     map[string][]resource.Required
	PasswordSeed []byte
}

func (in Input) observed(n resource.Name) *composed.Unstructured {
	if o, ok := in.Observed[n]; ok && o != nil && len(o.Object) > 0 {
		return o
	}
	return nil
}

// guardProviderChange refuses to drop an existing database of another
// provider from desired state: Crossplane would delete it.
func guardProviderChange(in Input) *field.Error {
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
func isProtected(o *composed.Unstructured) bool {
	if o == nil {
		return false
	}
	if dp, _ := o.GetString("spec.deletionPolicy"); dp == "Orphan" {
		return true
	}
	mp, err := o.GetStringArray("spec.managementPolicies")
	if err != nil || len(mp) == 0 {
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
func (in Input) protected() bool {
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
// with, storage never smaller than it is, and backups kept at least
// MinProtectedBackupDays when protected. Every kept value gets a warning.
func (in Input) decide(protected bool) (resolve.Database, []string) {
	db := in.DB
	warnings := in.keepIdentity(&db)
	var warning string
	switch db.Provider {
	case resolve.ProviderCNPG:
		c := *db.CNPG
		c.Storage, warning = keepLarger(in.observed(ResDatabase), "spec.storage.size", c.Storage, "")
		db.CNPG = &c
	case resolve.ProviderAWS:
		c := *db.AWS
		c.StorageGiB, warning = keepLargerInt(in.observed(ResDatabaseAWS), "spec.forProvider.allocatedStorage", c.StorageGiB, "GiB")
		c.BackupRetentionDays = retention(c.BackupRetentionDays, protected)
		db.AWS = &c
	case resolve.ProviderGCP:
		c := *db.GCP
		c.DiskSizeGB, warning = keepLargerInt(in.observed(ResDatabaseGCP), "spec.forProvider.settings.diskSize", c.DiskSizeGB, "GB")
		c.BackupRetentionDays = retention(c.BackupRetentionDays, protected)
		db.GCP = &c
	case resolve.ProviderAzure:
		c := *db.Azure
		c.StorageMB, warning = keepLargerInt(in.observed(ResDatabaseAzure), "spec.forProvider.storageMb", c.StorageMB, "MB")
		c.BackupRetentionDays = retention(c.BackupRetentionDays, protected)
		db.Azure = &c
	}
	if warning != "" {
		warnings = append(warnings, warning)
	}
	return db, warnings
}

// keepIdentity keeps the name and owner an existing database was created
// with. Neither can change in place: RDS and Cloud SQL would replace the
// instance or create a second database, and CloudNativePG reads them only
// at bootstrap. A changed spec gets a warning instead.
func (in Input) keepIdentity(db *resolve.Database) []string {
	var name, owner string
	annotation := func(n resource.Name) string {
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

// keepLarger returns want, or the observed quantity at path when it is
// larger, with a warning: storage is never shrunk. unit follows numbers
// that carry none (GiB of an RDS instance).
func keepLarger(observed *composed.Unstructured, path, want, unit string) (string, string) {
	have := quantityAt(observed, path)
	if have == "" {
		return want, ""
	}
	hq, err := kresource.ParseQuantity(have)
	if err != nil {
		return want, ""
	}
	wq, err := kresource.ParseQuantity(want)
	if err != nil || hq.Cmp(wq) <= 0 {
		return want, ""
	}
	return have, fmt.Sprintf("spec.database.size asks for %s%s of storage but the database already has %s%s; "+
		"storage is never shrunk, so %s%s is kept", want, unit, have, unit, have, unit)
}

// keepLargerInt is keepLarger for a size counted in unit.
func keepLargerInt(observed *composed.Unstructured, path string, want int64, unit string) (int64, string) {
	kept, warning := keepLarger(observed, path, strconv.FormatInt(want, 10), unit)
	n, err := strconv.ParseInt(kept, 10, 64)
	if err != nil {
		return want, ""
	}
	return n, warning
}

// quantityAt reads a storage size: a quantity string, or a number (which
// JSON and protobuf Structs carry as float64).
func quantityAt(u *composed.Unstructured, path string) string {
	if u == nil {
		return ""
	}
	v, err := u.GetValue(path)
	if err != nil {
		return ""
	}
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

func stringAt(u *composed.Unstructured, path string) string {
	if u == nil {
		return ""
	}
	s, _ := u.GetString(path)
	return s
}
