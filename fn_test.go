package main

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

func run(t testing.TB, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	f := &Function{log: logging.NewNopLogger()}
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("RunFunction returned an error; it must report problems as results: %v", err)
	}
	return rsp
}

// TestExamplesMatchGolden runs the function on every example scenario and
// compares what it composes with the committed render of the real Crossplane
// CLI (example/*/golden, rewritten by `make render-update`), so a change in
// output fails here in seconds, before `make render` runs.
func TestExamplesMatchGolden(t *testing.T) {
	for _, e := range examples(t) {
		t.Run(e.Name+"/"+e.Scenario, func(t *testing.T) {
			rsp := run(t, e.request(t))
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
					t.Fatalf("fatal result: %s", r.GetMessage())
				}
			}
			wantXR, wantComposed := e.golden(t)

			gotComposed := map[resource.Name]map[string]any{}
			for name, r := range rsp.GetDesired().GetResources() {
				gotComposed[resource.Name(name)] = r.GetResource().AsMap()
			}
			if diff := cmp.Diff(wantComposed, gotComposed); diff != "" {
				t.Errorf("composed resources differ from the golden render: -want, +got:\n%s", diff)
			}

			wantStatus, _, _ := unstructured.NestedMap(wantXR.Object, "status")
			delete(wantStatus, "conditions")
			delete(wantStatus, "claimConditionTypes")
			gotStatus, _ := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
			if diff := cmp.Diff(wantStatus, gotStatus); diff != "" {
				t.Errorf("XR status differs from the golden render: -want, +got:\n%s", diff)
			}

			// The conditions this function sets, in the order it sets them.
			byType := map[string]*fnv1.Condition{}
			conds, _, _ := unstructured.NestedSlice(wantXR.Object, "status", "conditions")
			for _, c := range conds {
				m := c.(map[string]any)
				st := fnv1.Status_STATUS_CONDITION_FALSE
				if m["status"] == "True" {
					st = fnv1.Status_STATUS_CONDITION_TRUE
				}
				msg, _ := m["message"].(string)
				typ, _ := m["type"].(string)
				byType[typ] = &fnv1.Condition{Type: typ, Status: st, Reason: m["reason"].(string), Message: &msg, Target: fnv1.Target_TARGET_COMPOSITE_AND_CLAIM.Enum()}
			}
			var wantConds []*fnv1.Condition
			for _, typ := range []string{ConditionResourcesReady, ConditionMigrated, ConditionDelivered} {
				if c, ok := byType[typ]; ok {
					wantConds = append(wantConds, c)
				}
			}
			if diff := cmp.Diff(wantConds, rsp.GetConditions(), protocmp.Transform()); diff != "" {
				t.Errorf("conditions differ from the golden render: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestDeterministic asserts that the same request gives byte-identical
// responses, whatever order Go ranges over maps in.
func TestDeterministic(t *testing.T) {
	for _, e := range examples(t) {
		t.Run(e.Name+"/"+e.Scenario, func(t *testing.T) {
			req := e.request(t)
			opts := proto.MarshalOptions{Deterministic: true}
			first, err := opts.Marshal(run(t, req))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 20 {
				again, err := opts.Marshal(run(t, proto.Clone(req).(*fnv1.RunFunctionRequest)))
				if err != nil {
					t.Fatal(err)
				}
				if string(again) != string(first) {
					t.Fatalf("run %d gave a different response for the same request", i+2)
				}
			}
		})
	}
}

func mustStruct(t *testing.T, yamlDoc string) *structpb.Struct {
	t.Helper()
	return toStruct(t, readYAML(t, yamlDoc))
}

// TestRunFunctionFatal covers input the function must refuse: each gives one
// Fatal result that names the field and the allowed values, and the desired
// state the function received goes back untouched.
func TestRunFunctionFatal(t *testing.T) {
	earlier := map[string]*fnv1.Resource{"from-an-earlier-step": {Resource: mustStruct(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}")}}
	cases := map[string]struct {
		xr      string
		input   string
		context string
		want    string
	}{
		"EnvironmentDomainInvalid": {
			xr:      nodeApp(`ingress: {host: ""}`),
			input:   "apiVersion: fullstack.fn.crossplane.io/v1beta1\nkind: Input\ndomain: apps.example.com",
			context: `{apiextensions.crossplane.io/environment: {fullstack: {domain: Apps_Example.com}}}`,
			want: `invalid platform settings (the Composition's function input merged with the EnvironmentConfigs' "fullstack" data): domain: Invalid value: "Apps_Example.com": ` +
				validation.IsDNS1123Subdomain("Apps_Example.com")[0],
		},
		"UnsupportedKind": {
			xr:   "apiVersion: platform.fullstack.io/v1alpha1\nkind: XDatabase\nmetadata: {name: a, namespace: b}\nspec: {}",
			want: `kind: Unsupported value: "XDatabase": supported values: "XFullStackService", "XNodeApp"`,
		},
		"UnknownSize": {
			xr:   nodeApp(`database: {size: huge}`),
			want: `cannot compose XNodeApp "shop": spec.database.size: Unsupported value: "huge": supported values: "small", "medium", "large"`,
		},
		"BadImageAndPort": {
			xr: nodeApp(`frontend: {image: "Not An Image", port: 70000}`),
			want: `cannot compose XNodeApp "shop": spec.frontend.image: Invalid value: "Not An Image": must be a container image reference: ` +
				`[registry[:port]/]repository[:tag][@sha256:digest], lower-case repository; spec.frontend.port: Invalid value: 70000: must be between 1 and 65535, inclusive`,
		},
		"PortOfWrongType": {
			xr:   nodeApp(`backend: {image: ghcr.io/acme/api:1, port: "http"}`),
			want: `cannot compose XNodeApp "shop": spec.backend.port: Invalid value: "string": must be of type integer`,
		},
		"HostNotADNSName": {
			xr: nodeApp(`ingress: {host: "Shop_Example.com"}`),
			want: `cannot compose XNodeApp "shop": spec.ingress.host: Invalid value: "Shop_Example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', ` +
				`and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
		},
		"HostMissing": {
			xr:   nodeApp(`ingress: {host: ""}`),
			want: `cannot compose XNodeApp "shop": spec.ingress.host: Required value: a DNS name such as shop.example.com, or set spec.ingress.mode to Disabled, or a domain in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input)`,
		},
		"DatabaseNameTooLong": {
			xr: nodeApp(`database: {name: a_database_name_that_is_far_too_long_for_postgres_to_accept_as_an_identifier}`),
			want: `cannot compose XNodeApp "shop": spec.database.name: Invalid value: "a_database_name_that_is_far_too_long_for_postgres_to_accept_as_an_identifier": ` +
				`must be a PostgreSQL identifier: lower-case letters, digits and _, starting with a letter or _, at most 63 characters`,
		},
		"ReservedEnv": {
			xr:   nodeApp(`backend: {image: ghcr.io/acme/api:1, env: [{name: DATABASE_URL, value: postgres://x}]}`),
			want: `cannot compose XNodeApp "shop": spec.backend.env[0].name: Forbidden: DATABASE_URL is set by the platform; reserved names: API_URL, DATABASE_HOST, DATABASE_JDBC_URL, DATABASE_NAME, DATABASE_PASSWORD, DATABASE_PORT, DATABASE_SSLMODE, DATABASE_SSLROOTCERT, DATABASE_URL, DATABASE_USER, PGSSLROOTCERT, PORT`,
		},
		"ClusterScopedWithoutClaim": {
			xr: `apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop}
spec: {owner: team, frontend: {image: web}, backend: {image: api}, ingress: {mode: Disabled}}`,
			want: `cannot compose XNodeApp "shop": metadata.labels[crossplane.io/claim-namespace]: Required value: a cluster-scoped XNodeApp composes namespaced objects and needs a namespace: ` +
				`create it through its claim, which sets this label, or use the namespaced XRD`,
		},
		"WritablePathUnderTmp": {
			xr:   nodeApp(`frontend: {image: "ghcr.io/acme/web:1", writablePaths: [/tmp/next]}`),
			want: `cannot compose XNodeApp "shop": spec.frontend.writablePaths[0]: Invalid value: "/tmp/next": /tmp is always writable`,
		},
		"WritablePathNotClean": {
			xr:   nodeApp(`backend: {image: "ghcr.io/acme/api:1", writablePaths: [/app/../etc]}`),
			want: `cannot compose XNodeApp "shop": spec.backend.writablePaths[0]: Invalid value: "/app/../etc": must be an absolute, clean directory path such as /app/.next/cache (no . or .. parts, no trailing /)`,
		},
		"WritablePathOverTheCABundle": {
			xr:   nodeApp(`backend: {image: "ghcr.io/acme/api:1", writablePaths: [/etc/fullstack]}`),
			want: `cannot compose XNodeApp "shop": spec.backend.writablePaths[0]: Invalid value: "/etc/fullstack": must not hold or lie under /etc/fullstack/db-ca, where the database's CA bundle is mounted`,
		},
		"WritablePathsOfWrongType": {
			xr:   nodeApp(`frontend: {image: "ghcr.io/acme/web:1", writablePaths: /app/.next/cache}`),
			want: `cannot compose XNodeApp "shop": spec.frontend.writablePaths: Invalid value: "string": must be of type array`,
		},
		"NetworkPoliciesUnknown": {
			xr:   nodeApp(`networkPolicies: "Off"`),
			want: `cannot compose XNodeApp "shop": spec.networkPolicies: Unsupported value: "Off": supported values: "Default", "Enabled", "Disabled"`,
		},
		"TooManyReplicas": {
			xr:   nodeApp(`backend: {image: "ghcr.io/acme/api:1", replicas: 500}`),
			want: `cannot compose XNodeApp "shop": spec.backend.replicas: Invalid value: 500: must be between 0 and 50, inclusive`,
		},
		"RequestAboveLimit": {
			xr:   nodeApp(`frontend: {image: "ghcr.io/acme/web:1", resources: {requests: {memory: 1Gi}, limits: {memory: 256Mi}}}`),
			want: `cannot compose XNodeApp "shop": spec.frontend.resources.requests.memory: Invalid value: "1Gi": must be less than or equal to memory limit 256Mi`,
		},
		"LivenessPathRelative": {
			xr:   nodeApp(`backend: {image: "ghcr.io/acme/api:1", livenessPath: healthz}`),
			want: `cannot compose XNodeApp "shop": spec.backend.livenessPath: Invalid value: "healthz": must be an absolute HTTP path starting with /`,
		},
		"OwnerNotATeam": {
			xr:   nodeApp(`owner: "team shop!"`),
			want: `cannot compose XNodeApp "shop": spec.owner: Invalid value: "team shop!": must be a team name such as team-payments, or an entity reference such as group:default/team-payments`,
		},
		"FrontendNotAnObject": {
			xr:   nodeApp(`frontend: [web]`),
			want: `cannot compose XNodeApp "shop": spec.frontend: Invalid value: "array": must be of type object`,
		},
		"UnknownProvider": {
			xr:   nodeApp(`database: {provider: oracle}`),
			want: `cannot compose XNodeApp "shop": spec.database.provider: Unsupported value: "oracle": supported values: "cnpg", "aws", "gcp", "azure"`,
		},
		"StorageInGB": {
			xr:   nodeApp(`database: {storage: 25GB}`),
			want: `cannot compose XNodeApp "shop": spec.database.storage: Invalid value: "25GB": must be a size in Mi, Gi or Ti, such as 25Gi`,
		},
		"MigrationTimeoutTooShort": {
			xr:   nodeApp(`database: {migration: {command: [npm, run, migrate], timeoutSeconds: 5}}`),
			want: `cannot compose XNodeApp "shop": spec.database.migration.timeoutSeconds: Invalid value: 5: must be between 30 and 86400`,
		},
		"VersionUnknown": {
			xr:   nodeApp(`database: {version: "9"}`),
			want: `cannot compose XNodeApp "shop": spec.database.version: Unsupported value: "9": supported values: "14", "15", "16", "17", "18"`,
		},
		"IssuerMissingForTLS": {
			xr:   nodeApp(`ingress: {host: shop.example.com, tls: {mode: Enabled}}`),
			want: `cannot compose XNodeApp "shop": spec.ingress.tls.issuerName: Required value: the cert-manager issuer that signs the certificate`,
		},
		"InputDatabaseCIDRNotCanonical": {
			xr:    nodeApp(""),
			input: "apiVersion: fullstack.fn.crossplane.io/v1beta1\nkind: Input\nnetworkPolicies: {databaseCIDRs: [10.20.1.0/16]}",
			want:  `invalid function input in the Composition: networkPolicies.databaseCIDRs[0]: Invalid value: "10.20.1.0/16": must be a canonical CIDR (no host bits set), such as 10.20.0.0/16`,
		},
		"InputDatabaseCIDRNotACIDR": {
			xr:    nodeApp(""),
			input: "apiVersion: fullstack.fn.crossplane.io/v1beta1\nkind: Input\nnetworkPolicies: {databaseCIDRs: [rds.amazonaws.com]}",
			want:  `invalid function input in the Composition: networkPolicies.databaseCIDRs[0]: Invalid value: "rds.amazonaws.com": must be a CIDR such as 10.20.0.0/16 or fd00::/64`,
		},
		"InputAWSAccountInvalid": {
			xr:    nodeApp(""),
			input: "apiVersion: fullstack.fn.crossplane.io/v1beta1\nkind: Input\nidentity: {aws: {accountId: '1234'}}",
			want:  `invalid function input in the Composition: identity.aws.accountId: Invalid value: "1234": must be a 12-digit AWS account ID`,
		},
		"InputGCPProjectInvalid": {
			xr:    nodeApp(""),
			input: "apiVersion: fullstack.fn.crossplane.io/v1beta1\nkind: Input\nidentity: {gcp: {project: Acme}}",
			want:  `invalid function input in the Composition: identity.gcp.project: Invalid value: "Acme": must be a Google Cloud project ID such as acme-prod`,
		},
		"IdentityRoleWithoutAccount": {
			xr:   nodeApp(`identity: {awsRole: payments}`),
			want: `cannot compose XNodeApp "shop": spec.identity.awsRole: Required value: "payments" is a role name, and the platform names no AWS account: give the role's ARN, or set identity.aws.accountId in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input)`,
		},
		"BackendFileOverTheCA": {
			xr:   nodeApp(`backend: {image: "ghcr.io/acme/api:1", files: [{path: /etc/fullstack, secret: api-files}]}`),
			want: `cannot compose XNodeApp "shop": spec.backend.files[0].path: Invalid value: "/etc/fullstack": must not hold or lie under /etc/fullstack/db-ca, where the database's CA bundle is mounted`,
		},
		"InputIngressNamespaceInvalid": {
			xr:    nodeApp(""),
			input: "apiVersion: fullstack.fn.crossplane.io/v1beta1\nkind: Input\nnetworkPolicies: {ingressNamespace: Ingress_NGINX}",
			want:  `invalid function input in the Composition: networkPolicies.ingressNamespace: Invalid value: "Ingress_NGINX": ` + validation.IsDNS1123Label("Ingress_NGINX")[0],
		},
		"BadInput": {
			xr:    nodeApp(""),
			input: "apiVersion: fullstack.fn.crossplane.io/v1beta1\nkind: Input\ningressReadiness: Sometimes",
			want:  `invalid function input in the Composition: ingressReadiness: Unsupported value: "Sometimes": supported values: "AddressAssigned", "Exists"`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{
				Meta:     &fnv1.RequestMeta{Tag: name},
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: mustStruct(t, tc.xr)}},
				Desired:  &fnv1.State{Resources: earlier},
			}
			if tc.input != "" {
				req.Input = mustStruct(t, tc.input)
			}
			if tc.context != "" {
				req.Context = mustStruct(t, tc.context)
			}
			want := &fnv1.RunFunctionResponse{
				Meta:    &fnv1.ResponseMeta{Tag: name, Ttl: durationpb.New(60e9)},
				Desired: &fnv1.State{Resources: earlier},
				Context: req.GetContext(),
				Results: []*fnv1.Result{{Severity: fnv1.Severity_SEVERITY_FATAL, Message: tc.want, Target: fnv1.Target_TARGET_COMPOSITE.Enum()}},
			}
			if diff := cmp.Diff(want, run(t, req), protocmp.Transform()); diff != "" {
				t.Errorf("RunFunction(...): -want, +got:\n%s", diff)
			}
		})
	}
}

// TestRunFunctionReadinessAndPipeline checks what the golden files do not
// show: the readiness the function sets on each desired resource, that
// resources from earlier pipeline steps are kept, and that a refused storage
// shrink keeps the observed size and warns.
func TestRunFunctionReadinessAndPipeline(t *testing.T) {
	partly := exampleOf("xnodeapp", "partly-ready")
	shrink := partly.request(t)
	shrink.Observed.Resources["database"] = &fnv1.Resource{Resource: mustStruct(t, `
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: shop-db, namespace: shop}
spec: {instances: 3, storage: {size: 100Gi}}
status: {phase: Cluster in healthy state, conditions: [{type: Ready, status: "True"}]}`)}
	withEarlier := partly.request(t)
	withEarlier.Desired = &fnv1.State{Resources: map[string]*fnv1.Resource{
		"from-an-earlier-step": {Resource: mustStruct(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}")},
	}}

	cases := map[string]struct {
		req      *fnv1.RunFunctionRequest
		ready    map[string]fnv1.Ready
		storage  string
		warnings []string
	}{
		"PartlyReady": {
			req: partly.request(t),
			ready: map[string]fnv1.Ready{
				"frontend-deployment": fnv1.Ready_READY_TRUE, "frontend-service": fnv1.Ready_READY_TRUE,
				"backend-deployment": fnv1.Ready_READY_FALSE, "backend-service": fnv1.Ready_READY_TRUE,
				"ingress": fnv1.Ready_READY_FALSE, "database": fnv1.Ready_READY_FALSE,
				"network-policy-frontend": fnv1.Ready_READY_FALSE, "network-policy-api": fnv1.Ready_READY_FALSE, "network-policy-database": fnv1.Ready_READY_FALSE, "service-account": fnv1.Ready_READY_TRUE,
			},
			storage: "20Gi",
		},
		"KeepsEarlierSteps": {
			req: withEarlier,
			ready: map[string]fnv1.Ready{
				"from-an-earlier-step": fnv1.Ready_READY_UNSPECIFIED,
				"frontend-deployment":  fnv1.Ready_READY_TRUE, "frontend-service": fnv1.Ready_READY_TRUE,
				"backend-deployment": fnv1.Ready_READY_FALSE, "backend-service": fnv1.Ready_READY_TRUE,
				"ingress": fnv1.Ready_READY_FALSE, "database": fnv1.Ready_READY_FALSE,
				"network-policy-frontend": fnv1.Ready_READY_FALSE, "network-policy-api": fnv1.Ready_READY_FALSE, "network-policy-database": fnv1.Ready_READY_FALSE, "service-account": fnv1.Ready_READY_TRUE,
			},
			storage: "20Gi",
		},
		"StorageNeverShrinks": {
			req: shrink,
			ready: map[string]fnv1.Ready{
				"frontend-deployment": fnv1.Ready_READY_TRUE, "frontend-service": fnv1.Ready_READY_TRUE,
				"backend-deployment": fnv1.Ready_READY_FALSE, "backend-service": fnv1.Ready_READY_TRUE,
				"ingress": fnv1.Ready_READY_FALSE, "database": fnv1.Ready_READY_TRUE,
				"network-policy-frontend": fnv1.Ready_READY_FALSE, "network-policy-api": fnv1.Ready_READY_FALSE, "network-policy-database": fnv1.Ready_READY_FALSE, "service-account": fnv1.Ready_READY_TRUE,
			},
			storage:  "100Gi",
			warnings: []string{"spec.database.size asks for 20Gi of storage but the database already has 100Gi; storage is never shrunk, so 100Gi is kept"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := run(t, tc.req)
			got := map[string]fnv1.Ready{}
			for n, r := range rsp.GetDesired().GetResources() {
				got[n] = r.GetReady()
			}
			if diff := cmp.Diff(tc.ready, got); diff != "" {
				t.Errorf("readiness: -want, +got:\n%s", diff)
			}
			storage, _, _ := unstructured.NestedString(rsp.GetDesired().GetResources()["database"].GetResource().AsMap(), "spec", "storage", "size")
			if storage != tc.storage {
				t.Errorf("database storage: want %s, got %s", tc.storage, storage)
			}
			var warnings []string
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() != fnv1.Severity_SEVERITY_WARNING {
					t.Errorf("unexpected result %v: %s", r.GetSeverity(), r.GetMessage())
					continue
				}
				warnings = append(warnings, r.GetMessage())
			}
			if diff := cmp.Diff(tc.warnings, warnings); diff != "" {
				t.Errorf("warnings: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestRunFunctionEnvironment checks the platform settings an
// EnvironmentConfig sets through function-environment-configs (the
// pipeline context): they win over the Composition's Input field by field,
// and a field the Input does not have is refused by name.
func TestRunFunctionEnvironment(t *testing.T) {
	input := "apiVersion: fullstack.fn.crossplane.io/v1beta1\nkind: Input\ndomain: apps.example.com\ningressClassName: nginx"
	cases := map[string]struct {
		context   string
		wantHost  string
		wantClass string
		wantFatal string
	}{
		"NoEnvironment":                 {wantHost: "shop.apps.example.com", wantClass: "nginx"},
		"AnotherFunctionsData":          {context: `{apiextensions.crossplane.io/environment: {team: {domain: x}}}`, wantHost: "shop.apps.example.com", wantClass: "nginx"},
		"TheEnvironmentsDomain":         {context: `{apiextensions.crossplane.io/environment: {fullstack: {domain: eu.example.org}}}`, wantHost: "shop.eu.example.org", wantClass: "nginx"},
		"TheEnvironmentsDomainAndClass": {context: `{apiextensions.crossplane.io/environment: {fullstack: {domain: eu.example.org, ingressClassName: internal}}}`, wantHost: "shop.eu.example.org", wantClass: "internal"},
		"AnUnknownField": {
			context:   `{apiextensions.crossplane.io/environment: {fullstack: {imageRegistery: ghcr.io/acme}}}`,
			wantFatal: `: imageRegistery: unknown field`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{
				Meta:     &fnv1.RequestMeta{Tag: name},
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: mustStruct(t, nodeApp(`ingress: {host: ""}`))}},
				Input:    mustStruct(t, input),
			}
			if tc.context != "" {
				req.Context = mustStruct(t, tc.context)
			}
			rsp := run(t, req)
			if tc.wantFatal != "" {
				if len(rsp.GetResults()) != 1 || rsp.GetResults()[0].GetSeverity() != fnv1.Severity_SEVERITY_FATAL ||
					!strings.HasPrefix(rsp.GetResults()[0].GetMessage(), "cannot get the platform settings") || !strings.Contains(rsp.GetResults()[0].GetMessage(), tc.wantFatal) {
					t.Fatalf("results: %v, want one Fatal naming %s", rsp.GetResults(), tc.wantFatal)
				}
				if len(rsp.GetDesired().GetResources()) != 0 {
					t.Errorf("a refused request composed %d resources", len(rsp.GetDesired().GetResources()))
				}
				return
			}
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
					t.Fatalf("fatal: %s", r.GetMessage())
				}
			}
			ing := rsp.GetDesired().GetResources()["ingress"].GetResource().AsMap()
			spec, _ := ing["spec"].(map[string]any)
			rules, _ := spec["rules"].([]any)
			if len(rules) == 0 {
				t.Fatalf("the Ingress has no rules: %v", ing)
			}
			got := [2]any{rules[0].(map[string]any)["host"], spec["ingressClassName"]}
			if diff := cmp.Diff([2]any{tc.wantHost, tc.wantClass}, got); diff != "" {
				t.Errorf("Ingress host and class: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestInstallEnvironmentConfig runs the Configuration's XFullStackService
// Composition on the fullstack-dev XR as Crossplane would, with the
// EnvironmentConfigs a team applies (example/install): its first step
// (function-environment-configs, played) selects fullstack-platform, and,
// for an XR labelled platform.fullstack.io/settings=eu, fullstack-eu over
// it; function-fullstack serves the XR on the domain they name, with the
// other settings from fullstack-platform.
func TestInstallEnvironmentConfig(t *testing.T) {
	ecs := append(readDocs(t, "example/install/environmentconfig.yaml"), readDocs(t, "example/install/environmentconfig-eu.yaml")...)
	comp := readDocs(t, "configuration/xfullstackservice/composition.yaml")[0]
	steps, _, _ := unstructured.NestedSlice(comp.Object, "spec", "pipeline")
	if len(steps) != 2 {
		t.Fatalf("the Composition has %d steps, want function-environment-configs then function-fullstack", len(steps))
	}
	envInput, _ := steps[0].(map[string]any)["input"].(map[string]any)
	cases := map[string]struct {
		labels    map[string]string
		wantHost  string
		wantImage string
	}{
		"PlatformSettings": {wantHost: "notes.apps.example.com", wantImage: "ghcr.io/acme/notes-api:0.3.0"},
		"LabelledEU":       {labels: map[string]string{"platform.fullstack.io/settings": "eu"}, wantHost: "notes.eu.apps.example.com", wantImage: "ghcr.io/acme/notes-api:0.3.0"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := exampleOf("fullstack-dev", "nothing-exists").request(t)
			xr := &unstructured.Unstructured{Object: req.GetObserved().GetComposite().GetResource().AsMap()}
			xr.SetLabels(tc.labels)
			req.Observed.Composite.Resource = toStruct(t, xr.Object)
			req.Context = environment(t, envInput, xr, ecs)
			rsp := run(t, req)
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
					t.Fatalf("the EnvironmentConfigs' settings were refused: %s", r.GetMessage())
				}
			}
			ing := rsp.GetDesired().GetResources()["ingress"].GetResource().AsMap()
			host, _, _ := unstructured.NestedSlice(ing, "spec", "rules")
			dep := rsp.GetDesired().GetResources()["service-deployment"].GetResource().AsMap()
			containers, _, _ := unstructured.NestedSlice(dep, "spec", "template", "spec", "containers")
			got := [2]any{nil, nil}
			if len(host) > 0 {
				got[0] = host[0].(map[string]any)["host"]
			}
			if len(containers) > 0 {
				got[1] = containers[0].(map[string]any)["image"]
			}
			if diff := cmp.Diff([2]any{tc.wantHost, tc.wantImage}, got); diff != "" {
				t.Errorf("Ingress host and backend image (-want +got):\n%s", diff)
			}
		})
	}
}
