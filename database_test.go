package main

import (
	"encoding/base64"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/internal/database"
)

// mutate returns a copy of an example request with fn applied to the
// observed XR's spec and, optionally, the function Input.
func mutate(t *testing.T, e example, spec func(map[string]any), input func(map[string]any)) *fnv1.RunFunctionRequest {
	t.Helper()
	req := proto.Clone(e.request(t)).(*fnv1.RunFunctionRequest)
	xr := req.GetObserved().GetComposite().GetResource().AsMap()
	spec(xr["spec"].(map[string]any))
	req.Observed.Composite.Resource = toStruct(t, xr)
	if input != nil {
		in := req.GetInput().AsMap()
		input(in)
		req.Input = toStruct(t, in)
	}
	return req
}

func dbSpec(s map[string]any) map[string]any { return s["database"].(map[string]any) }

// databaseResources lists the database resources in desired state.
func databaseResources(rsp *fnv1.RunFunctionResponse) []string {
	var out []string
	for _, n := range sortedNames(rsp.GetDesired().GetResources()) {
		if strings.HasPrefix(n, "database") {
			out = append(out, n)
		}
	}
	return out
}

func valueAt(rsp *fnv1.RunFunctionResponse, resource string, path ...string) any {
	v, _, _ := unstructured.NestedFieldNoCopy(rsp.GetDesired().GetResources()[resource].GetResource().AsMap(), path...)
	return v
}

func messages(rsp *fnv1.RunFunctionResponse, sev fnv1.Severity) []string {
	var out []string
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == sev {
			out = append(out, r.GetMessage())
		}
	}
	return out
}

// TestDangerousDatabaseTransitions walks each change that could destroy a
// database and shows that no database resource leaves desired state, and no
// protection is dropped, without the explicit opt-in.
func TestDangerousDatabaseTransitions(t *testing.T) {
	cnpgReady := exampleOf("xnodeapp", "all-ready")
	awsReady := exampleOf("fullstack-aws", "all-ready")
	claimAWS := exampleOf("nodeapp-claim-aws", "nothing-exists")
	awsInput := func(in map[string]any) {
		in["databases"] = map[string]any{"aws": map[string]any{"region": "eu-west-1", "dbSubnetGroupName": "db", "vpcSecurityGroupIds": []any{"sg-1"}}}
	}
	noDelete := []any{"Observe", "Create", "Update", "LateInitialize"}

	cases := map[string]struct {
		req *fnv1.RunFunctionRequest
		// want lists the database resources in desired state; nil for a
		// Fatal result.
		want     []string
		fatal    string
		check    map[string]any // resource/path (dot separated) -> value
		warnings []string
	}{
		"ProviderSwitchIsRefused": {
			req:   mutate(t, cnpgReady, func(s map[string]any) { dbSpec(s)["provider"] = "aws" }, awsInput),
			fatal: `cannot compose XNodeApp "shop": spec.database.provider: Forbidden: the database already exists on cnpg (Cluster shop-db); changing the provider to aws would delete it with its data.`,
		},
		"ProviderSwitchWithOptInReplaces": {
			req: mutate(t, cnpgReady, func(s map[string]any) {
				dbSpec(s)["provider"] = "aws"
				dbSpec(s)["allowProviderChange"] = true
			}, awsInput),
			// The CloudNativePG Cluster leaves; the connection Secret stays
			// (with the old data) until the new database is reachable.
			want: []string{"database-aws", "database-connection"},
		},
		"SizeDownKeepsStorage": {
			req:      mutate(t, awsReady, func(s map[string]any) { dbSpec(s)["size"] = "small" }, nil),
			want:     []string{"database-aws", "database-connection"},
			check:    map[string]any{"database-aws/spec.forProvider.allocatedStorage": float64(100), "database-aws/spec.forProvider.instanceClass": "db.t4g.micro"},
			warnings: []string{"spec.database.size asks for 20GiB of storage but the database already has 100GiB; storage is never shrunk, so 100GiB is kept"},
		},
		"RenameKeepsTheDatabase": {
			req: mutate(t, awsReady, func(s map[string]any) {
				dbSpec(s)["name"] = "orders_v2"
				dbSpec(s)["owner"] = "orders_v2"
			}, nil),
			want:  []string{"database-aws", "database-connection"},
			check: map[string]any{"database-aws/metadata.name": "orders-db", "database-aws/spec.forProvider.dbName": "orders", "database-aws/spec.forProvider.username": "orders_app"},
			warnings: []string{
				`spec.database.name is "orders_v2" but the database was created as "orders" and cannot be renamed in place; "orders" is kept`,
				`spec.database.owner is "orders_v2" but the role was created as "orders_app" and cannot be renamed in place; "orders_app" is kept`,
			},
		},
		"ProductionToDevelopmentStaysProtected": {
			req:  mutate(t, awsReady, func(s map[string]any) { s["environment"] = "development" }, nil),
			want: []string{"database-aws", "database-connection"},
			check: map[string]any{
				"database-aws/spec.managementPolicies":             noDelete,
				"database-aws/spec.forProvider.deletionProtection": true,
				"database-aws/spec.forProvider.skipFinalSnapshot":  false,
			},
		},
		"ExplicitOptOutDropsProtection": {
			req: mutate(t, awsReady, func(s map[string]any) {
				s["environment"] = "development"
				dbSpec(s)["protection"] = "Disabled"
			}, nil),
			want: []string{"database-aws", "database-connection"},
			check: map[string]any{
				"database-aws/spec.managementPolicies":             []any{"*"},
				"database-aws/spec.forProvider.deletionProtection": false,
				"database-aws/spec.forProvider.skipFinalSnapshot":  true,
			},
		},
		"ProductionSurvivesXRDeletionNamespaced": {
			req:  awsReady.request(t),
			want: []string{"database-aws", "database-connection"},
			check: map[string]any{
				"database-aws/spec.managementPolicies":                  noDelete,
				"database-aws/spec.forProvider.finalSnapshotIdentifier": "orders-orders-db-aafb11de-final",
				"database-aws/spec.forProvider.backupRetentionPeriod":   float64(7),
			},
		},
		"ProductionSurvivesXRDeletionLegacy": {
			req:   claimAWS.request(t),
			want:  []string{"database-aws"},
			check: map[string]any{"database-aws/spec.deletionPolicy": "Orphan", "database-aws/spec.forProvider.deletionProtection": true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := run(t, tc.req)
			if tc.fatal != "" {
				fatal := messages(rsp, fnv1.Severity_SEVERITY_FATAL)
				if len(fatal) != 1 || !strings.HasPrefix(fatal[0], tc.fatal) {
					t.Fatalf("want one fatal result starting %q, got %q", tc.fatal, fatal)
				}
				if len(rsp.GetDesired().GetResources()) != 0 {
					t.Errorf("a fatal result must leave desired state untouched; got %v", sortedNames(rsp.GetDesired().GetResources()))
				}
				return
			}
			if f := messages(rsp, fnv1.Severity_SEVERITY_FATAL); len(f) > 0 {
				t.Fatalf("unexpected fatal result: %v", f)
			}
			if diff := cmp.Diff(tc.want, databaseResources(rsp)); diff != "" {
				t.Errorf("database resources in desired state: -want, +got:\n%s", diff)
			}
			for key, want := range tc.check {
				res, path, _ := strings.Cut(key, "/")
				if diff := cmp.Diff(want, valueAt(rsp, res, strings.Split(path, ".")...)); diff != "" {
					t.Errorf("%s: -want, +got:\n%s", key, diff)
				}
			}
			if diff := cmp.Diff(tc.warnings, messages(rsp, fnv1.Severity_SEVERITY_WARNING)); diff != "" {
				t.Errorf("warnings: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestDatabaseConfigurationErrors covers settings that are missing
// everywhere they can be set: each Fatal names the field and where to set
// it.
func TestDatabaseConfigurationErrors(t *testing.T) {
	aws := exampleOf("fullstack-aws", "nothing-exists")
	gcp := exampleOf("fullstack-gcp", "nothing-exists")
	azure := exampleOf("fullstack-azure", "nothing-exists")
	databases := func(f func(map[string]any)) func(map[string]any) {
		return func(in map[string]any) { f(in["databases"].(map[string]any)) }
	}
	noSeed := gcp.request(t)
	noSeed.Credentials = nil
	cases := map[string]struct {
		req  *fnv1.RunFunctionRequest
		want string
	}{
		"UnknownProvider": {
			req:  mutate(t, aws, func(s map[string]any) { dbSpec(s)["provider"] = "oracle" }, nil),
			want: `cannot compose XNodeApp "orders": spec.database.provider: Unsupported value: "oracle": supported values: "cnpg", "aws", "gcp", "azure"`,
		},
		"NoRegionAnywhere": {
			req:  mutate(t, aws, func(map[string]any) {}, databases(func(d map[string]any) { delete(d["aws"].(map[string]any), "region") })),
			want: `cannot compose XNodeApp "orders": spec.database.region: Required value: set it on the XR, or set it in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input) at databases.aws.region`,
		},
		"NoSubnetGroup": {
			req:  mutate(t, aws, func(map[string]any) {}, databases(func(d map[string]any) { delete(d["aws"].(map[string]any), "dbSubnetGroupName") })),
			want: `cannot compose XNodeApp "orders": input.databases.aws.dbSubnetGroupName: Required value: set it in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input) at databases.aws.dbSubnetGroupName`,
		},
		"NoAWSConfigAtAll": {
			req: mutate(t, aws, func(map[string]any) {}, func(in map[string]any) { delete(in, "databases") }),
			// Every missing setting at once, so one edit of the Composition fixes them.
			want: `cannot compose XNodeApp "orders": spec.database.region: Required value: set it on the XR, or set it in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input) at databases.aws.region; ` +
				`input.databases.aws.dbSubnetGroupName: Required value: set it in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input) at databases.aws.dbSubnetGroupName; ` +
				`input.databases.aws.vpcSecurityGroupIds: Required value: set it in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input) at databases.aws.vpcSecurityGroupIds`,
		},
		"CatalogWithUnknownSizeAndNoStorage": {
			// The Input alone is wrong, whatever the XR asks for.
			req: mutate(t, aws, func(map[string]any) {}, databases(func(d map[string]any) {
				d["aws"].(map[string]any)["sizes"] = map[string]any{
					"medium": map[string]any{"instanceClass": "db.m6g.large"},
					"xl":     map[string]any{"instanceClass": "db.r6g.2xlarge", "storageGiB": 1000},
				}
			})),
			want: `invalid function input in the Composition: databases.aws.sizes[medium].storageGiB: Invalid value: 0: must be greater than 0; ` +
				`databases.aws.sizes[xl]: Unsupported value: "xl": supported values: "small", "medium", "large"`,
		},
		"CatalogSizeWithoutMachine": {
			req: mutate(t, gcp, func(map[string]any) {}, databases(func(d map[string]any) {
				d["gcp"].(map[string]any)["sizes"] = map[string]any{"small": map[string]any{"diskSizeGB": 20}}
			})),
			want: `invalid function input in the Composition: databases.gcp.sizes[small].tier: Required value: every size of a catalog names its machine`,
		},
		"ProviderConfigKind": {
			req: mutate(t, azure, func(map[string]any) {}, databases(func(d map[string]any) {
				d["azure"].(map[string]any)["providerConfig"] = map[string]any{"kind": "ProviderConfigs"}
			})),
			want: `invalid function input in the Composition: databases.azure.providerConfig.kind: Unsupported value: "ProviderConfigs": supported values: "ClusterProviderConfig", "ProviderConfig"`,
		},
		"SizeMissingFromOverride": {
			req: mutate(t, aws, func(map[string]any) {}, databases(func(d map[string]any) {
				d["aws"].(map[string]any)["sizes"] = map[string]any{"small": map[string]any{"instanceClass": "db.t4g.small", "storageGiB": 20}}
			})),
			want: `cannot compose XNodeApp "orders": input.databases.aws.sizes[medium]: Required value: the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input) replace the aws size catalog but have no "medium" size that spec.database.size asks for; add it there`,
		},
		"NoPrivateNetwork": {
			req:  mutate(t, gcp, func(map[string]any) {}, databases(func(d map[string]any) { delete(d["gcp"].(map[string]any), "privateNetwork") })),
			want: `cannot compose XNodeApp "catalog": input.databases.gcp.privateNetwork: Required value: set it in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input) at databases.gcp.privateNetwork`,
		},
		"NoPasswordSeed": {
			req: noSeed,
			want: `cannot compose XNodeApp "catalog": credentials[database-password-seed]: Required value: Cloud SQL users need a password the function supplies: ` +
				`add function credentials named database-password-seed (a Secret with key seed) to the pipeline step in the Composition`,
		},
		"NoAzureSubnet": {
			req:  mutate(t, azure, func(map[string]any) {}, databases(func(d map[string]any) { delete(d["azure"].(map[string]any), "delegatedSubnetId") })),
			want: `cannot compose XNodeApp "billing": input.databases.azure.delegatedSubnetId: Required value: set it in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input) at databases.azure.delegatedSubnetId`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := run(t, tc.req)
			if diff := cmp.Diff([]string{tc.want}, messages(rsp, fnv1.Severity_SEVERITY_FATAL)); diff != "" {
				t.Errorf("fatal results: -want, +got:\n%s", diff)
			}
			if len(rsp.GetDesired().GetResources()) != 0 {
				t.Errorf("a fatal result must leave desired state untouched; got %v", sortedNames(rsp.GetDesired().GetResources()))
			}
		})
	}
}

// TestConnectionContract checks that every provider's connection Secret has
// the same keys, and that a LegacyCluster XR also returns them as its
// connection details.
func TestConnectionContract(t *testing.T) {
	for _, e := range []example{
		exampleOf("xnodeapp", "all-ready"),
		exampleOf("fullstack-aws", "all-ready"),
		exampleOf("fullstack-gcp", "all-ready"),
		exampleOf("fullstack-azure", "all-ready"),
		exampleOf("nodeapp-claim-aws", "all-ready"),
	} {
		t.Run(e.Name, func(t *testing.T) {
			rsp := run(t, e.request(t))
			data, _ := valueAt(rsp, string(database.ResDatabaseConnection), "data").(map[string]any)
			var keys []string
			for k := range data {
				keys = append(keys, k)
			}
			if diff := cmp.Diff(database.ConnectionKeys, keys, cmpSorted); diff != "" {
				t.Errorf("connection Secret keys: -want, +got:\n%s", diff)
			}
			legacy := e.request(t).GetObserved().GetComposite().GetResource().AsMap()["metadata"].(map[string]any)["namespace"] == nil
			cd := rsp.GetDesired().GetComposite().GetConnectionDetails()
			if legacy != (len(cd) == len(database.ConnectionKeys)) {
				t.Errorf("XR connection details: legacy=%v, got %d keys", legacy, len(cd))
			}
		})
	}
}

var cmpSorted = cmp.Transformer("sorted", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

// TestCloudSQLPasswordIsStable shows the password the function supplies is
// derived once and then read back: a rotated seed does not change it.
func TestCloudSQLPasswordIsStable(t *testing.T) {
	first := exampleOf("fullstack-gcp", "nothing-exists")
	later := exampleOf("fullstack-gcp", "all-ready")
	password := func(r *fnv1.RunFunctionRequest) any {
		return valueAt(run(t, r), string(database.ResDatabasePassword), "data", "password")
	}
	derived := password(first.request(t))
	if derived == nil || derived == "" {
		t.Fatal("no password composed on the first call")
	}
	rotated := later.request(t)
	rotated.Credentials[database.PasswordSeedCredential] = &fnv1.Credentials{Source: &fnv1.Credentials_CredentialData{
		CredentialData: &fnv1.CredentialData{Data: map[string][]byte{"seed": []byte("a-new-seed")}}}}
	// all-ready observes the Secret composed on an earlier call.
	want := base64.StdEncoding.EncodeToString([]byte("kept-from-the-first-reconcile-000"))
	if diff := cmp.Diff(want, password(rotated)); diff != "" {
		t.Errorf("password after a seed rotation: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff(derived, password(first.request(t))); diff != "" {
		t.Errorf("the derived password differs between two calls: -want, +got:\n%s", diff)
	}
}
