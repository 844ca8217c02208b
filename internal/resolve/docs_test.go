package resolve

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDocsSizeTable keeps the CloudNativePG size table of
// docs/databases.md in step with the catalog.
func TestDocsSizeTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/databases.md")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]CNPGSize{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 7 {
			continue
		}
		if _, ok := cnpgSizes[cells[0]]; !ok {
			continue
		}
		n, err := strconv.ParseInt(cells[1], 10, 64)
		if err != nil {
			t.Fatalf("docs/databases.md size row %q: %v", line, err)
		}
		got[cells[0]] = CNPGSize{Instances: n, Storage: cells[2], CPURequest: cells[3], MemoryRequest: cells[4], CPULimit: cells[5], MemoryLimit: cells[6]}
	}
	if diff := cmp.Diff(cnpgSizes, got); diff != "" {
		t.Errorf("docs/databases.md size table: -code, +docs:\n%s", diff)
	}
}

// TestDocsCloudSizeTables keeps the cloud size tables of
// docs/databases.md in step with the built-in catalogs.
func TestDocsCloudSizeTables(t *testing.T) {
	b, err := os.ReadFile("../../docs/databases.md")
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
	for _, size := range sizes {
		a, g, z := awsSizes[size], gcpSizes[size], azureSizes[size]
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
		t.Errorf("docs/databases.md cloud size tables: -code, +docs:\n%s", diff)
	}
}

func rowKey(rows map[string][]string, size, class string) string {
	if _, ok := rows[size+"/"+class]; ok {
		return class
	}
	return "(missing)"
}
