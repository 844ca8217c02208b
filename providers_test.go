package main

import (
	"path/filepath"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/internal/database"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/test/fake"
)

// The tests in this file compose cloud databases between RunFunction calls
// with the providers played from their source (test/fake/provider.go: the
// external name each provider takes, the fields it late-initializes, the
// validations of its Terraform provider and the refusals of the cloud API).

// cloudWorld is a world for a cloud example's XR, renamed into namespace,
// with the platform's CA bundles in that namespace.
func cloudWorld(t *testing.T, ex, namespace string, spec func(map[string]any)) *world {
	t.Helper()
	e := exampleOf(ex, "nothing-exists")
	req := e.request(t)
	xr := req.GetObserved().GetComposite().GetResource().AsMap()
	xr["metadata"].(map[string]any)["namespace"] = namespace
	if spec != nil {
		spec(xr["spec"].(map[string]any))
	}
	w := &world{t: t, xr: xr, input: req.GetInput(), context: req.GetContext(), credentials: req.GetCredentials(), cluster: map[string]map[string]any{}}
	for _, o := range readDocs(t, filepath.Join(e.Dir, "required", "all-ready.yaml")) {
		if o.GetKind() == "ConfigMap" {
			o.SetNamespace(namespace)
			w.cluster[namespace+"/"+o.GetName()] = o.Object
		}
	}
	return w
}

// converge reconciles and plays the controllers until the XR is Ready, and
// fails with what holds it back otherwise.
func (w *world) converge() {
	w.t.Helper()
	var rsp *fnv1.RunFunctionResponse
	for range 6 {
		rsp = w.reconcile()
		if c := readyCondition(rsp); c.GetStatus() == fnv1.Status_STATUS_CONDITION_TRUE {
			return
		}
		w.report()
	}
	w.t.Fatalf("not Ready: %s", readyCondition(rsp).GetMessage())
}

// instanceResource is the resource of each cloud example whose name is the
// cloud instance's.
var instanceResource = map[string]pipeline.Name{
	"fullstack-aws":   database.ResDatabaseAWS,
	"fullstack-gcp":   database.ResDatabaseGCP,
	"fullstack-azure": database.ResDatabaseAzure,
}

// cloudNames are the names a database takes in its cloud account, as the
// played provider leaves them: the instance's (RDS identifier, Cloud SQL
// instance ID, Flexible Server name) and, for RDS, the final snapshot's.
func cloudNames(w *world, ex string) []string {
	o := &unstructured.Unstructured{Object: w.observed[string(instanceResource[ex])]}
	if ex == "fullstack-aws" {
		return []string{
			"identifier " + pipeline.String(o.Object, "status.atProvider.identifier"),
			"snapshot " + pipeline.String(o.Object, "spec.forProvider.finalSnapshotIdentifier"),
		}
	}
	return []string{"instance " + o.GetAnnotations()[fake.ExternalNameAnnotation]}
}

// TestCloudDatabasesAcrossNamespaces composes one app name in three
// namespaces (one per environment, as example/gitops does) on each cloud
// provider and checks that no two share a cloud name: the second managed
// resource would otherwise take over the first's instance, and deleting
// the development XR would delete what production uses. Long namespaces
// and names still give names each provider accepts (the played provider
// refuses them otherwise).
func TestCloudDatabasesAcrossNamespaces(t *testing.T) {
	long := strings.Repeat("environment-", 5) + "prod"
	protected := func(s map[string]any) { dbSpec(s)["protection"] = "Enabled" }
	for _, ex := range []string{"fullstack-aws", "fullstack-gcp", "fullstack-azure"} {
		t.Run(ex, func(t *testing.T) {
			owner := map[string]string{}
			for _, ns := range []string{"shop-dev", "shop-staging", "shop-prod", long, "1st-env"} {
				w := cloudWorld(t, ex, ns, protected)
				w.converge()
				for _, n := range cloudNames(w, ex) {
					if prev, ok := owner[n]; ok {
						t.Errorf("namespace %s: %s is namespace %s's too", ns, n, prev)
					}
					owner[n] = ns
				}
			}
			t.Logf("%v", owner)
		})
	}
}

// externalName stands for the crossplane.io/external-name annotation in a
// test's path.
const externalName = "external-name"

// TestCloudDatabaseKeepsItsName shows that a database created before
// external names were composed keeps the name it has: a new name would
// make the provider create a second instance and lose track of the first.
func TestCloudDatabaseKeepsItsName(t *testing.T) {
	cases := map[string]struct {
		example string
		// existing is the instance as an earlier version composed it and
		// the provider left it.
		existing map[string]any
		path     string
		want     any
	}{
		"CloudSQLAnnotation": {example: "fullstack-gcp", path: externalName, want: "shop-db",
			existing: map[string]any{"metadata": map[string]any{"name": "shop-db", "annotations": map[string]any{fake.ExternalNameAnnotation: "shop-db"}}}},
		"CloudSQLNotInitializedYet": {example: "fullstack-gcp", path: externalName, want: "shop-db",
			existing: map[string]any{"metadata": map[string]any{"name": "shop-db"}}},
		"FlexibleServerAnnotation": {example: "fullstack-azure", path: externalName, want: "shop-db",
			existing: map[string]any{"metadata": map[string]any{"name": "shop-db", "annotations": map[string]any{fake.ExternalNameAnnotation: "shop-db"}}}},
		"RDSGeneratedIdentifier": {example: "fullstack-aws", path: "spec.forProvider.identifier", want: "terraform-20240101",
			existing: map[string]any{"metadata": map[string]any{"name": "shop-db", "annotations": map[string]any{fake.ExternalNameAnnotation: "db-ABC"}},
				"spec": map[string]any{"forProvider": map[string]any{"identifier": "terraform-20240101"}}}},
		// Not late-initialized yet: the provider keeps what Terraform
		// generated; the function sends none.
		"RDSNotLateInitializedYet": {example: "fullstack-aws", path: "spec.forProvider.identifier", want: nil,
			existing: map[string]any{"metadata": map[string]any{"name": "shop-db"}}},
		"RDSNew":            {example: "fullstack-aws", path: "spec.forProvider.identifier", want: "shop-prod-shop-db-68df0045"},
		"CloudSQLNew":       {example: "fullstack-gcp", path: externalName, want: "shop-prod-shop-db-68df0045"},
		"FlexibleServerNew": {example: "fullstack-azure", path: externalName, want: "shop-prod-shop-db-68df0045"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := cloudWorld(t, tc.example, "shop-prod", func(s map[string]any) {})
			w.xr["metadata"].(map[string]any)["name"] = "shop"
			if tc.existing != nil {
				w.observed = map[string]map[string]any{string(instanceResource[tc.example]): tc.existing}
			}
			rsp := w.reconcile()
			desired := &unstructured.Unstructured{Object: rsp.GetDesired().GetResources()[string(instanceResource[tc.example])].GetResource().AsMap()}
			var got any
			if tc.path == externalName {
				if n, ok := desired.GetAnnotations()[fake.ExternalNameAnnotation]; ok {
					got = n
				}
			} else {
				got, _ = pipeline.Value(desired.Object, tc.path)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: -want, +got:\n%s", tc.path, diff)
			}
		})
	}
}

// TestCloudDatabaseChangesOnPlayedProviders makes the day-2 changes a team
// makes to a running cloud database and checks that the played provider
// takes the result (Synced), where the fields it late-initialized after
// creation would otherwise make Terraform or the cloud refuse it.
func TestCloudDatabaseChangesOnPlayedProviders(t *testing.T) {
	cases := map[string]struct {
		example string
		// create is applied to the spec before the database is created,
		// change after it is Ready.
		create, change func(map[string]any)
		path           string
		want           any
	}{
		// A Flexible Server's late-initialized storageTier P4 does not fit
		// 128 GiB: azurerm's CustomizeDiff refuses the pair.
		"FlexibleServerSmallToMedium": {example: "fullstack-azure",
			change: func(s map[string]any) { dbSpec(s)["size"] = "medium" },
			path:   "spec.forProvider.storageTier", want: "P10"},
		"FlexibleServerStorageSet": {example: "fullstack-azure",
			change: func(s map[string]any) { dbSpec(s)["storage"] = "200Gi" },
			path:   "spec.forProvider.storageTier", want: "P15"},
		// RDS late-initializes iops 3000 below 400 GiB; growing past it
		// sends them with the new size, under the 12000 baseline.
		"RDSGrowsPast400GiB": {example: "fullstack-aws",
			change: func(s map[string]any) { dbSpec(s)["storage"] = "500Gi" },
			path:   "spec.forProvider.iops", want: float64(12000)},
		// RDS late-initializes parameterGroupName default.postgres16; a
		// major upgrade with it is refused.
		"RDSMajorUpgrade": {example: "fullstack-aws",
			create: func(s map[string]any) { dbSpec(s)["version"] = "16" },
			change: func(s map[string]any) { dbSpec(s)["version"] = "17" },
			path:   "spec.forProvider.parameterGroupName", want: "default.postgres17"},
		// Cloud SQL picks ENTERPRISE_PLUS for PostgreSQL 16 and later,
		// which refuses custom tiers: without an edition no instance is
		// ever created.
		"CloudSQLDefaults": {example: "fullstack-gcp",
			path: "spec.forProvider.settings.edition", want: "ENTERPRISE"},
		"CloudSQLResize": {example: "fullstack-gcp",
			change: func(s map[string]any) { dbSpec(s)["size"] = "medium" },
			path:   "spec.forProvider.settings.edition", want: "ENTERPRISE"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := cloudWorld(t, tc.example, "shop-prod", tc.create)
			w.converge()
			if tc.change != nil {
				tc.change(w.xr["spec"].(map[string]any))
				w.converge()
			}
			o := w.observed[string(instanceResource[tc.example])]
			if s, msg := conditionOf(o, "Synced"); s != "True" {
				t.Fatalf("Synced=%s: %s", s, msg)
			}
			got, _ := pipeline.Value(o, tc.path)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: -want, +got:\n%s", tc.path, diff)
			}
		})
	}
}

// conditionOf is the status and message of a condition of an object.
func conditionOf(o map[string]any, typ string) (string, string) {
	cs, _, _ := unstructured.NestedSlice(o, "status", "conditions")
	for _, c := range cs {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			msg, _ := m["message"].(string)
			return s, msg
		}
	}
	return "", ""
}

// TestCloudSQLHostIsItsDNSName checks the host clients verify a Cloud SQL
// instance by: its DNS name, which a GOOGLE_MANAGED_CAS_CA server
// certificate carries, not its private IP, which it does not
// (cloud-sql-go-connector v1.22.1 internal/cloudsql/instance.go), so
// sslmode=verify-full against the IP would fail the name check.
func TestCloudSQLHostIsItsDNSName(t *testing.T) {
	w := cloudWorld(t, "fullstack-gcp", "shop-prod", nil)
	w.converge()
	instance := w.observed[string(database.ResDatabaseGCP)]
	want := pipeline.String(instance, "status.atProvider.dnsName")
	if want == "" {
		t.Fatalf("the played instance reports no DNS name: %v", instance["status"])
	}
	if got := pipeline.String(instance, "spec.forProvider.settings.ipConfiguration.serverCaMode"); got != "GOOGLE_MANAGED_CAS_CA" {
		t.Errorf("serverCaMode %q, want GOOGLE_MANAGED_CAS_CA (whose certificates name the DNS name)", got)
	}
	got := string(database.SecretData(w.observed[string(database.ResDatabaseConnection)])[database.KeyHost])
	if got != want {
		t.Errorf("connection host %q, want the instance's DNS name %q (not %s)", got, want, pipeline.String(instance, "status.atProvider.privateIpAddress"))
	}
}
