package resolve

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

// TestXRDsMatchCode checks the generated XRDs against the values the
// function validates and defaults with. Markers in apis/v1alpha1 cannot
// name Go constants, so the two are written twice; this keeps them one.
func TestXRDsMatchCode(t *testing.T) {
	schema := func(kind string) func(path string) map[string]any {
		b, err := os.ReadFile("../../configuration/" + strings.ToLower(kind) + "/definition.yaml")
		if err != nil {
			t.Fatal(err)
		}
		var xrd struct {
			Spec struct {
				Versions []struct {
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &xrd); err != nil {
			t.Fatal(err)
		}
		root := xrd.Spec.Versions[0].Schema.OpenAPIV3Schema
		return func(path string) map[string]any {
			node := root
			for _, part := range strings.Split("spec."+path, ".") {
				items := strings.HasSuffix(part, "[]")
				props, _ := node["properties"].(map[string]any)
				next, ok := props[strings.TrimSuffix(part, "[]")].(map[string]any)
				if !ok {
					t.Fatalf("%s XRD has no field spec.%s", kind, path)
				}
				if items {
					next, _ = next["items"].(map[string]any)
				}
				node = next
			}
			return node
		}
	}
	enum := func(v any) []string {
		var out []string
		for _, s := range v.([]any) {
			out = append(out, s.(string))
		}
		return out
	}
	app, svc := schema("XNodeApp"), schema("XFullStackService")
	cases := map[string]struct{ code, xrd any }{
		"XNodeApp environment enum":         {Environments, enum(app("environment")["enum"])},
		"XNodeApp environment default":      {DefaultEnvironment, app("environment")["default"]},
		"XNodeApp size enum":                {Sizes, enum(app("database.size")["enum"])},
		"XNodeApp size default":             {DefaultDatabaseSize, app("database.size")["default"]},
		"version enum":                      {PostgresVersions, enum(app("database.version")["enum"])},
		"version default":                   {DefaultPostgresVersion, app("database.version")["default"]},
		"database name default":             {DefaultDatabaseName, app("database.name")["default"]},
		"database owner default":            {DefaultDatabaseOwner, app("database.owner")["default"]},
		"database name pattern":             {v1alpha1.IdentifierPattern, app("database.name")["pattern"]},
		"issuer kinds":                      {IssuerKinds, enum(app("ingress.tls.issuerKind")["enum"])},
		"issuer kind default":               {DefaultIssuerKind, app("ingress.tls.issuerKind")["default"]},
		"image pattern":                     {v1alpha1.ImagePattern, app("frontend.image")["pattern"]},
		"frontend port":                     {float64(DefaultFrontendPort), app("frontend.port")["default"]},
		"backend port":                      {float64(DefaultBackendPort), app("backend.port")["default"]},
		"frontend health":                   {DefaultFrontendHealth, app("frontend.healthPath")["default"]},
		"backend health":                    {DefaultBackendHealth, app("backend.healthPath")["default"]},
		"health pattern":                    {v1alpha1.HTTPPathPattern, app("backend.healthPath")["pattern"]},
		"max replicas":                      {float64(v1alpha1.MaxReplicas), app("frontend.replicas")["maximum"]},
		"provider enum":                     {Providers, enum(app("database.provider")["enum"])},
		"provider default":                  {DefaultProvider, app("database.provider")["default"]},
		"region pattern":                    {v1alpha1.RegionPattern, app("database.region")["pattern"]},
		"protection enum":                   {Protections, enum(app("database.protection")["enum"])},
		"protection default":                {ProtectionDefault, app("database.protection")["default"]},
		"XFullStackService environments":    {Environments, enum(svc("environment")["enum"])},
		"XFullStackService env default":     {DefaultEnvironment, svc("environment")["default"]},
		"strategy enum":                     {Strategies, enum(svc("delivery.strategy")["enum"])},
		"strategy: the profile decides":     {nil, svc("delivery.strategy")["default"]},
		"size: the profile decides":         {nil, svc("database.size")["default"]},
		"engine enum":                       {Engines, enum(svc("database.engine")["enum"])},
		"service port":                      {float64(DefaultServicePort), svc("backend.port")["default"]},
		"service health":                    {DefaultServiceHealth, svc("backend.healthPath")["default"]},
		"metrics path":                      {DefaultMetricsPath, svc("monitoring.path")["default"]},
		"pause":                             {`^([1-9][0-9]{0,5}(s|m|h)|untilPromoted)$`, svc("delivery.steps[].pause")["pattern"]},
		"analysis interval":                 {v1alpha1.DurationPattern, svc("delivery.analysis.interval")["pattern"]},
		"max autoscaling":                   {float64(v1alpha1.MaxAutoscalingReplicas), svc("autoscaling.maxReplicas")["maximum"]},
		"language enum":                     {Languages, enum(svc("language")["enum"])},
		"framework enum":                    {Frameworks, enum(svc("framework")["enum"])},
		"promotion enum":                    {Promotions, enum(svc("delivery.promotion")["enum"])},
		"switch enum":                       {Switches, enum(svc("autoscaling.mode")["enum"])},
		"owner pattern":                     {v1alpha1.OwnerPattern, app("owner")["pattern"]},
		"description length":                {float64(v1alpha1.MaxDescriptionLength), svc("description")["maxLength"]},
		"autoscaling: the profile decides":  {nil, svc("autoscaling.mode")["default"]},
		"availability: the profile decides": {nil, svc("availability.podDisruptionBudget")["default"]},
	}
	for name, tc := range cases {
		if diff := cmp.Diff(tc.code, tc.xrd); diff != "" {
			t.Errorf("%s: -code, +XRD:\n%s", name, diff)
		}
	}
}
