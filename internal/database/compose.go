package database

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/internal/encode"
	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// RequiredPasswordSecret is the name under which the function asks Crossplane
// for the Secret that holds the database password a provider generated.
const RequiredPasswordSecret = "database-password-secret"

// RequiredCABundle is the name under which the function asks Crossplane for
// the ConfigMap holding a cloud database's CA bundle.
const RequiredCABundle = "database-ca-bundle"

// PasswordSeedCredential names the function credentials (a Secret with key
// "seed") from which passwords the function must supply are derived.
const PasswordSeedCredential = "database-password-seed"

// Result is what composing a database adds to a composite's plan.
type Result struct {
	Resources []objects.Composed
	Warnings  []string
	// Pending names what cannot be composed yet, and why.
	Pending []string
	// Requirements are resources Crossplane must fetch for the next call.
	Requirements map[string]*fnv1.ResourceSelector
	// ConnectionDetails of a LegacyCluster XR (and so its claim).
	ConnectionDetails pipeline.ConnectionDetails
	// Status is the XR's status.database.
	Status v1alpha1.DatabaseStatus

	// enc encodes the objects: Request.Encoder, or one of its own.
	enc *encode.Encoder
}

// Compose composes the database on its provider and the connection Secret.
// Every composite kind calls it, so a database behaves the same behind each.
// It refuses a provider change that would delete an existing database
// unless spec.database.allowProviderChange says so.
func Compose(in Request) (*Result, error) {
	if err := guardProviderChange(in); err != nil {
		return nil, resolve.FieldErrors{err}
	}
	protected := in.protected()
	db, warnings, err := in.decide(protected)
	if err != nil {
		return nil, err
	}
	scope := objects.Scope{Namespaced: in.Namespaced, ClusterScopedName: in.ClusterScopedName, Protected: protected}
	if in.Namespaced {
		scope.ExternalName = in.externalName(db.Provider)
		scope.SnapshotPrefix = names.External(in.Meta.Namespace, in.Meta.Names.Database)
	}
	out := &Result{Warnings: warnings, enc: in.Encoder}
	if out.enc == nil {
		out.enc = new(encode.Encoder)
	}
	var conn Connection
	switch db.Provider {
	case resolve.ProviderAWS:
		conn, err = in.aws(out, db, scope)
	case resolve.ProviderGCP:
		conn, err = in.gcp(out, db, scope)
	case resolve.ProviderAzure:
		conn, err = in.azure(out, db, scope)
	default:
		conn, err = in.cnpg(out, db)
	}
	if err != nil {
		return nil, err
	}
	if db.Provider != resolve.ProviderCNPG {
		conn.CAKnown = in.requireCABundle(out, db.CABundle)
	}
	n := in.Meta.Names
	out.Status = v1alpha1.DatabaseStatus{Provider: db.Provider, Host: conn.Host, Port: 5432, Name: db.Name, SecretName: n.DatabaseConnection}

	// The connection Secret: assembled once everything is known, then kept.
	var data map[string][]byte
	switch o := in.observed(ResDatabaseConnection); {
	case conn.Complete():
		data = ConnectionData(conn)
	case o != nil:
		data = SecretData(o.Object)
	}
	if data == nil {
		out.Pending = append(out.Pending, fmt.Sprintf("%s (Secret %s: waiting for the database %s)",
			ResDatabaseConnection, n.DatabaseConnection, missing(conn, db.CABundle, in.Meta.Namespace)))
		return out, nil
	}
	if err := out.add(ResDatabaseConnection, objects.ConnectionSecret(in.Meta, data)); err != nil {
		return nil, err
	}
	if !in.Namespaced {
		out.ConnectionDetails = data
	}
	return out, nil
}

// instanceResources are the resources of each cloud provider whose external
// name is the cloud instance's name.
var instanceResources = map[string]pipeline.Name{
	resolve.ProviderAWS:   ResDatabaseAWS,
	resolve.ProviderGCP:   ResDatabaseGCP,
	resolve.ProviderAzure: ResDatabaseAzure,
}

// externalName is the cloud name of a namespaced database instance. A new
// one gets names.External(namespace, name): RDS identifiers and Cloud SQL
// instance IDs are unique per account or project, Flexible Server names are
// global DNS names, so <name>-db alone would be one instance for the same
// application in every namespace. One that exists keeps the name it was
// created with, since renaming would make the provider create a second
// instance (or replace it) and lose track of the first:
//   - Cloud SQL and Flexible Server: its crossplane.io/external-name, or,
//     where the provider has not written it yet, its metadata.name, which
//     the provider takes (crossplane-runtime NameAsExternalName);
//   - RDS: its spec.forProvider.identifier, which the provider
//     late-initializes with the identifier Terraform generated for an
//     instance created without one; none yet leaves it to the provider.
func (in Request) externalName(provider string) string {
	res, ok := instanceResources[provider]
	if !ok {
		return ""
	}
	if o := in.observed(res); o != nil {
		if provider == resolve.ProviderAWS {
			return stringAt(o, "spec.forProvider.identifier")
		}
		if n := o.GetAnnotations()[objects.ExternalNameAnnotation]; n != "" {
			return n
		}
		return o.GetName()
	}
	return names.External(in.Meta.Namespace, in.Meta.Names.Database)
}

// add adds a typed object (a Kubernetes type or a local struct of a custom
// resource) to the result.
func (r *Result) add(name pipeline.Name, obj any) error {
	var err error
	c := objects.Composed{Name: name}
	if t, ok := obj.(runtime.Object); ok {
		c.Object, err = r.enc.Typed(t)
	} else {
		c.Object, err = r.enc.CRD(obj)
	}
	if err != nil {
		return field.InternalError(field.NewPath("spec", "database"), err)
	}
	r.Resources = append(r.Resources, c)
	return nil
}

// cnpg composes the CloudNativePG Cluster; CloudNativePG generates the
// application role's password into its app Secret.
func (in Request) cnpg(out *Result, db resolve.Database) (Connection, error) {
	if err := out.add(ResDatabase, objects.CloudNativePGCluster(in.Meta, db)); err != nil {
		return Connection{}, err
	}
	password := in.requirePasswordSecret(out, in.Meta.Names.DatabaseAppSecret)
	return Connection{Host: DatabaseHost(in.Meta), Port: "5432", Username: db.Owner, Password: password, DBName: db.Name, CAKnown: true}, nil
}

// aws composes an RDS instance; RDS generates the master password into the
// database password Secret, and reports the endpoint.
func (in Request) aws(out *Result, db resolve.Database, s objects.Scope) (Connection, error) {
	if err := out.add(ResDatabaseAWS, objects.RDSInstance(in.Meta, db, s)); err != nil {
		return Connection{}, err
	}
	observed := in.observed(ResDatabaseAWS)
	port := "5432"
	if observed != nil {
		if p, ok := pipeline.Int(observed.Object, "status.atProvider.port"); ok && p > 0 {
			port = strconv.FormatInt(p, 10)
		}
	}
	password := in.requirePasswordSecret(out, in.Meta.Names.DatabasePassword)
	return Connection{Host: stringAt(observed, "status.atProvider.address"), Port: port, Username: db.Owner, Password: password, DBName: db.Name, CAKnown: true}, nil
}

// gcp composes a Cloud SQL instance, its database and user. Cloud SQL users
// need a password supplied, so the function composes it in a Secret:
// derived once from the function's password seed, then read back from
// observed state on every later call.
func (in Request) gcp(out *Result, db resolve.Database, s objects.Scope) (Connection, error) {
	password := secretValue(objectOf(in.observed(ResDatabasePassword)), objects.PasswordKey)
	if password == "" {
		if len(in.PasswordSeed) == 0 {
			return Connection{}, resolve.FieldErrors{field.Required(field.NewPath("credentials").Key(PasswordSeedCredential),
				"Cloud SQL users need a password the function supplies: add function credentials named "+PasswordSeedCredential+
					" (a Secret with key seed) to the pipeline step in the Composition")}
		}
		password = derivePassword(in.PasswordSeed, in.Meta.Namespace+"/"+in.Meta.Composite)
	}
	for _, r := range []struct {
		name pipeline.Name
		obj  any
	}{
		{ResDatabaseGCP, objects.CloudSQLInstance(in.Meta, db, s)},
		{ResDatabaseGCPDB, objects.CloudSQLDatabase(in.Meta, db, s)},
		{ResDatabaseGCPUser, objects.CloudSQLUser(in.Meta, db, s)},
		{ResDatabasePassword, objects.DatabasePasswordSecret(in.Meta, password)},
	} {
		if err := out.add(r.name, r.obj); err != nil {
			return Connection{}, err
		}
	}
	host := cloudSQLHost(in.observed(ResDatabaseGCP))
	return Connection{Host: host, Port: "5432", Username: db.Owner, Password: password, DBName: db.Name, CAKnown: true}, nil
}

// cloudSQLHost is the name clients connect to a Cloud SQL instance by: the
// DNS name of its private services access connection. An instance created
// with serverCaMode GOOGLE_MANAGED_CAS_CA carries its DNS names, not its IP
// addresses, in the server certificate, so sslmode=verify-full against
// privateIpAddress fails the name check (GoogleCloudPlatform
// cloud-sql-go-connector v1.22.1 internal/cloudsql/instance.go: "For CAS
// instances, we can rely on the DNS name to verify the server identity",
// ServerName set to the DNS name; refresh.go takes the first of dnsNames,
// else dnsName). Empty until the provider reports one.
func cloudSQLHost(o *unstructured.Unstructured) string {
	if o == nil {
		return ""
	}
	names, _, _ := unstructured.NestedSlice(o.Object, "status", "atProvider", "dnsNames")
	for _, n := range names {
		m, _ := n.(map[string]any)
		if m["connectionType"] == "PRIVATE_SERVICES_ACCESS" {
			if name, _ := m["name"].(string); name != "" {
				return name
			}
		}
	}
	return stringAt(o, "status.atProvider.dnsName")
}

// azure composes a Flexible Server and its database; the provider generates
// the administrator password into the database password Secret.
func (in Request) azure(out *Result, db resolve.Database, s objects.Scope) (Connection, error) {
	if err := out.add(ResDatabaseAzure, objects.FlexibleServer(in.Meta, db, s)); err != nil {
		return Connection{}, err
	}
	if err := out.add(ResDatabaseAzureDB, objects.FlexibleServerDatabase(in.Meta, db, s)); err != nil {
		return Connection{}, err
	}
	password := in.requirePasswordSecret(out, in.Meta.Names.DatabasePassword)
	host := stringAt(in.observed(ResDatabaseAzure), "status.atProvider.fqdn")
	return Connection{Host: host, Port: "5432", Username: db.Owner, Password: password, DBName: db.Name, CAKnown: true}, nil
}

// requirePasswordSecret asks Crossplane for the Secret a provider writes the
// generated password to, and returns the password once it is there.
func (in Request) requirePasswordSecret(out *Result, name string) string {
	out.require(RequiredPasswordSecret, "Secret", in.Meta.Namespace, name)
	for _, r := range in.Required[RequiredPasswordSecret] {
		if r == nil || r.GetName() != name {
			continue
		}
		return secretValue(r.Object, objects.PasswordKey)
	}
	return ""
}

// requireCABundle asks Crossplane for the ConfigMap holding a cloud
// database's CA bundle, and reports whether it holds the key. The backend
// mounts it; without it the pods could not start.
func (in Request) requireCABundle(out *Result, ca resolve.CABundle) bool {
	out.require(RequiredCABundle, "ConfigMap", in.Meta.Namespace, ca.ConfigMap)
	for _, r := range in.Required[RequiredCABundle] {
		if r == nil || r.GetName() != ca.ConfigMap {
			continue
		}
		pem, _, _ := unstructured.NestedString(r.Object, "data", ca.Key)
		return pem != ""
	}
	return false
}

// require asks Crossplane to fetch a resource by name for the next call.
func (r *Result) require(key, kind, namespace, name string) {
	if r.Requirements == nil {
		r.Requirements = map[string]*fnv1.ResourceSelector{}
	}
	r.Requirements[key] = &fnv1.ResourceSelector{
		ApiVersion: "v1", Kind: kind, Namespace: &namespace,
		Match: &fnv1.ResourceSelector_MatchName{MatchName: name},
	}
}

// derivePassword derives a password from the platform's secret seed and the
// XR's identity: the same XR always gets the same password, and no one who
// can read the XR can compute it.
func derivePassword(seed []byte, identity string) string {
	mac := hmac.New(sha256.New, seed)
	mac.Write([]byte("function-fullstack/database-password/v1/" + identity))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))[:32]
}

// DatabaseHost is the in-cluster DNS name of the read-write Service
// CloudNativePG creates for the Cluster.
func DatabaseHost(m objects.Meta) string {
	return fmt.Sprintf("%s.%s.svc", m.Names.DatabaseRWService, m.Namespace)
}

// missing says which parts of a connection are not known yet.
func missing(c Connection, ca resolve.CABundle, namespace string) string {
	var parts []string
	if c.Host == "" {
		parts = append(parts, "endpoint")
	}
	if c.Password == "" {
		parts = append(parts, "password")
	}
	if !c.CAKnown {
		parts = append(parts, fmt.Sprintf("CA bundle (ConfigMap %s with key %s in namespace %s; docs/databases.md: Database TLS and connecting)", ca.ConfigMap, ca.Key, namespace))
	}
	if len(parts) == 0 {
		return "connection details"
	}
	return strings.Join(parts, " and ")
}
