package fake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// This file plays what the Upbound providers do to a database managed
// resource on their reconcile, each rule from the provider's or its
// Terraform provider's source (versions as in ../shared/crds):
//   - provider-upjet-aws v2.6.0 (terraform-provider-aws 6.34.0, upbound fork
//     f7691456b787), provider-upjet-gcp v3.0.0 (terraform-provider-google
//     7.39.0), provider-upjet-azure v2.7.0 (terraform-provider-azurerm
//     v4.80.0);
//   - crossplane-runtime v2.3.3 pkg/reconciler/managed/api.go
//     (NameAsExternalName).
// Where a rule is the cloud API's rather than Terraform's, it says so.

// ExternalNameAnnotation is crossplane-runtime's external-name annotation.
const ExternalNameAnnotation = "crossplane.io/external-name"

// ProviderKinds are the kinds of the database managed resources Provider
// plays.
var ProviderKinds = map[string]bool{
	"Instance": true, "DatabaseInstance": true, "Database": true, "User": true, "FlexibleServer": true, "FlexibleServerDatabase": true,
}

// Provider plays one reconcile of an Upbound provider on a database managed
// resource: it returns the object as the provider leaves metadata and spec
// (the external name its initializer writes, the fields it late-initializes
// from the cloud), the Terraform state it keeps in status.atProvider, and
// the error Terraform or the cloud refuses the spec with (Synced=False),
// else "". Kinds that are not a database managed resource come back as they
// are.
func Provider(obj map[string]any) (out map[string]any, refused string) {
	out = deepCopy(obj)
	u := &unstructured.Unstructured{Object: out}
	switch u.GetKind() {
	case "Instance":
		return out, rdsInstance(u)
	case "DatabaseInstance":
		return out, cloudSQLInstance(u)
	case "FlexibleServer":
		return out, flexibleServer(u)
	case "Database", "User", "FlexibleServerDatabase":
		nameAsExternalName(u)
		return out, ""
	}
	return out, ""
}

// nameAsExternalName is crossplane-runtime's NameAsExternalName
// initializer: an empty external name becomes metadata.name, an existing
// one stays. The GCP and Azure controllers add it
// (internal/controller/.../zz_controller.go); upjet leaves it out for
// IdentifierFromProvider resources (RDS Instance).
func nameAsExternalName(u *unstructured.Unstructured) string {
	a := u.GetAnnotations()
	if a[ExternalNameAnnotation] == "" {
		if a == nil {
			a = map[string]string{}
		}
		a[ExternalNameAnnotation] = u.GetName()
		u.SetAnnotations(a)
	}
	return a[ExternalNameAnnotation]
}

// lateInitializes reports whether the provider writes observed values into
// the spec: management policies with LateInitialize or "*", or none set.
func lateInitializes(u *unstructured.Unstructured) bool {
	mp, ok, _ := unstructured.NestedStringSlice(u.Object, "spec", "managementPolicies")
	if !ok || len(mp) == 0 {
		return true
	}
	for _, p := range mp {
		if p == "*" || p == "LateInitialize" {
			return true
		}
	}
	return false
}

// lateInit sets spec.forProvider.<path> to v where the spec has nothing
// there.
func lateInit(u *unstructured.Unstructured, v any, path ...string) {
	full := append([]string{"spec", "forProvider"}, path...)
	if _, ok, _ := unstructured.NestedFieldNoCopy(u.Object, full...); ok || !lateInitializes(u) {
		return
	}
	mustSet(u.Object, v, full...)
}

func forProvider(u *unstructured.Unstructured, path ...string) (any, bool) {
	v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, append([]string{"spec", "forProvider"}, path...)...)
	return v, ok
}

func forProviderString(u *unstructured.Unstructured, path ...string) string {
	v, _ := forProvider(u, path...)
	s, _ := v.(string)
	return s
}

func forProviderNum(u *unstructured.Unstructured, path ...string) int64 {
	n, _ := Num(u.Object, append([]string{"spec", "forProvider"}, path...)...)
	return n
}

func atProvider(u *unstructured.Unstructured) map[string]any {
	m, _, _ := unstructured.NestedMap(u.Object, "status", "atProvider")
	if m == nil {
		m = map[string]any{}
	}
	return m
}

func setAtProvider(u *unstructured.Unstructured, m map[string]any) {
	mustSet(u.Object, m, "status", "atProvider")
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:10]
}

// RDS identifiers: terraform-provider-aws internal/service/rds/validate.go
// validIdentifier (lowercase alphanumerics and hyphens, a letter first, no
// "--", no trailing "-"); RDS itself limits them to 63 characters.
var rdsIdentifier = regexp.MustCompile(`^[a-z][0-9a-z-]*$`)

func validRDSIdentifier(s string) error {
	switch {
	case !rdsIdentifier.MatchString(s):
		return fmt.Errorf("%q: only lowercase alphanumeric characters and hyphens allowed, first character must be a letter", s)
	case strings.Contains(s, "--"), strings.HasSuffix(s, "-"):
		return fmt.Errorf("%q: cannot contain two consecutive hyphens or end with a hyphen", s)
	case len(s) > 63:
		return fmt.Errorf("%q: the DB instance identifier is longer than 63 characters (RDS API)", s)
	}
	return nil
}

// rdsGP3Threshold is isStorageTypeGP3BelowAllocatedStorageThreshold's
// PostgreSQL threshold (instance.go); gp3's baseline below it is 3000 IOPS
// and 125 MiB/s, at and above it 12000 and 500 (RDS User Guide, gp3
// storage).
const rdsGP3Threshold = 400

func rdsBaseline(gib int64) (iops, throughput int64) {
	if gib < rdsGP3Threshold {
		return 3000, 125
	}
	return 12000, 500
}

// rdsInstance plays provider-upjet-aws on an RDS Instance:
//   - external name: IdentifierFromProvider (config/externalname.go
//     "aws_db_instance"), the DBI resource ID; the instance's name is
//     spec.forProvider.identifier, generated as terraform-<...> when unset
//     (instance.go create.Name);
//   - Terraform's validations of identifier and final_snapshot_identifier
//     (instance.go, validate.go);
//   - what RDS refuses: a parameter group of another family than the engine
//     version's; iops below the gp3 baseline for the size, sent with a size
//     change (dbInstancePopulateModify sends iops with allocated_storage
//     unless gp3 stays below the threshold), or any iops below it;
//   - late-initialization of every field except name, db_name and
//     availability_zone (config/namespaced/rds/config.go): identifier,
//     parameterGroupName, iops, storageThroughput.
func rdsInstance(u *unstructured.Unstructured) string {
	state := atProvider(u)
	created := state["id"] != nil
	identifier := forProviderString(u, "identifier")
	if identifier == "" {
		identifier, _ = state["identifier"].(string)
	}
	if identifier == "" {
		identifier = "terraform-" + shortHash(u.GetNamespace()+"/"+u.GetName())
	}
	if err := validRDSIdentifier(identifier); err != nil {
		return "cannot run plan: identifier: " + err.Error()
	}
	if s := forProviderString(u, "finalSnapshotIdentifier"); s != "" {
		if !regexp.MustCompile(`^[A-Za-z][0-9A-Za-z-]*$`).MatchString(s) || strings.Contains(s, "--") || strings.HasSuffix(s, "-") {
			return fmt.Sprintf("cannot run plan: final_snapshot_identifier %q is not valid", s)
		}
	}
	engineMajor, _, _ := strings.Cut(forProviderString(u, "engineVersion"), ".")
	if pg := forProviderString(u, "parameterGroupName"); pg != "" && strings.HasPrefix(pg, "default.postgres") && pg != "default.postgres"+engineMajor {
		return fmt.Sprintf("InvalidParameterCombination: The parameter group %s with DBParameterGroupFamily %s can't be used for this instance. "+
			"Use a parameter group with DBParameterGroupFamily postgres%s.", pg, strings.TrimPrefix(pg, "default."), engineMajor)
	}
	gib := forProviderNum(u, "allocatedStorage")
	baseIOPS, baseThroughput := rdsBaseline(gib)
	iops, iopsSet := Num(u.Object, "spec", "forProvider", "iops")
	prevGiB, _ := Num(state, "allocatedStorage")
	prevIOPS, _ := Num(state, "iops")
	sendsIOPS := iopsSet && (!created || iops != prevIOPS || (gib != prevGiB && gib >= rdsGP3Threshold))
	switch {
	case sendsIOPS && gib < rdsGP3Threshold:
		return fmt.Sprintf("InvalidParameterCombination: You can't specify IOPS or storage throughput for engine postgres and a storage size less than %d.", rdsGP3Threshold)
	case sendsIOPS && iops < baseIOPS:
		return fmt.Sprintf("InvalidParameterCombination: The IOPS %d is below the baseline %d of gp3 storage of %d GiB for engine postgres.", iops, baseIOPS, gib)
	}
	if !created {
		state["id"] = "db-" + strings.ToUpper(shortHash(identifier))
	}
	a := u.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[ExternalNameAnnotation], _ = state["id"].(string)
	u.SetAnnotations(a)
	if iopsSet {
		baseIOPS = iops
	}
	if tp := forProviderNum(u, "storageThroughput"); tp > 0 {
		baseThroughput = tp
	}
	pg := forProviderString(u, "parameterGroupName")
	if pg == "" {
		pg = "default.postgres" + engineMajor
	}
	state["identifier"], state["allocatedStorage"], state["iops"], state["storageThroughput"], state["parameterGroupName"] = identifier, gib, baseIOPS, baseThroughput, pg
	state["engineVersion"] = forProviderString(u, "engineVersion")
	state["address"] = identifier + ".fake.eu-west-1.rds.amazonaws.com"
	state["port"] = int64(5432)
	setAtProvider(u, state)
	lateInit(u, identifier, "identifier")
	lateInit(u, pg, "parameterGroupName")
	lateInit(u, baseIOPS, "iops")
	lateInit(u, baseThroughput, "storageThroughput")
	return ""
}

// cloudSQLInstance plays provider-upjet-gcp on a Cloud SQL DatabaseInstance:
//   - external name: TemplatedStringAsIdentifier("name", ...) with
//     NameAsExternalName (config/externalname.go
//     "google_sql_database_instance"): the annotation is the instance ID,
//     unique in the project;
//   - what the Cloud SQL API refuses: a shared-core or custom tier on
//     ENTERPRISE_PLUS, the edition it picks for POSTGRES_16 and later when
//     none is set (the CRD's edition field);
//   - late-initialization of everything but maintenance_version
//     (config/namespaced/sql/config.go); edition comes back as ENTERPRISE
//     when the API reports none (flattenEdition);
//   - the DNS names it reports: a GOOGLE_MANAGED_CAS_CA instance's server
//     certificate names its DNS name, not its IP address
//     (cloud-sql-go-connector v1.22.1 internal/cloudsql/instance.go).
func cloudSQLInstance(u *unstructured.Unstructured) string {
	id := nameAsExternalName(u)
	tier := forProviderString(u, "settings", "tier")
	edition := forProviderString(u, "settings", "edition")
	if edition == "" {
		edition = "ENTERPRISE"
		v := strings.TrimPrefix(forProviderString(u, "databaseVersion"), "POSTGRES_")
		if n, err := strconv.Atoi(v); err == nil && n >= 16 {
			edition = "ENTERPRISE_PLUS"
		}
	}
	if edition == "ENTERPRISE_PLUS" && !strings.HasPrefix(tier, "db-perf-optimized-") {
		return fmt.Sprintf("cannot create DatabaseInstance: googleapi: Error 400: Invalid request: Invalid Tier (%s) for (ENTERPRISE_PLUS) Edition., invalid", tier)
	}
	state := atProvider(u)
	state["privateIpAddress"] = "10.20.0.5"
	dns := id + ".europe-west1.sql-psa.goog."
	state["dnsName"] = dns
	state["dnsNames"] = []any{map[string]any{"connectionType": "PRIVATE_SERVICES_ACCESS", "dnsScope": "INSTANCE", "name": dns}}
	state["settings"] = map[string]any{"edition": edition, "tier": tier, "diskSize": forProviderNum(u, "settings", "diskSize")}
	setAtProvider(u, state)
	lateInit(u, edition, "settings", "edition")
	return ""
}

// Flexible Server names: terraform-provider-azurerm
// internal/services/postgres/validate/flexible_server_name.go.
var flexibleServerName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]+[a-z0-9])?$`)

// FlexibleServerTiers are the storage tiers azurerm accepts for each
// storage_mb, the default first (validate/flexible_server_storage_tier.go
// InitializeFlexibleServerStorageTierDefaults).
var FlexibleServerTiers = map[int64][]string{
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

// flexibleServer plays provider-upjet-azure on a Flexible Server:
//   - external name: TemplatedStringAsIdentifier("name", ...) with
//     NameAsExternalName (config/externalname.go
//     "azurerm_postgresql_flexible_server"): the annotation is the server's
//     name, a global DNS name (<name>.postgres.database.azure.com);
//   - azurerm's name validation and the CustomizeDiff of
//     postgresql_flexible_server_resource.go: a storage_tier set in the
//     configuration must be one of the tiers of storage_mb, else "invalid
//     'storage_tier' ... for defined 'storage_mb' size"; an empty one
//     gets the size's default;
//   - late-initialization of everything but ssl_enforcement and
//     storage_profile (config/namespaced/postgresql/config.go): storageTier
//     and storageMb land in the spec.
func flexibleServer(u *unstructured.Unstructured) string {
	name := nameAsExternalName(u)
	if len(name) > 63 || !flexibleServerName.MatchString(name) {
		return fmt.Sprintf("cannot run plan: name %q: must be 1-63 lowercase letters, digits and hyphens, beginning and ending with a letter or digit", name)
	}
	mb := forProviderNum(u, "storageMb")
	if mb == 0 {
		mb = 32768
	}
	tiers := FlexibleServerTiers[mb]
	if len(tiers) == 0 {
		return fmt.Sprintf("cannot run plan: expected storage_mb to be one of the accepted sizes, got %d", mb)
	}
	tier := forProviderString(u, "storageTier")
	if tier == "" {
		tier = tiers[0]
	} else if !slices.Contains(tiers, tier) {
		return fmt.Sprintf("cannot run plan: invalid 'storage_tier' %q for defined 'storage_mb' size '%d', expected one of [%s]", tier, mb, strings.Join(tiers, ", "))
	}
	state := atProvider(u)
	state["storageMb"], state["storageTier"] = mb, tier
	state["fqdn"] = name + ".postgres.database.azure.com"
	state["version"] = forProviderString(u, "version")
	setAtProvider(u, state)
	lateInit(u, mb, "storageMb")
	lateInit(u, tier, "storageTier")
	return ""
}

// FakeStore is the played secret store: every key holds these properties
// (the values a test's application reads).
var FakeStore = map[string]string{"api-key": "fake-store-api-key", "webhook-secret": "fake-store-webhook-secret"}

// ExternalSecret plays the External Secrets Operator on a synced
// ExternalSecret (external-secrets pkg/controllers/externalsecret: markAsDone
// sets Ready=True, reason SecretSynced, "Secret was synced"): its status,
// and the Secret it writes to spec.target.name with every property of the
// store's key (dataFrom extract), owned by the ExternalSecret.
func ExternalSecret(obj map[string]any, now time.Time) (status, secret map[string]any) {
	u := &unstructured.Unstructured{Object: obj}
	target, _, _ := unstructured.NestedString(obj, "spec", "target", "name")
	if target == "" {
		target = u.GetName()
	}
	status = map[string]any{
		"refreshTime": now.UTC().Format(time.RFC3339), "syncedResourceVersion": "1-fake",
		"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "SecretSynced", "message": "Secret was synced",
			"lastTransitionTime": now.UTC().Format(time.RFC3339)}},
	}
	return status, Secret(u.GetNamespace(), target, FakeStore)
}
