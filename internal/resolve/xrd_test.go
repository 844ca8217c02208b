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
		"XNodeApp environment enum":         {environments, enum(app("environment")["enum"])},
		"XNodeApp environment default":      {defaultEnvironment, app("environment")["default"]},
		"XNodeApp size enum":                {sizes, enum(app("database.size")["enum"])},
		"XNodeApp size default":             {defaultDatabaseSize, app("database.size")["default"]},
		"version enum":                      {postgresVersions, enum(app("database.version")["enum"])},
		"version default":                   {defaultPostgresVersion, app("database.version")["default"]},
		"database name default":             {defaultDatabaseName, app("database.name")["default"]},
		"database owner default":            {defaultDatabaseOwner, app("database.owner")["default"]},
		"database name pattern":             {v1alpha1.IdentifierPattern, app("database.name")["pattern"]},
		"issuer kinds":                      {issuerKinds, enum(app("ingress.tls.issuerKind")["enum"])},
		"issuer kind default":               {defaultIssuerKind, app("ingress.tls.issuerKind")["default"]},
		"image pattern":                     {v1alpha1.ImagePattern, app("frontend.image")["pattern"]},
		"frontend port":                     {float64(defaultFrontendPort), app("frontend.port")["default"]},
		"backend port":                      {float64(defaultBackendPort), app("backend.port")["default"]},
		"frontend health":                   {defaultFrontendHealth, app("frontend.healthPath")["default"]},
		"backend health":                    {defaultBackendHealth, app("backend.healthPath")["default"]},
		"health pattern":                    {v1alpha1.HTTPPathPattern, app("backend.healthPath")["pattern"]},
		"max replicas":                      {float64(v1alpha1.MaxReplicas), app("frontend.replicas")["maximum"]},
		"provider enum":                     {providers, enum(app("database.provider")["enum"])},
		"provider default":                  {defaultProvider, app("database.provider")["default"]},
		"region pattern":                    {v1alpha1.RegionPattern, app("database.region")["pattern"]},
		"protection enum":                   {protections, enum(app("database.protection")["enum"])},
		"protection default":                {protectionDefault, app("database.protection")["default"]},
		"XFullStackService environments":    {environments, enum(svc("environment")["enum"])},
		"XFullStackService env default":     {defaultEnvironment, svc("environment")["default"]},
		"strategy enum":                     {strategies, enum(svc("delivery.strategy")["enum"])},
		"strategy: the profile decides":     {nil, svc("delivery.strategy")["default"]},
		"size: the profile decides":         {nil, svc("database.size")["default"]},
		"engine enum":                       {engines, enum(svc("database.engine")["enum"])},
		"service port":                      {float64(defaultServicePort), svc("backend.port")["default"]},
		"service health":                    {defaultServiceHealth, svc("backend.healthPath")["default"]},
		"metrics path":                      {defaultMetricsPath, svc("monitoring.path")["default"]},
		"pause":                             {`^([1-9][0-9]{0,5}(s|m|h)|untilPromoted)$`, svc("delivery.steps[].pause")["pattern"]},
		"analysis interval":                 {v1alpha1.DurationPattern, svc("delivery.analysis.interval")["pattern"]},
		"max autoscaling":                   {float64(v1alpha1.MaxAutoscalingReplicas), svc("autoscaling.maxReplicas")["maximum"]},
		"language enum":                     {languages, enum(svc("language")["enum"])},
		"framework enum":                    {frameworks, enum(svc("framework")["enum"])},
		"promotion enum":                    {promotions, enum(svc("delivery.promotion")["enum"])},
		"switch enum":                       {switches, enum(svc("autoscaling.mode")["enum"])},
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
