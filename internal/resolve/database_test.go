package resolve

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
)

// TestResolveCloudDatabase shows where a cloud database's size, region and
// provider config come from: the XR, the Input, the built-in catalog.
func TestResolveCloudDatabase(t *testing.T) {
	aws := &v1beta1.AWSDatabases{Region: "eu-west-1", DBSubnetGroupName: "apps", VPCSecurityGroupIDs: []string{"sg-1"}}
	cases := map[string]struct {
		db        v1alpha1.Database
		size      string
		databases v1beta1.Databases
		want      Database
	}{
		"AWSFromInputAndBuiltInCatalog": {
			db:        v1alpha1.Database{Provider: "aws"},
			size:      "large",
			databases: v1beta1.Databases{AWS: aws},
			want: Database{Name: "app", Owner: "app", Size: "large", Engine: "postgres", Version: "17", Provider: "aws", Region: "eu-west-1", Protection: "Default",
				CABundle: CABundle{ConfigMap: "rds-ca-bundle", Key: "ca.crt"},
				AWS: &AWSDatabase{
					AWSSize:           v1beta1.AWSSize{InstanceClass: "db.r6g.xlarge", StorageGiB: 500, MultiAZ: true, BackupRetentionDays: 14},
					DBSubnetGroupName: "apps", VPCSecurityGroupIDs: []string{"sg-1"},
					ProviderConfig: ProviderConfig{Name: "default", Kind: "ClusterProviderConfig"},
				}},
		},
		"XRRegionWinsAndInputCatalogReplacesBuiltIn": {
			db:   v1alpha1.Database{Provider: "gcp", Region: "us-central1"},
			size: "small",
			databases: v1beta1.Databases{GCP: &v1beta1.GCPDatabases{
				Region: "europe-west1", PrivateNetwork: "projects/p/global/networks/apps",
				ProviderConfig: v1beta1.ProviderConfig{Name: "gcp-prod", Kind: "ProviderConfig"},
				Sizes:          map[string]v1beta1.GCPSize{"small": {Tier: "db-f1-micro", DiskSizeGB: 10}},
			}},
			want: Database{Name: "app", Owner: "app", Size: "small", Engine: "postgres", Version: "17", Provider: "gcp", Region: "us-central1", Protection: "Default",
				CABundle: CABundle{ConfigMap: "cloudsql-ca-bundle", Key: "ca.crt"},
				GCP: &GCPDatabase{
					GCPSize:        v1beta1.GCPSize{Tier: "db-f1-micro", DiskSizeGB: 10},
					PrivateNetwork: "projects/p/global/networks/apps",
					ProviderConfig: ProviderConfig{Name: "gcp-prod", Kind: "ProviderConfig"},
				}},
		},
		"AzureLocationFromInput": {
			db:   v1alpha1.Database{Provider: "azure"},
			size: "medium",
			databases: v1beta1.Databases{Azure: &v1beta1.AzureDatabases{
				Location: "westeurope", ResourceGroupName: "apps", DelegatedSubnetID: "subnet", PrivateDNSZoneID: "zone",
				CABundle: &v1beta1.CABundle{ConfigMapName: "digicert-roots"},
			}},
			want: Database{Name: "app", Owner: "app", Size: "medium", Engine: "postgres", Version: "17", Provider: "azure", Region: "westeurope", Protection: "Default",
				CABundle: CABundle{ConfigMap: "digicert-roots", Key: "ca.crt"},
				Azure: &AzureDatabase{
					AzureSize:         v1beta1.AzureSize{SKUName: "GP_Standard_D2ds_v5", StorageMB: 131072, BackupRetentionDays: 7},
					ResourceGroupName: "apps", DelegatedSubnetID: "subnet", PrivateDNSZoneID: "zone",
					ProviderConfig: ProviderConfig{Name: "default", Kind: "ClusterProviderConfig"},
				}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := minimal()
			in.Database = v1alpha1.NodeAppDatabase{Database: tc.db, Size: tc.size}
			got, errs := ResolveNodeApp(in, Platform{Databases: tc.databases}, Composite{Name: "shop"})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if diff := cmp.Diff(tc.want, got.Database); diff != "" {
				t.Errorf("ResolveNodeApp(...).Database: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestMigrationFromAForm shows a migration without a command, as a
// generated form may send it, is no migration; one with a command gets the
// default timeout.
func TestMigrationFromAForm(t *testing.T) {
	cases := map[string]struct {
		in   *v1alpha1.Migration
		want *Migration
	}{
		"None":           {in: nil, want: nil},
		"EmptyFromAForm": {in: &v1alpha1.Migration{}, want: nil},
		"EmptyCommand":   {in: &v1alpha1.Migration{Command: []string{}}, want: nil},
		"CommandWithDefaultTimeout": {in: &v1alpha1.Migration{Command: []string{"npm", "run", "migrate"}},
			want: &Migration{Command: []string{"npm", "run", "migrate"}, TimeoutSeconds: 600}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := minimal()
			in.Database.Migration = tc.in
			got, errs := ResolveNodeApp(in, Platform{}, Composite{Name: "shop"})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if diff := cmp.Diff(tc.want, got.Database.Migration); diff != "" {
				t.Errorf("Migration: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestCABundleInput shows which ConfigMap names and keys the Input takes
// for a CA bundle: the API server's rules, 253 characters at most.
func TestCABundleInput(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	nameErr := "must be a ConfigMap name: at most 253 lower-case letters, digits, - and ., starting and ending with a letter or digit"
	keyErr := "must be a ConfigMap key: at most 253 letters, digits, -, _ and ."
	cases := map[string]struct {
		ca   v1beta1.CABundle
		want field.ErrorList
	}{
		"Defaults":             {ca: v1beta1.CABundle{}},
		"Name and key":         {ca: v1beta1.CABundle{ConfigMapName: "digicert-roots.v2", Key: "Root_CA-1.pem"}},
		"253 characters each":  {ca: v1beta1.CABundle{ConfigMapName: long(253), Key: long(253)}},
		"One character each":   {ca: v1beta1.CABundle{ConfigMapName: "a", Key: "."}},
		"Name of 254":          {ca: v1beta1.CABundle{ConfigMapName: long(254)}, want: field.ErrorList{field.Invalid(field.NewPath("databases", "gcp", "caBundle", "configMapName"), long(254), nameErr)}},
		"Name ends with a dot": {ca: v1beta1.CABundle{ConfigMapName: "roots."}, want: field.ErrorList{field.Invalid(field.NewPath("databases", "gcp", "caBundle", "configMapName"), "roots.", nameErr)}},
		"Name in upper case":   {ca: v1beta1.CABundle{ConfigMapName: "Roots"}, want: field.ErrorList{field.Invalid(field.NewPath("databases", "gcp", "caBundle", "configMapName"), "Roots", nameErr)}},
		"Key of 254":           {ca: v1beta1.CABundle{Key: long(254)}, want: field.ErrorList{field.Invalid(field.NewPath("databases", "gcp", "caBundle", "key"), long(254), keyErr)}},
		"Key with a slash":     {ca: v1beta1.CABundle{Key: "certs/ca.crt"}, want: field.ErrorList{field.Invalid(field.NewPath("databases", "gcp", "caBundle", "key"), "certs/ca.crt", keyErr)}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ca := tc.ca
			got := databasesInput(&v1beta1.Databases{GCP: &v1beta1.GCPDatabases{CABundle: &ca}})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("databasesInput(...): -want, +got:\n%s", diff)
			}
		})
	}
}
