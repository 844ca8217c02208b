package spec

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

func i64(v int64) *int64 { return &v }
func b(v bool) *bool     { return &v }

func minimal() NodeApp {
	return NodeApp{
		Owner:    "team-shop",
		Frontend: Workload{Image: "ghcr.io/acme/web:1"},
		Backend:  Workload{Image: "ghcr.io/acme/api:1"},
		Ingress:  Ingress{Host: "shop.example.com"},
	}
}

func resources(reqCPU, reqMem, limCPU, limMem string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(reqCPU), corev1.ResourceMemory: resource.MustParse(reqMem)},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(limCPU), corev1.ResourceMemory: resource.MustParse(limMem)},
	}
}

func TestResolveNodeAppDefaults(t *testing.T) {
	cases := map[string]struct {
		in       func(*NodeApp)
		platform Platform
		want     App
	}{
		"Minimal": {
			in:       func(*NodeApp) {},
			platform: Platform{IngressClassName: "nginx"},
			want: App{
				Environment: "development",
				Owner:       "team-shop",
				Frontend:    ResolvedWorkload{Image: "ghcr.io/acme/web:1", Port: 3000, Replicas: 1, HealthPath: "/", Resources: resources("100m", "128Mi", "500m", "256Mi")},
				Backend:     ResolvedWorkload{Image: "ghcr.io/acme/api:1", Port: 3001, Replicas: 1, HealthPath: "/healthz", Resources: resources("100m", "128Mi", "1", "512Mi")},
				Database:    Database{Name: "app", Owner: "app", Size: "small", Engine: "postgres", Version: "17", Provider: "cnpg", Protection: "Default"},
				Ingress:     ResolvedIngress{Enabled: true, Host: "shop.example.com", ClassName: "nginx"},
			},
		},
		"ProductionGetsTwoReplicasAndOverridesWin": {
			in: func(n *NodeApp) {
				n.Environment = "production"
				n.Backend.Replicas = i64(5)
				n.Backend.Resources = &Resources{Limits: &ResourceList{Memory: "1Gi"}}
				n.Ingress.ClassName = "internal"
				n.Ingress.TLS = &TLS{Enabled: true, IssuerName: "letsencrypt"}
			},
			platform: Platform{IngressClassName: "nginx"},
			want: App{
				Environment: "production",
				Owner:       "team-shop",
				Frontend:    ResolvedWorkload{Image: "ghcr.io/acme/web:1", Port: 3000, Replicas: 2, HealthPath: "/", Resources: resources("100m", "128Mi", "500m", "256Mi")},
				Backend:     ResolvedWorkload{Image: "ghcr.io/acme/api:1", Port: 3001, Replicas: 5, HealthPath: "/healthz", Resources: resources("100m", "128Mi", "1", "1Gi")},
				Database:    Database{Name: "app", Owner: "app", Size: "small", Engine: "postgres", Version: "17", Provider: "cnpg", Protection: "Default"},
				Ingress:     ResolvedIngress{Enabled: true, Host: "shop.example.com", ClassName: "internal", TLS: true, IssuerName: "letsencrypt", IssuerKind: "ClusterIssuer"},
			},
		},
		"IngressOffNeedsNoHost": {
			in: func(n *NodeApp) {
				n.Ingress = Ingress{Enabled: b(false)}
				n.Frontend.Replicas = i64(0)
			},
			want: App{
				Environment: "development",
				Owner:       "team-shop",
				Frontend:    ResolvedWorkload{Image: "ghcr.io/acme/web:1", Port: 3000, Replicas: 0, HealthPath: "/", Resources: resources("100m", "128Mi", "500m", "256Mi")},
				Backend:     ResolvedWorkload{Image: "ghcr.io/acme/api:1", Port: 3001, Replicas: 1, HealthPath: "/healthz", Resources: resources("100m", "128Mi", "1", "512Mi")},
				Database:    Database{Name: "app", Owner: "app", Size: "small", Engine: "postgres", Version: "17", Provider: "cnpg", Protection: "Default"},
				Ingress:     ResolvedIngress{},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := minimal()
			tc.in(&in)
			got, errs := ResolveNodeApp(in, tc.platform)
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
		in   func(*NodeApp)
		want []string
	}{
		"MissingOwnerAndImages": {
			in: func(n *NodeApp) { n.Owner = ""; n.Frontend.Image = ""; n.Backend.Image = "" },
			want: []string{
				"spec.owner: Required value: the owning team, such as team-payments",
				"spec.frontend.image: Required value: a container image reference such as ghcr.io/acme/web:1.2.3",
				"spec.backend.image: Required value: a container image reference such as ghcr.io/acme/web:1.2.3",
			},
		},
		"UnknownEnvironmentAndVersion": {
			in: func(n *NodeApp) { n.Environment = "staging"; n.Database.Version = "12" },
			want: []string{
				`spec.environment: Unsupported value: "staging": supported values: "development", "qa", "production"`,
				`spec.database.version: Unsupported value: "12": supported values: "14", "15", "16", "17", "18"`,
			},
		},
		"ReplicasOutOfRange": {
			in:   func(n *NodeApp) { n.Frontend.Replicas = i64(51) },
			want: []string{"spec.frontend.replicas: Invalid value: 51: must be between 0 and 50, inclusive"},
		},
		"RequestAboveLimit": {
			in: func(n *NodeApp) {
				n.Backend.Resources = &Resources{Requests: &ResourceList{CPU: "2"}, Limits: &ResourceList{CPU: "1"}}
			},
			want: []string{`spec.backend.resources.requests.cpu: Invalid value: "2": must be less than or equal to cpu limit 1`},
		},
		"BadQuantity": {
			in:   func(n *NodeApp) { n.Frontend.Resources = &Resources{Limits: &ResourceList{Memory: "lots"}} },
			want: []string{`spec.frontend.resources.limits.memory: Invalid value: "lots": must be a Kubernetes quantity such as 250m, 1, 512Mi or 2Gi`},
		},
		"DuplicateAndInvalidEnv": {
			in: func(n *NodeApp) {
				n.Frontend.Env = []EnvVar{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}, {Name: "1=B"}}
			},
			want: []string{
				`spec.frontend.env[1].name: Duplicate value: "A"`,
				`spec.frontend.env[2].name: Invalid value: "1=B": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', ` +
					`and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
			},
		},
		"HealthPathNotAbsolute": {
			in:   func(n *NodeApp) { n.Backend.HealthPath = "healthz" },
			want: []string{`spec.backend.healthPath: Invalid value: "healthz": must be an absolute HTTP path starting with /`},
		},
		"TLSWithoutIssuer": {
			in: func(n *NodeApp) { n.Ingress.TLS = &TLS{Enabled: true, IssuerKind: "Vault"} },
			want: []string{
				"spec.ingress.tls.issuerName: Required value: the cert-manager issuer that signs the certificate",
				`spec.ingress.tls.issuerKind: Unsupported value: "Vault": supported values: "ClusterIssuer", "Issuer"`,
			},
		},
		"OwnerNotALabelValue": {
			in: func(n *NodeApp) { n.Owner = "group:default/team" },
			want: []string{`spec.owner: Invalid value: "group:default/team": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', ` +
				`and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
		},
		"SuperuserAsOwner": {
			in:   func(n *NodeApp) { n.Database.Owner = "postgres" },
			want: []string{"spec.database.owner: Forbidden: postgres is the superuser; choose an application role name"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := minimal()
			tc.in(&in)
			got, errs := ResolveNodeApp(in, Platform{})
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
		spec map[string]any
		want *field.Error
	}{
		"IgnoresCrossplaneFields": {
			spec: map[string]any{"owner": "a", "crossplane": map[string]any{"compositionRef": map[string]any{"name": "x"}}, "claimRef": map[string]any{}},
		},
		"WrongType": {
			spec: map[string]any{"frontend": map[string]any{"replicas": "two"}},
			want: field.TypeInvalid(field.NewPath("spec", "frontend", "replicas"), "string", "must be of type integer"),
		},
		"NoSpec": {
			want: field.Required(field.NewPath("spec"), "the composite resource has no spec"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var n NodeApp
			got := Decode(tc.spec, &n)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decode(...): -want, +got:\n%s", diff)
			}
		})
	}
}

// TestXRDMatchesCode fails when the XRD's enums, defaults and patterns drift
// from the values the function validates and defaults with.
// xrdSpec reads an XRD in package/ and returns a function that finds the
// schema of a field under spec, and one that reads a string list.
func xrdSpec(t *testing.T, file string) (props func(path ...string) map[string]any, strs func(any) []string) {
	t.Helper()
	b, err := os.ReadFile("../../package/" + file)
	if err != nil {
		t.Fatal(err)
	}
	xrd := map[string]any{}
	if err := yaml.Unmarshal(b, &xrd); err != nil {
		t.Fatal(err)
	}
	versions, _, _ := unstructured.NestedSlice(xrd, "spec", "versions")
	props = func(path ...string) map[string]any {
		full := []string{"schema", "openAPIV3Schema", "properties", "spec"}
		for _, p := range path {
			full = append(full, "properties", p)
		}
		m, ok, _ := unstructured.NestedMap(versions[0].(map[string]any), full...)
		if !ok {
			t.Fatalf("%s has no spec.%v", file, path)
		}
		return m
	}
	strs = func(v any) []string {
		var out []string
		for _, s := range v.([]any) {
			out = append(out, s.(string))
		}
		return out
	}
	return props, strs
}

func TestXRDMatchesCode(t *testing.T) {
	props, strs := xrdSpec(t, "xnodeapp/definition.yaml")
	cases := map[string]struct{ want, got any }{
		"environment enum":      {Environments, strs(props("environment")["enum"])},
		"environment default":   {DefaultEnvironment, props("environment")["default"]},
		"size enum":             {Sizes, strs(props("database", "size")["enum"])},
		"size default":          {DefaultDatabaseSize, props("database", "size")["default"]},
		"version enum":          {PostgresVersions, strs(props("database", "version")["enum"])},
		"version default":       {DefaultPostgresVersion, props("database", "version")["default"]},
		"database name default": {DefaultDatabaseName, props("database", "name")["default"]},
		"database name pattern": {IdentifierPattern, props("database", "name")["pattern"]},
		"issuer kinds":          {IssuerKinds, strs(props("ingress", "tls", "issuerKind")["enum"])},
		"frontend image":        {ImagePattern, props("frontend", "image")["pattern"]},
		"backend image":         {ImagePattern, props("backend", "image")["pattern"]},
		"frontend port":         {float64(DefaultFrontendPort), props("frontend", "port")["default"]},
		"backend port":          {float64(DefaultBackendPort), props("backend", "port")["default"]},
		"frontend health":       {DefaultFrontendHealth, props("frontend", "healthPath")["default"]},
		"backend health":        {DefaultBackendHealth, props("backend", "healthPath")["default"]},
		"health pattern":        {HealthPathPattern, props("backend", "healthPath")["pattern"]},
		"max replicas":          {float64(MaxReplicas), props("frontend", "replicas")["maximum"]},
		"provider enum":         {Providers, strs(props("database", "provider")["enum"])},
		"provider default":      {DefaultProvider, props("database", "provider")["default"]},
		"region pattern":        {RegionPattern, props("database", "region")["pattern"]},
		"protection enum":       {Protections, strs(props("database", "protection")["enum"])},
		"protection default":    {ProtectionDefault, props("database", "protection")["default"]},
	}
	for name, tc := range cases {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s: -code, +XRD:\n%s", name, diff)
		}
	}
}
