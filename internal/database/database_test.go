package database

import (
	"testing"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/google/go-cmp/cmp"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

func meta() objects.Meta {
	return objects.Meta{Names: names.For("shop"), Namespace: "shop", Composite: "shop", Environment: "production", Owner: "team-shop"}
}

// TestStorageNeverShrinks composes databases of each provider over an
// observed one and checks the storage sent and the warning.
func TestStorageNeverShrinks(t *testing.T) {
	observed := func(path []string, v any) *composed.Unstructured {
		u := composed.New()
		obj := map[string]any{}
		cur := obj
		for _, p := range path[:len(path)-1] {
			next := map[string]any{}
			cur[p] = next
			cur = next
		}
		cur[path[len(path)-1]] = v
		u.Object = obj
		return u
	}
	cnpg := []string{"spec", "storage", "size"}
	rds := []string{"spec", "forProvider", "allocatedStorage"}
	cloudSQL := []string{"spec", "forProvider", "settings", "diskSize"}
	flexible := []string{"spec", "forProvider", "storageMb"}
	cases := map[string]struct {
		provider string
		size     string
		res      resource.Name
		path     []string
		observed any // nil for a new database
		storage  any
		warnings []string
	}{
		"CNPGSmallNew":         {provider: "cnpg", size: "small", res: ResDatabase, path: cnpg, storage: "5Gi"},
		"CNPGLargeNew":         {provider: "cnpg", size: "large", res: ResDatabase, path: cnpg, storage: "100Gi"},
		"CNPGGrowKeepsNothing": {provider: "cnpg", size: "large", res: ResDatabase, path: cnpg, observed: "20Gi", storage: "100Gi"},
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
			app, errs := resolve.ResolveNodeApp(nodeApp(tc.provider, tc.size), platform, resolve.Composite{Name: "shop"})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			in := Input{Meta: meta(), DB: app.Database, Namespaced: true, Observed: map[resource.Name]*composed.Unstructured{}, PasswordSeed: []byte("seed")}
			in.Meta.Environment = resolve.EnvDevelopment
			if tc.observed != nil {
				in.Observed[tc.res] = observed(tc.path, tc.observed)
			}
			got, err := Compose(in)
			if err != nil {
				t.Fatal(err)
			}
			var storage any
			for _, r := range got.Resources {
				if r.Name == tc.res {
					storage, _ = r.Object.GetValue(joinPath(tc.path))
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
		Ingress:  v1alpha1.Ingress{Enabled: new(bool)},
	}
}
