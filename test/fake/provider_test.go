package fake

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestProvider checks the played providers against the rules their source
// states (see provider.go for the file of each).
func TestProvider(t *testing.T) {
	rds := func(fp map[string]any, at map[string]any) map[string]any {
		o := map[string]any{"kind": "Instance", "metadata": map[string]any{"name": "shop-db", "namespace": "shop"},
			"spec": map[string]any{"managementPolicies": []any{"*"}, "forProvider": fp}}
		if at != nil {
			o["status"] = map[string]any{"atProvider": at}
		}
		return o
	}
	cases := map[string]struct {
		obj     map[string]any
		refused string
		// lateInit is a spec path and the value the provider writes there.
		path []string
		want any
	}{
		"RDSGeneratesAnIdentifier": {obj: rds(map[string]any{"engineVersion": "17", "allocatedStorage": int64(20)}, nil),
			path: []string{"spec", "forProvider", "identifier"}, want: "terraform-" + shortHash("shop/shop-db")},
		"RDSLateInitializesTheParameterGroup": {obj: rds(map[string]any{"engineVersion": "16", "allocatedStorage": int64(20)}, nil),
			path: []string{"spec", "forProvider", "parameterGroupName"}, want: "default.postgres16"},
		"RDSLateInitializesBaselineIOPS": {obj: rds(map[string]any{"engineVersion": "16", "allocatedStorage": int64(20)}, nil),
			path: []string{"spec", "forProvider", "iops"}, want: int64(3000)},
		"RDSNoLateInitWithoutThePolicy": {obj: func() map[string]any {
			o := rds(map[string]any{"engineVersion": "16", "allocatedStorage": int64(20)}, nil)
			o["spec"].(map[string]any)["managementPolicies"] = []any{"Observe", "Create", "Update", "Delete"}
			return o
		}(), path: []string{"spec", "forProvider", "iops"}},
		"RDSIdentifierWithTwoHyphens": {obj: rds(map[string]any{"identifier": "shop--db", "engineVersion": "16"}, nil),
			refused: `cannot run plan: identifier: "shop--db": cannot contain two consecutive hyphens or end with a hyphen`},
		"RDSOldParameterGroupFamily": {obj: rds(map[string]any{"engineVersion": "17", "parameterGroupName": "default.postgres16", "allocatedStorage": int64(20)}, map[string]any{"id": "db-A"}),
			refused: "InvalidParameterCombination: The parameter group default.postgres16 with DBParameterGroupFamily postgres16 can't be used for this instance. Use a parameter group with DBParameterGroupFamily postgres17."},
		"RDSGrowsPast400WithOldIOPS": {obj: rds(map[string]any{"engineVersion": "17", "iops": int64(3000), "allocatedStorage": int64(500)},
			map[string]any{"id": "db-A", "allocatedStorage": int64(100), "iops": int64(3000)}),
			refused: "InvalidParameterCombination: The IOPS 3000 is below the baseline 12000 of gp3 storage of 500 GiB for engine postgres."},
		"RDSGrowsBelow400KeepsIOPSUnsent": {obj: rds(map[string]any{"engineVersion": "17", "iops": int64(3000), "allocatedStorage": int64(200)},
			map[string]any{"id": "db-A", "allocatedStorage": int64(100), "iops": int64(3000)}),
			path: []string{"spec", "forProvider", "iops"}, want: int64(3000)},
		"CloudSQLCustomTierOnPostgres17": {obj: map[string]any{"kind": "DatabaseInstance", "metadata": map[string]any{"name": "db"},
			"spec": map[string]any{"forProvider": map[string]any{"databaseVersion": "POSTGRES_17", "settings": map[string]any{"tier": "db-custom-1-3840"}}}},
			refused: "cannot create DatabaseInstance: googleapi: Error 400: Invalid request: Invalid Tier (db-custom-1-3840) for (ENTERPRISE_PLUS) Edition., invalid"},
		"CloudSQLCustomTierOnPostgres15": {obj: map[string]any{"kind": "DatabaseInstance", "metadata": map[string]any{"name": "db"},
			"spec": map[string]any{"forProvider": map[string]any{"databaseVersion": "POSTGRES_15", "settings": map[string]any{"tier": "db-custom-1-3840"}}}},
			path: []string{"spec", "forProvider", "settings", "edition"}, want: "ENTERPRISE"},
		"FlexibleServerTierLateInitialized": {obj: map[string]any{"kind": "FlexibleServer", "metadata": map[string]any{"name": "billing-db"},
			"spec": map[string]any{"forProvider": map[string]any{"storageMb": int64(65536)}}},
			path: []string{"spec", "forProvider", "storageTier"}, want: "P6"},
		"FlexibleServerTierTooSmall": {obj: map[string]any{"kind": "FlexibleServer", "metadata": map[string]any{"name": "billing-db"},
			"spec": map[string]any{"forProvider": map[string]any{"storageMb": int64(131072), "storageTier": "P4"}}},
			refused: "cannot run plan: invalid 'storage_tier' \"P4\" for defined 'storage_mb' size '131072', expected one of [P10, P15, P20, P30, P40, P50]"},
		"FlexibleServerNameWithUpperCase": {obj: map[string]any{"kind": "FlexibleServer", "metadata": map[string]any{"name": "Billing"},
			"spec": map[string]any{"forProvider": map[string]any{}}},
			refused: `cannot run plan: name "Billing": must be 1-63 lowercase letters, digits and hyphens, beginning and ending with a letter or digit`},
		"ExternalNameKept": {obj: map[string]any{"kind": "FlexibleServer", "metadata": map[string]any{"name": "billing-db", "annotations": map[string]any{ExternalNameAnnotation: "prod-billing"}},
			"spec": map[string]any{"forProvider": map[string]any{}}},
			path: []string{"metadata", "annotations", ExternalNameAnnotation}, want: "prod-billing"},
		"ExternalNameFromName": {obj: map[string]any{"kind": "DatabaseInstance", "metadata": map[string]any{"name": "catalog-db"},
			"spec": map[string]any{"forProvider": map[string]any{"databaseVersion": "POSTGRES_15"}}},
			path: []string{"metadata", "annotations", ExternalNameAnnotation}, want: "catalog-db"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, refused := Provider(tc.obj)
			if diff := cmp.Diff(tc.refused, refused); diff != "" {
				t.Errorf("refused: -want, +got:\n%s", diff)
			}
			if tc.path == nil {
				return
			}
			got, _, _ := unstructured.NestedFieldNoCopy(out, tc.path...)
			if n, ok := got.(float64); ok {
				got = int64(n)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%v: -want, +got:\n%s", tc.path, diff)
			}
		})
	}
}
