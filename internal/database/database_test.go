package database

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/google/go-cmp/cmp"

	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

func meta() objects.Meta {
	return objects.Meta{Names: names.For("shop"), Namespace: "shop", Composite: "shop", Environment: "production", Owner: "team-shop"}
}

func TestCloudNativePGCluster(t *testing.T) {
	observedWith := func(size string) *composed.Unstructured {
		u := composed.New()
		u.Object = map[string]any{"spec": map[string]any{"storage": map[string]any{"size": size}}}
		return u
	}
	cases := map[string]struct {
		size      string
		observed  *composed.Unstructured
		instances int64
		storage   string
		warnings  []string
	}{
		"SmallNew":         {size: "small", instances: 1, storage: "5Gi"},
		"MediumNew":        {size: "medium", instances: 2, storage: "20Gi"},
		"LargeNew":         {size: "large", instances: 3, storage: "100Gi"},
		"GrowKeepsNothing": {size: "large", observed: observedWith("20Gi"), instances: 3, storage: "100Gi"},
		"ShrinkRefused": {size: "small", observed: observedWith("100Gi"), instances: 1, storage: "100Gi",
			warnings: []string{"spec.database.size asks for 5Gi of storage but the database already has 100Gi; storage is never shrunk, so 100Gi is kept"}},
		"ResizedByHandKept": {size: "medium", observed: observedWith("0.5Ti"), instances: 2, storage: "0.5Ti",
			warnings: []string{"spec.database.size asks for 20Gi of storage but the database already has 0.5Ti; storage is never shrunk, so 0.5Ti is kept"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := CloudNativePGCluster(meta(), resolve.Database{Name: "shop", Owner: "shop", Size: tc.size, Version: "17"}, tc.observed)
			if err != nil {
				t.Fatal(err)
			}
			cluster := got.Resources[0].Object
			instances, _ := cluster.GetInteger("spec.instances")
			storage, _ := cluster.GetString("spec.storage.size")
			image, _ := cluster.GetString("spec.imageName")
			db, _ := cluster.GetString("spec.bootstrap.initdb.database")
			type summary struct {
				Instances       int64
				Storage, Image  string
				Database, Owner string
				Warnings        []string
			}
			owner, _ := cluster.GetString("spec.bootstrap.initdb.owner")
			want := summary{tc.instances, tc.storage, "ghcr.io/cloudnative-pg/postgresql:17", "shop", "shop", tc.warnings}
			if diff := cmp.Diff(want, summary{instances, storage, image, db, owner, got.Warnings}); diff != "" {
				t.Errorf("CloudNativePGCluster(...): -want, +got:\n%s", diff)
			}
		})
	}
	if _, err := CloudNativePGCluster(meta(), resolve.Database{Size: "huge"}, nil); err == nil {
		t.Error("CloudNativePGCluster with an unknown size: want an error, got none")
	}
}

// TestREADMESizeTable keeps the README's CloudNativePG size table in step
// with the catalog.
func TestREADMESizeTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]CNPGSize{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 7 {
			continue
		}
		if _, ok := CNPGSizes[cells[0]]; !ok {
			continue
		}
		n, err := strconv.ParseInt(cells[1], 10, 64)
		if err != nil {
			t.Fatalf("README size row %q: %v", line, err)
		}
		got[cells[0]] = CNPGSize{Instances: n, Storage: cells[2], CPURequest: cells[3], MemoryRequest: cells[4], CPULimit: cells[5], MemoryLimit: cells[6]}
	}
	if diff := cmp.Diff(CNPGSizes, got); diff != "" {
		t.Errorf("README size table: -code, +README:\n%s", diff)
	}
}

// TestREADMECloudSizeTables keeps the README's cloud size tables in step
// with the built-in catalogs.
func TestREADMECloudSizeTables(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) == 5 {
			rows[cells[0]+"/"+cells[1]] = cells[2:]
		}
	}
	var want []string
	var got []string
	for _, size := range resolve.Sizes {
		a, g, z := AWSSizes[size], GCPSizes[size], AzureSizes[size]
		want = append(want,
			fmt.Sprintf("%s %d %t %d", a.InstanceClass, a.StorageGiB, a.MultiAZ, a.BackupRetentionDays),
			fmt.Sprintf("%s %d %t %d", g.Tier, g.DiskSizeGB, g.HighAvailability, g.BackupRetentionDays),
			fmt.Sprintf("%s %d %t %d", z.SKUName, z.StorageMB, z.HighAvailability, z.BackupRetentionDays))
		got = append(got,
			strings.Join(append([]string{rowKey(rows, size, a.InstanceClass)}, rows[size+"/"+a.InstanceClass]...), " "),
			strings.Join(append([]string{rowKey(rows, size, g.Tier)}, rows[size+"/"+g.Tier]...), " "),
			strings.Join(append([]string{rowKey(rows, size, z.SKUName)}, rows[size+"/"+z.SKUName]...), " "))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README cloud size tables: -code, +README:\n%s", diff)
	}
}

func rowKey(rows map[string][]string, size, class string) string {
	if _, ok := rows[size+"/"+class]; ok {
		return class
	}
	return "(missing)"
}
