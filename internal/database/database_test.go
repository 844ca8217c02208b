package database

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

func meta() objects.Meta {
	return objects.Meta{Names: names.For("shop"), Namespace: "shop", Composite: "shop", Environment: "production", Owner: "team-shop"}
}

// TestStorageNeverShrinks composes databases of each provider over an
// observed one and checks the storage sent and the warning.
func TestStorageNeverShrinks(t *testing.T) {
	cnpg := []string{"spec", "storage", "size"}
	rds := []string{"spec", "forProvider", "allocatedStorage"}
	cloudSQL := []string{"spec", "forProvider", "settings", "diskSize"}
	cloudSQLAt := []string{"status", "atProvider", "settings", "diskSize"}
	flexible := []string{"spec", "forProvider", "storageMb"}
	flexibleAt := []string{"status", "atProvider", "storageMb"}
	cases := map[string]struct {
		provider string
		size     string
		// spec is spec.database.storage.
		spec     string
		res      pipeline.Name
		path     []string
		observed any // nil for a new database
		// grown is what the cloud reports at atPath.
		atPath   []string
		grown    any
		storage  any
		warnings []string
		refused  string
	}{
		"CNPGStorageSetGrowsInPlace": {provider: "cnpg", size: "small", spec: "25Gi", res: ResDatabase, path: cnpg, observed: "10Gi", storage: "25Gi"},
		"CNPGStorageSetBelowRefused": {provider: "cnpg", size: "small", spec: "10Gi", res: ResDatabase, path: cnpg, observed: "25Gi",
			refused: "spec.database.storage: Forbidden: is 10Gi (10Gi) but the database already has 25Gi; storage can only grow: set at least 25Gi"},
		"CNPGStorageSetBelowSizeStorageRefused": {provider: "cnpg", size: "medium", spec: "10Gi", res: ResDatabase, path: cnpg, observed: "20Gi",
			refused: "spec.database.storage: Forbidden: is 10Gi (10Gi) but the database already has 20Gi; storage can only grow: set at least 20Gi"},
		"RDSStorageSetInGiB":  {provider: "aws", size: "small", spec: "25Gi", res: ResDatabaseAWS, path: rds, observed: float64(20), storage: float64(25)},
		"RDSStorageSetRounds": {provider: "aws", size: "small", spec: "20481Mi", res: ResDatabaseAWS, path: rds, storage: float64(21)},
		"RDSStorageSetBelowRefused": {provider: "aws", size: "medium", spec: "50Gi", res: ResDatabaseAWS, path: rds, observed: float64(100),
			refused: "spec.database.storage: Forbidden: is 50Gi (50GiB) but the database already has 100GiB; storage can only grow: set at least 100GiB"},
		"CloudSQLGrownByTheCloudKept": {provider: "gcp", size: "small", res: ResDatabaseGCP, path: cloudSQL, observed: float64(20), atPath: cloudSQLAt, grown: float64(37), storage: float64(37),
			warnings: []string{"the cloud grew the database's storage to 37GB, more than the 20GB asked for; 37GB is kept, since the provider would refuse a smaller size"}},
		"CloudSQLStorageSetBelowGrownKept": {provider: "gcp", size: "small", spec: "25Gi", res: ResDatabaseGCP, path: cloudSQL, observed: float64(25), atPath: cloudSQLAt, grown: float64(30), storage: float64(30),
			warnings: []string{"the cloud grew the database's storage to 30GB, more than the 25GB asked for; 30GB is kept, since the provider would refuse a smaller size"}},
		"CloudSQLStorageSetAboveGrown": {provider: "gcp", size: "small", spec: "50Gi", res: ResDatabaseGCP, path: cloudSQL, observed: float64(25), atPath: cloudSQLAt, grown: float64(30), storage: float64(50)},
		"FlexibleServerGrownByTheCloudKept": {provider: "azure", size: "small", res: ResDatabaseAzure, path: flexible, observed: float64(32768), atPath: flexibleAt, grown: float64(65536), storage: float64(65536),
			warnings: []string{"the cloud grew the database's storage to 65536MB, more than the 32768MB asked for; 65536MB is kept, since the provider would refuse a smaller size"}},
		"FlexibleServerStorageSetNextTier": {provider: "azure", size: "small", spec: "100Gi", res: ResDatabaseAzure, path: flexible, observed: float64(32768), storage: float64(131072)},
		"CNPGSmallNew":                     {provider: "cnpg", size: "small", res: ResDatabase, path: cnpg, storage: "5Gi"},
		"CNPGLargeNew":                     {provider: "cnpg", size: "large", res: ResDatabase, path: cnpg, storage: "100Gi"},
		"CNPGGrowKeepsNothing":             {provider: "cnpg", size: "large", res: ResDatabase, path: cnpg, observed: "20Gi", storage: "100Gi"},
		"CNPGShrinkRefused": {provider: "cnpg", size: "small", res: ResDatabase, path: cnpg, observed: "100Gi", storage: "100Gi",
			warnings: []string{"spec.database.size asks for 5Gi of storage but the database already has 100Gi; storage is never shrunk, so 100Gi is kept"}},
		"CNPGResizedByHandKept": {provider: "cnpg", size: "medium", res: ResDatabase, path: cnpg, observed: "0.5Ti", storage: "0.5Ti",
			warnings: []string{"spec.database.size asks for 20Gi of storage but the database already has 0.5Ti; storage is never shrunk, so 0.5Ti is kept"}},
		"RDSGrow": {provider: "aws", size: "medium", res: ResDatabaseAWS, path: rds, observed: float64(20), storage: float64(100)},
		"RDSShrinkRefused": {provider: "aws", size: "small", res: ResDatabaseAWS, path: rds, observed: float64(100), storage: float64(100),
			warnings: []string{"spec.database.size asks for 20GiB of storage but the database already has 100GiB; storage is never shrunk, so 100GiB is kept"}},
		"CloudSQLShrinkRefused": {provider: "gcp", size: "small", res: ResDatabaseGCP, path: cloudSQL, observed: float64(100), storage: float64(100),
			warnings: []string{"spec.database.size asks for 20GB of storage but the database already has 100GB; storage is never shrunk, so 100GB is kept"}},
		"FlexibleServerShrinkRefused": {provider: "azure", size: "small", res: ResDatabaseAzure, path: flexible, observed: float64(131072), storage: float64(131072),
			warnings: []string{"spec.database.size asks for 32768MB of storage but the database already has 131072MB; storage is never shrunk, so 131072MB is kept"}},
	}
	platform := resolve.Platform{Databases: v1beta1.Databases{
		AWS:   &v1beta1.AWSDatabases{Region: "eu-west-1", DBSubnetGroupName: "db", VPCSecurityGroupIDs: []string{"sg-1"}},
		GCP:   &v1beta1.GCPDatabases{Region: "europe-west1", PrivateNetwork: "projects/p/global/networks/n"},
		Azure: &v1beta1.AzureDatabases{Location: "westeurope", ResourceGroupName: "rg", DelegatedSubnetID: "subnet", PrivateDNSZoneID: "zone"},
	}}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := nodeApp(tc.provider, tc.size)
			spec.Database.Storage = tc.spec
			app, errs := resolve.ResolveNodeApp(spec, platform, resolve.Composite{Name: "shop"})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			in := Request{Meta: meta(), DB: app.Database, Namespaced: true, Observed: map[pipeline.Name]*unstructured.Unstructured{}, PasswordSeed: []byte("seed")}
			in.Meta.Environment = resolve.EnvDevelopment
			if tc.observed != nil {
				o := &unstructured.Unstructured{Object: map[string]any{}}
				set(o.Object, tc.path, tc.observed)
				if tc.grown != nil {
					set(o.Object, tc.atPath, tc.grown)
				}
				in.Observed[tc.res] = o
			}
			got, err := Compose(in)
			if tc.refused != "" {
				if err == nil || err.Error() != tc.refused {
					t.Fatalf("Compose(...): want error %q, got %v", tc.refused, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var storage any
			for _, r := range got.Resources {
				if r.Name == tc.res {
					storage, _ = pipeline.Value(r.Unstructured().Object, joinPath(tc.path))
				}
			}
			if diff := cmp.Diff(tc.storage, storage); diff != "" {
				t.Errorf("storage: -want, +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.warnings, got.Warnings); diff != "" {
				t.Errorf("warnings: -want, +got:\n%s", diff)
			}
		})
	}
}

// set sets a nested value, creating the maps on the way.
func set(obj map[string]any, path []string, v any) {
	cur := obj
	for _, p := range path[:len(path)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = v
}

// TestMajorVersionUpgrade composes a cloud database whose observed major
// version is lower than the one asked for: RDS is told a major upgrade is
// meant (allowMajorVersionUpgrade), a Flexible Server is upgraded in place
// (createMode Update), and both keep the setting once the upgrade is done.
func TestMajorVersionUpgrade(t *testing.T) {
	platform := resolve.Platform{Databases: v1beta1.Databases{
		AWS:   &v1beta1.AWSDatabases{Region: "eu-west-1", DBSubnetGroupName: "db", VPCSecurityGroupIDs: []string{"sg-1"}},
		Azure: &v1beta1.AzureDatabases{Location: "westeurope", ResourceGroupName: "rg", DelegatedSubnetID: "subnet", PrivateDNSZoneID: "zone"},
	}}
	cases := map[string]struct {
		provider string
		res      pipeline.Name
		observed map[string]any // path (dots) -> value; nil for a new database
		path     string
		want     any
	}{
		"RDSNew":                {provider: "aws", res: ResDatabaseAWS, path: "spec.forProvider.allowMajorVersionUpgrade", want: nil},
		"RDSSameMajor":          {provider: "aws", res: ResDatabaseAWS, observed: map[string]any{"status.atProvider.engineVersionActual": "17.2"}, path: "spec.forProvider.allowMajorVersionUpgrade", want: nil},
		"RDSMajorUpgrade":       {provider: "aws", res: ResDatabaseAWS, observed: map[string]any{"status.atProvider.engineVersionActual": "16.4"}, path: "spec.forProvider.allowMajorVersionUpgrade", want: true},
		"RDSFallsBackToVersion": {provider: "aws", res: ResDatabaseAWS, observed: map[string]any{"status.atProvider.engineVersion": "15"}, path: "spec.forProvider.allowMajorVersionUpgrade", want: true},
		"RDSKeptAfterUpgrade": {provider: "aws", res: ResDatabaseAWS, observed: map[string]any{"status.atProvider.engineVersionActual": "17.1", "spec.forProvider.allowMajorVersionUpgrade": true},
			path: "spec.forProvider.allowMajorVersionUpgrade", want: true},
		"FlexibleServerNew":          {provider: "azure", res: ResDatabaseAzure, path: "spec.forProvider.createMode", want: nil},
		"FlexibleServerMajorUpgrade": {provider: "azure", res: ResDatabaseAzure, observed: map[string]any{"status.atProvider.version": "16"}, path: "spec.forProvider.createMode", want: "Update"},
		"FlexibleServerKeptAfterUpgrade": {provider: "azure", res: ResDatabaseAzure, observed: map[string]any{"status.atProvider.version": "17", "spec.forProvider.createMode": "Update"},
			path: "spec.forProvider.createMode", want: "Update"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := nodeApp(tc.provider, "small")
			spec.Database.Version = "17"
			app, errs := resolve.ResolveNodeApp(spec, platform, resolve.Composite{Name: "shop"})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			in := Request{Meta: meta(), DB: app.Database, Namespaced: true, Observed: map[pipeline.Name]*unstructured.Unstructured{}}
			if tc.observed != nil {
				o := &unstructured.Unstructured{Object: map[string]any{}}
				for p, v := range tc.observed {
					set(o.Object, strings.Split(p, "."), v)
				}
				in.Observed[tc.res] = o
			}
			got, err := Compose(in)
			if err != nil {
				t.Fatal(err)
			}
			var value any
			for _, r := range got.Resources {
				if r.Name == tc.res {
					value, _ = pipeline.Value(r.Unstructured().Object, tc.path)
				}
			}
			if diff := cmp.Diff(tc.want, value); diff != "" {
				t.Errorf("%s: -want, +got:\n%s", tc.path, diff)
			}
		})
	}
}

func joinPath(p []string) string {
	out := p[0]
	for _, s := range p[1:] {
		out += "." + s
	}
	return out
}

// nodeApp is a valid XNodeApp spec with a database of that provider and
// size.
func nodeApp(provider, size string) v1alpha1.XNodeAppSpec {
	return v1alpha1.XNodeAppSpec{
		Owner:    "team-shop",
		Frontend: v1alpha1.Frontend{Container: v1alpha1.Container{Image: "ghcr.io/acme/web:1"}},
		Backend:  v1alpha1.Backend{Container: v1alpha1.Container{Image: "ghcr.io/acme/api:1"}},
		Database: v1alpha1.NodeAppDatabase{Database: v1alpha1.Database{Provider: provider}, Size: size},
		Ingress:  v1alpha1.Ingress{Mode: v1alpha1.SwitchDisabled},
	}
}
