// Package database composes the application's PostgreSQL database on its
// provider (CloudNativePG, RDS, Cloud SQL, Flexible Server) and the
// connection Secret the backend reads. It is the one package that reads
// observed and required state for a database: the guards (provider switch,
// storage that never shrinks, kept identity, protection), the passwords and
// the connection contract.
package database

import (
	"fmt"
	"sort"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
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

// RequiredPasswordSecret is the name under which the function asks Crossplane
// for the Secret that holds the database password a provider generated.
const RequiredPasswordSecret = "database-password-secret"

// PasswordSeedCredential names the function credentials (a Secret with key
// "seed") from which passwords the function must supply are derived.
const PasswordSeedCredential = "database-password-seed"

// Input is what the database builders read.
type Input struct {
	Meta        objects.Meta
	DB          resolve.Database
	Environment string
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
	Platform     *v1beta1.Databases
	PasswordSeed []byte
}

func (in Input) observed(n resource.Name) *composed.Unstructured {
	if o, ok := in.Observed[n]; ok && o != nil && len(o.Object) > 0 {
		return o
	}
	return nil
}

// Connection is what the backend needs to reach the database. Fields are
// empty until known.
type Connection struct {
	Host, Port, Username, Password, DBName, SSLMode string
}

// Complete reports whether every field is known.
func (c Connection) Complete() bool {
	return c.Host != "" && c.Port != "" && c.Username != "" && c.Password != "" && c.DBName != "" && c.SSLMode != ""
}

// Output is what a database builder composes and learns.
type Output struct {
	Resources    []objects.Composed
	Warnings     []string
	Requirements map[string]*fnv1.ResourceSelector
	Connection   Connection
	// Endpoint is the database host once known.
	Endpoint string
}

// Database composes the application's database on the chosen provider. It
// refuses a provider change that would delete an existing database unless
// spec.database.allowProviderChange says so.
func Database(in Input) (*Output, *field.Error) {
	if err := guardProviderChange(in); err != nil {
		return nil, err
	}
	warnings := keepIdentity(&in)
	var out *Output
	var err *field.Error
	switch in.DB.Provider {
	case resolve.ProviderAWS:
		out, err = awsDatabase(in)
	case resolve.ProviderGCP:
		out, err = gcpDatabase(in)
	case resolve.ProviderAzure:
		out, err = azureDatabase(in)
	default:
		out, err = cnpgDatabase(in)
	}
	if err != nil {
		return nil, err
	}
	out.Warnings = append(warnings, out.Warnings...)
	return out, nil
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

// Protected decides protection: the XR's explicit choice (Enabled,
// Disabled) wins; with Default a
// production database is protected, and so is one that already is (moving
// an XR from production to development does not drop its protection).
func (in Input) Protected() bool {
	switch in.DB.Protection {
	case resolve.ProtectionEnabled:
		return true
	case resolve.ProtectionDisabled:
		return false
	}
	if in.Environment == resolve.EnvProduction {
		return true
	}
	for _, n := range providerResources[in.DB.Provider] {
		if isProtected(in.observed(n)) {
			return true
		}
	}
	return false
}

// ProtectedManagementPolicies leave out Delete: deleting the XR or the
// managed resource leaves the cloud database in place.
var ProtectedManagementPolicies = []any{"Observe", "Create", "Update", "LateInitialize"}

// managedResource returns the skeleton of a managed resource: metadata,
// provider config and deletion behaviour for the XR's scope.
func (in Input) managedResource(apiVersion, kind, suffix string, cfg v1beta1.ProviderConfig, protected bool, forProvider map[string]any) *composed.Unstructured {
	u := composed.New()
	labels := map[string]any{}
	for k, v := range in.Meta.Labels(objects.ComponentDatabase) {
		labels[k] = v
	}
	meta := map[string]any{"labels": labels}
	spc := map[string]any{"forProvider": forProvider}
	name := cfg.Name
	if name == "" {
		name = "default"
	}
	if in.Namespaced {
		meta["name"] = in.Meta.Names.Database + suffix
		meta["namespace"] = in.Meta.Namespace
		kind := cfg.Kind
		if kind == "" {
			kind = "ClusterProviderConfig"
		}
		spc["providerConfigRef"] = map[string]any{"kind": kind, "name": name}
		if protected {
			spc["managementPolicies"] = ProtectedManagementPolicies
		} else {
			spc["managementPolicies"] = []any{"*"}
		}
	} else {
		meta["name"] = in.ClusterScopedName + suffix
		spc["providerConfigRef"] = map[string]any{"name": name}
		if protected {
			spc["deletionPolicy"] = "Orphan"
		} else {
			spc["deletionPolicy"] = "Delete"
		}
	}
	u.Object = map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": meta, "spec": spc}
	return u
}

// secretRef references a Secret in the application's namespace from a
// managed resource: namespaced managed resources take no namespace.
func (in Input) secretRef(name, key string) map[string]any {
	ref := map[string]any{"name": name, "key": key}
	if !in.Namespaced {
		ref["namespace"] = in.Meta.Namespace
	}
	return ref
}

// keepLarger returns want, or the observed value at path when it is larger,
// with a warning: storage is never shrunk.
func keepLarger(observed *composed.Unstructured, path string, want int64, unit string) (int64, string) {
	if observed == nil {
		return want, ""
	}
	v, err := observed.GetValue(path)
	if err != nil {
		return want, ""
	}
	var have int64
	switch n := v.(type) {
	case float64:
		have = int64(n)
	case int64:
		have = n
	default:
		return want, ""
	}
	if have <= want {
		return want, ""
	}
	return have, fmt.Sprintf("spec.database.size asks for %d%s of storage but the database already has %d%s; "+
		"storage is never shrunk, so %d%s is kept", want, unit, have, unit, have, unit)
}

// requirePasswordSecret asks Crossplane for the Secret a provider writes the
// generated password to, and returns the password once it is there.
func (in Input) requirePasswordSecret(out *Output, name, key string) string {
	ns := in.Meta.Namespace
	out.Requirements = map[string]*fnv1.ResourceSelector{RequiredPasswordSecret: {
		ApiVersion: "v1", Kind: "Secret", Namespace: &ns,
		Match: &fnv1.ResourceSelector_MatchName{MatchName: name},
	}}
	for _, r := range in.Required[RequiredPasswordSecret] {
		if r.Resource == nil || r.Resource.GetName() != name {
			continue
		}
		return secretValue(r.Resource.Object, key)
	}
	return ""
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

// requireSetting names a setting that is missing everywhere it can be set.
func requireSetting(value string, xrPath *field.Path, inputPath string) *field.Error {
	if value != "" {
		return nil
	}
	where := "set it in the function Input in the Composition at " + inputPath
	if xrPath != nil {
		return field.Required(xrPath, "set it on the XR, or "+where)
	}
	return field.Required(field.NewPath("input").Child(inputPath), where)
}

func objectOf(u *composed.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	return u.Object
}

func stringAt(u *composed.Unstructured, path string) (string, error) {
	if u == nil {
		return "", fmt.Errorf("not observed")
	}
	return u.GetString(path)
}

func numberAt(u *composed.Unstructured, path string) (int64, error) {
	if u == nil {
		return 0, fmt.Errorf("not observed")
	}
	return u.GetInteger(path)
}

// cnpgDatabase composes the CloudNativePG Cluster and reads the password
// CloudNativePG generates for the application role from its app Secret.
func cnpgDatabase(in Input) (*Output, *field.Error) {
	out, err := CloudNativePGCluster(in.Meta, in.DB, in.observed(ResDatabase))
	if err != nil {
		return nil, field.InternalError(field.NewPath("spec", "database", "size"), err)
	}
	password := in.requirePasswordSecret(out, in.Meta.Names.DatabaseAppSecret, KeyPassword)
	out.Endpoint = DatabaseHost(in.Meta)
	out.Connection = Connection{Host: out.Endpoint, Port: "5432", Username: in.DB.Owner, Password: password, DBName: in.DB.Name, SSLMode: "require"}
	return out, nil
}

// keepIdentity keeps the name and owner an existing database was created
// with. Neither can change in place: RDS and Cloud SQL would replace the
// instance or create a second database, and CloudNativePG reads them only
// at bootstrap. A changed spec gets a warning instead.
func keepIdentity(in *Input) []string {
	var name, owner string
	annotation := func(n resource.Name) string {
		if o := in.observed(n); o != nil {
			return o.GetAnnotations()[ExternalNameAnnotation]
		}
		return ""
	}
	switch in.DB.Provider {
	case resolve.ProviderCNPG:
		name, _ = stringAt(in.observed(ResDatabase), "spec.bootstrap.initdb.database")
		owner, _ = stringAt(in.observed(ResDatabase), "spec.bootstrap.initdb.owner")
	case resolve.ProviderAWS:
		name, _ = stringAt(in.observed(ResDatabaseAWS), "spec.forProvider.dbName")
		owner, _ = stringAt(in.observed(ResDatabaseAWS), "spec.forProvider.username")
	case resolve.ProviderGCP:
		name, owner = annotation(ResDatabaseGCPDB), annotation(ResDatabaseGCPUser)
	case resolve.ProviderAzure:
		name = annotation(ResDatabaseAzureDB)
		owner, _ = stringAt(in.observed(ResDatabaseAzure), "spec.forProvider.administratorLogin")
	}
	var warnings []string
	keep := in.DB
	for _, f := range []struct {
		field    string
		have     string
		want     *string
		whatHave string
	}{
		{"name", name, &keep.Name, "database"},
		{"owner", owner, &keep.Owner, "role"},
	} {
		if f.have == "" || f.have == *f.want {
			continue
		}
		warnings = append(warnings, fmt.Sprintf("spec.database.%s is %q but the %s was created as %q and cannot be renamed in place; %q is kept",
			f.field, *f.want, f.whatHave, f.have, f.have))
		*f.want = f.have
	}
	in.DB = keep
	return warnings
}

// region returns the XR's spec.database.region, else the platform's.
func (in Input) region(platform, inputPath string) (string, *field.Error) {
	r := in.DB.Region
	if r == "" {
		r = platform
	}
	return r, requireSetting(r, field.NewPath("spec", "database", "region"), inputPath)
}

// retention is the backup retention of a size, at least
// MinProtectedBackupDays for a protected database.
func retention(days int64, protected bool) int64 {
	if protected && days < MinProtectedBackupDays {
		return MinProtectedBackupDays
	}
	return days
}
