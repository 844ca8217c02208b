package resolve

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

func i64(v int64) *int64 { return &v }
func b(v bool) *bool     { return &v }

func minimal() v1alpha1.XNodeAppSpec {
	return v1alpha1.XNodeAppSpec{
		Owner:    "team-shop",
		Frontend: v1alpha1.Frontend{Container: v1alpha1.Container{Image: "ghcr.io/acme/web:1"}},
		Backend:  v1alpha1.Backend{Container: v1alpha1.Container{Image: "ghcr.io/acme/api:1"}},
		Ingress:  v1alpha1.Ingress{Host: "shop.example.com"},
	}
}

// resources are the default requests (100m CPU, 128Mi memory) and limits.
func resources(limCPU, limMem string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(limCPU), corev1.ResourceMemory: resource.MustParse(limMem)},
	}
}

func TestResolveNodeAppDefaults(t *testing.T) {
	cases := map[string]struct {
		in          func(*v1alpha1.XNodeAppSpec)
		platform    Platform
		annotations map[string]string
		want        NodeApp
	}{
		"Minimal": {
			in:       func(*v1alpha1.XNodeAppSpec) {},
			platform: Platform{IngressClassName: "nginx"},
			want: NodeApp{
				Environment: "development",
				Owner:       Owner{Name: "team-shop"},
				Frontend:    Workload{Image: "ghcr.io/acme/web:1", Port: 3000, Replicas: 1, HealthPath: "/", LivenessPath: "/", ReadinessPath: "/", Resources: resources("500m", "256Mi"), WritablePaths: DefaultNodeFrontendWritablePaths, Probes: DefaultProbes},
				Backend:     Workload{Image: "ghcr.io/acme/api:1", Port: 3001, Replicas: 1, HealthPath: "/healthz", LivenessPath: "/healthz", ReadinessPath: "/healthz", Resources: resources("1", "512Mi"), Probes: DefaultProbes},
				Database:    defaultDatabase,
				Ingress:     Ingress{Enabled: true, Host: "shop.example.com", ClassName: "nginx"},
				Monitoring:  Monitoring{Path: "/metrics"},
			},
		},
		"WhatABackstageFormWrites": {
			// No spec.owner (the action writes the OwnerPicker's entity
			// reference as an annotation) and no host (the platform domain
			// gives one); monitoring switched on.
			in: func(n *v1alpha1.XNodeAppSpec) {
				n.Owner = ""
				n.Ingress = v1alpha1.Ingress{}
				n.Monitoring = v1alpha1.Monitoring{Mode: v1alpha1.SwitchEnabled}
			},
			platform:    Platform{Domain: "apps.example.com"},
			annotations: map[string]string{"terasky.backstage.io/owner": "group:default/team-shop"},
			want: NodeApp{
				Environment: "development",
				Owner:       Owner{Name: "team-shop", Ref: "group:default/team-shop"},
				Frontend:    Workload{Image: "ghcr.io/acme/web:1", Port: 3000, Replicas: 1, HealthPath: "/", LivenessPath: "/", ReadinessPath: "/", Resources: resources("500m", "256Mi"), WritablePaths: DefaultNodeFrontendWritablePaths, Probes: DefaultProbes},
				Backend:     Workload{Image: "ghcr.io/acme/api:1", Port: 3001, Replicas: 1, HealthPath: "/healthz", LivenessPath: "/healthz", ReadinessPath: "/healthz", Resources: resources("1", "512Mi"), Probes: DefaultProbes},
				Database:    defaultDatabase,
				Ingress:     Ingress{Enabled: true, Host: "shop.apps.example.com"},
				Monitoring:  Monitoring{Enabled: true, Path: "/metrics"},
			},
		},
		"ProductionGetsTwoReplicasAndOverridesWin": {
			in: func(n *v1alpha1.XNodeAppSpec) {
				n.Environment = "production"
				n.Backend.Replicas = i64(5)
				n.Backend.Resources = &v1alpha1.Resources{Limits: &v1alpha1.ResourceList{Memory: "1Gi"}}
				n.Ingress.ClassName = "internal"
				n.Ingress.TLS = &v1alpha1.TLS{Mode: v1alpha1.SwitchEnabled, IssuerName: "letsencrypt"}
			},
			platform: Platform{IngressClassName: "nginx"},
			want: NodeApp{
				Environment: "production",
				Owner:       Owner{Name: "team-shop"},
				Frontend:    Workload{Image: "ghcr.io/acme/web:1", Port: 3000, Replicas: 2, HealthPath: "/", LivenessPath: "/", ReadinessPath: "/", Resources: resources("500m", "256Mi"), WritablePaths: DefaultNodeFrontendWritablePaths, Probes: DefaultProbes},
				Backend:     Workload{Image: "ghcr.io/acme/api:1", Port: 3001, Replicas: 5, HealthPath: "/healthz", LivenessPath: "/healthz", ReadinessPath: "/healthz", Resources: resources("1", "1Gi"), Probes: DefaultProbes},
				Database:    defaultDatabase,
				Ingress:     Ingress{Enabled: true, Host: "shop.example.com", ClassName: "internal", TLS: true, IssuerName: "letsencrypt", IssuerKind: "ClusterIssuer"},
				Monitoring:  Monitoring{Path: "/metrics"},
			},
		},
		"IngressOffNeedsNoHost": {
			in: func(n *v1alpha1.XNodeAppSpec) {
				n.Ingress = v1alpha1.Ingress{Mode: v1alpha1.SwitchDisabled}
				n.Frontend.Replicas = i64(0)
			},
			want: NodeApp{
				Environment: "development",
				Owner:       Owner{Name: "team-shop"},
				Frontend:    Workload{Image: "ghcr.io/acme/web:1", Port: 3000, Replicas: 0, HealthPath: "/", LivenessPath: "/", ReadinessPath: "/", Resources: resources("500m", "256Mi"), WritablePaths: DefaultNodeFrontendWritablePaths, Probes: DefaultProbes},
				Backend:     Workload{Image: "ghcr.io/acme/api:1", Port: 3001, Replicas: 1, HealthPath: "/healthz", LivenessPath: "/healthz", ReadinessPath: "/healthz", Resources: resources("1", "512Mi"), Probes: DefaultProbes},
				Database:    defaultDatabase,
				Ingress:     Ingress{},
				Monitoring:  Monitoring{Path: "/metrics"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := minimal()
			tc.in(&in)
			got, errs := ResolveNodeApp(in, tc.platform, Composite{Name: "shop", Annotations: tc.annotations})
			if len(errs) > 0 {
				t.Fatalf("ResolveNodeApp(...): unexpected errors: %v", errs)
			}
			if diff := cmp.Diff(tc.want, *got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ResolveNodeApp(...): -want, +got:\n%s", diff)
			}
		})
	}
}

func TestResolveNodeAppErrors(t *testing.T) {
	cases := map[string]struct {
		in   func(*v1alpha1.XNodeAppSpec)
		want []string
	}{
		"MissingOwnerAndImages": {
			in: func(n *v1alpha1.XNodeAppSpec) { n.Owner = ""; n.Frontend.Image = ""; n.Backend.Image = "" },
			want: []string{
				"spec.owner: Required value: the owning team, such as team-payments or group:default/team-payments; a Backstage form sets the terasky.backstage.io/owner annotation instead",
				"spec.frontend.image: Required value: a container image reference such as ghcr.io/acme/web:1.2.3",
				"spec.backend.image: Required value: a container image reference such as ghcr.io/acme/web:1.2.3",
			},
		},
		"UnknownEnvironmentAndVersion": {
			in: func(n *v1alpha1.XNodeAppSpec) { n.Environment = "qa"; n.Database.Version = "12" },
			want: []string{
				`spec.environment: Unsupported value: "qa": supported values: "development", "staging", "production"`,
				`spec.database.version: Unsupported value: "12": supported values: "14", "15", "16", "17", "18"`,
			},
		},
		"ReplicasOutOfRange": {
			in:   func(n *v1alpha1.XNodeAppSpec) { n.Frontend.Replicas = i64(51) },
			want: []string{"spec.frontend.replicas: Invalid value: 51: must be between 0 and 50, inclusive"},
		},
		"RequestAboveLimit": {
			in: func(n *v1alpha1.XNodeAppSpec) {
				n.Backend.Resources = &v1alpha1.Resources{Requests: &v1alpha1.ResourceList{CPU: "2"}, Limits: &v1alpha1.ResourceList{CPU: "1"}}
			},
			want: []string{`spec.backend.resources.requests.cpu: Invalid value: "2": must be less than or equal to cpu limit 1`},
		},
		"BadQuantity": {
			in: func(n *v1alpha1.XNodeAppSpec) {
				n.Frontend.Resources = &v1alpha1.Resources{Limits: &v1alpha1.ResourceList{Memory: "lots"}}
			},
			want: []string{`spec.frontend.resources.limits.memory: Invalid value: "lots": must be a Kubernetes quantity such as 250m, 1, 512Mi or 2Gi`},
		},
		"DuplicateAndInvalidEnv": {
			in: func(n *v1alpha1.XNodeAppSpec) {
				n.Frontend.Env = []v1alpha1.EnvVar{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}, {Name: "1=B"}}
			},
			want: []string{
				`spec.frontend.env[1].name: Duplicate value: "A"`,
				`spec.frontend.env[2].name: Invalid value: "1=B": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', ` +
					`and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
			},
		},
		"HealthPathNotAbsolute": {
			in:   func(n *v1alpha1.XNodeAppSpec) { n.Backend.HealthPath = "healthz" },
			want: []string{`spec.backend.healthPath: Invalid value: "healthz": must be an absolute HTTP path starting with /`},
		},
		"TLSWithoutIssuer": {
			in: func(n *v1alpha1.XNodeAppSpec) {
				n.Ingress.TLS = &v1alpha1.TLS{Mode: v1alpha1.SwitchEnabled, IssuerKind: "Vault"}
			},
			want: []string{
				"spec.ingress.tls.issuerName: Required value: the cert-manager issuer that signs the certificate",
				`spec.ingress.tls.issuerKind: Unsupported value: "Vault": supported values: "ClusterIssuer", "Issuer"`,
			},
		},
		"OwnerNotATeamOrReference": {
			in:   func(n *v1alpha1.XNodeAppSpec) { n.Owner = "team shop" },
			want: []string{`spec.owner: Invalid value: "team shop": must be a team name such as team-payments, or an entity reference such as group:default/team-payments`},
		},
		"OwnerNameTooLongForALabel": {
			in:   func(n *v1alpha1.XNodeAppSpec) { n.Owner = "group:default/" + strings.Repeat("t", 64) },
			want: []string{`spec.owner: Invalid value: "group:default/` + strings.Repeat("t", 64) + `": must be no more than 63 bytes`},
		},
		"StorageNotASize": {
			in:   func(n *v1alpha1.XNodeAppSpec) { n.Database.Storage = "25GB" },
			want: []string{`spec.database.storage: Invalid value: "25GB": must be a size in Mi, Gi or Ti, such as 25Gi`},
		},
		"StorageBelowTheProvidersMinimum": {
			in:   func(n *v1alpha1.XNodeAppSpec) { n.Database.Provider = "aws"; n.Database.Storage = "10Gi" },
			want: []string{`spec.database.storage: Invalid value: "10Gi": the aws database needs at least 20Gi of storage`},
		},
		"MigrationWithoutCommand": {
			in: func(n *v1alpha1.XNodeAppSpec) {
				n.Database.Migration = &v1alpha1.Migration{Command: []string{"npm", ""}, TimeoutSeconds: i64(5)}
			},
			want: []string{
				`spec.database.migration.command[1]: Invalid value: "": must not be empty`,
				`spec.database.migration.timeoutSeconds: Invalid value: 5: must be between 30 and 86400`,
			},
		},
		"WritablePathsRefused": {
			in: func(n *v1alpha1.XNodeAppSpec) {
				n.Frontend.WritablePaths = []string{"/app/../etc", "/tmp/cache", "/etc/fullstack", "relative", "/app/.next/cache", "/app/.next/cache", "/data/"}
				n.NetworkPolicies = "Sometimes"
			},
			want: []string{
				`spec.frontend.writablePaths[0]: Invalid value: "/app/../etc": must be an absolute, clean directory path such as /app/.next/cache (no . or .. parts, no trailing /)`,
				`spec.frontend.writablePaths[1]: Invalid value: "/tmp/cache": /tmp is always writable`,
				`spec.frontend.writablePaths[2]: Invalid value: "/etc/fullstack": must not hold or lie under /etc/fullstack/db-ca, where the database's CA bundle is mounted`,
				`spec.frontend.writablePaths[3]: Invalid value: "relative": must be an absolute, clean directory path such as /app/.next/cache (no . or .. parts, no trailing /)`,
				`spec.frontend.writablePaths[5]: Duplicate value: "/app/.next/cache"`,
				`spec.frontend.writablePaths[6]: Invalid value: "/data/": must be an absolute, clean directory path such as /app/.next/cache (no . or .. parts, no trailing /)`,
				`spec.networkPolicies: Unsupported value: "Sometimes": supported values: "Default", "Enabled", "Disabled"`,
			},
		},
		"SuperuserAsOwner": {
			in:   func(n *v1alpha1.XNodeAppSpec) { n.Database.Owner = "postgres" },
			want: []string{"spec.database.owner: Forbidden: postgres is the superuser; choose an application role name"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := minimal()
			tc.in(&in)
			got, errs := ResolveNodeApp(in, Platform{}, Composite{Name: "shop"})
			if got != nil {
				t.Errorf("ResolveNodeApp(...) returned an App along with errors")
			}
			msgs := make([]string, 0, len(errs))
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if diff := cmp.Diff(tc.want, msgs); diff != "" {
				t.Errorf("ResolveNodeApp(...) errors: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	cases := map[string]struct {
		spec string
		want *field.Error
	}{
		"IgnoresCrossplaneFields": {
			spec: `{"claimRef":{},"crossplane":{"compositionRef":{"name":"x"}},"owner":"a"}`,
		},
		"WrongType": {
			spec: `{"frontend":{"replicas":"two"}}`,
			want: field.TypeInvalid(field.NewPath("spec", "frontend", "replicas"), "string", "must be of type integer"),
		},
		"NotAnInteger": {
			spec: `{"frontend":{"replicas":2.5}}`,
			want: field.TypeInvalid(field.NewPath("spec", "frontend", "replicas"), "number 2.5", "must be of type integer"),
		},
		"NotAnObject": {
			spec: `{"frontend":[]}`,
			want: field.TypeInvalid(field.NewPath("spec", "frontend"), "array", "must be of type object"),
		},
		"NoSpec": {
			want: field.Required(field.NewPath("spec"), "the composite resource has no spec"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var n v1alpha1.XNodeAppSpec
			var spec []byte
			if tc.spec != "" {
				spec = []byte(tc.spec)
			}
			got := decode(spec, &n)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decode(...): -want, +got:\n%s", diff)
			}
		})
	}
}

// defaultDatabase is the database of an XNodeApp that says nothing about it:
// a small CloudNativePG Cluster.
var defaultDatabase = Database{Name: "app", Owner: "app", Size: "small", Engine: "postgres", Version: "17", Provider: "cnpg", Protection: "Default",
	CNPG: &CNPGSize{Instances: 1, Storage: "5Gi", CPURequest: "250m", MemoryRequest: "512Mi", CPULimit: "1", MemoryLimit: "1Gi"}}
