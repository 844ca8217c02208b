package spec

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func w(v int32) *int32 { return &v }

// summary is what an environment profile decides, read off a resolved spec.
type summary struct {
	Replicas         int32
	Strategy         string
	Analysis         bool
	DatabaseSize     string
	Autoscaling      *ResolvedAutoscaling
	DisruptionBudget bool
	Spread           bool
	Steps            int
}

func summarize(s *Service) summary {
	return summary{
		Replicas: s.Service.Replicas, Strategy: s.Delivery.Strategy, Analysis: s.Delivery.Analysis != nil,
		DatabaseSize: s.Database.Size, Autoscaling: s.Autoscaling, DisruptionBudget: s.DisruptionBudget,
		Spread: s.Service.Spread, Steps: len(s.Delivery.Steps),
	}
}

func TestResolveServiceProfiles(t *testing.T) {
	p := Platform{PrometheusAddress: "http://prom:9090", Domain: "apps.example.com"}
	base := func() FullStackService {
		return FullStackService{Owner: "team", Service: Workload{Image: "ghcr.io/acme/api:1"}}
	}
	cases := map[string]struct {
		in   func(*FullStackService)
		want summary
	}{
		"Development": {
			in:   func(*FullStackService) {},
			want: summary{Replicas: 1, Strategy: "rollingUpdate", DatabaseSize: "small"},
		},
		"Staging": {
			in:   func(s *FullStackService) { s.Environment = "staging" },
			want: summary{Replicas: 2, Strategy: "canary", DatabaseSize: "small", Steps: 5},
		},
		"Production": {
			in: func(s *FullStackService) { s.Environment = "production" },
			want: summary{Replicas: 3, Strategy: "canary", Analysis: true, DatabaseSize: "medium", Steps: 6,
				Autoscaling: &ResolvedAutoscaling{MinReplicas: 3, MaxReplicas: 10, TargetCPU: 70}, DisruptionBudget: true, Spread: true},
		},
		"ProductionEveryDefaultOverridden": {
			in: func(s *FullStackService) {
				s.Environment = "production"
				s.Service.Replicas = i64(4)
				s.Database.Size = "large"
				s.Delivery = Delivery{Strategy: "blueGreen", Analysis: Analysis{Enabled: b(false)}}
				s.Autoscaling = Autoscaling{Enabled: b(false)}
				s.Availability = Availability{PodDisruptionBudget: b(false), Spread: b(false)}
			},
			want: summary{Replicas: 4, Strategy: "blueGreen", DatabaseSize: "large"},
		},
		"DevelopmentAskingForAutoscaling": {
			in:   func(s *FullStackService) { s.Autoscaling.MaxReplicas = i64(4) },
			want: summary{Replicas: 1, Strategy: "rollingUpdate", DatabaseSize: "small", Autoscaling: &ResolvedAutoscaling{MinReplicas: 1, MaxReplicas: 4, TargetCPU: 70}},
		},
		"AnalysisStepTurnsAnalysisOn": {
			in: func(s *FullStackService) {
				s.Environment = "staging"
				s.Delivery.Steps = []CanaryStep{{SetWeight: i64(25)}, {Analysis: &StepAnalysis{}}, {SetWeight: i64(100)}}
			},
			want: summary{Replicas: 2, Strategy: "canary", Analysis: true, DatabaseSize: "small", Steps: 3},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := base()
			tc.in(&in)
			got, errs := ResolveService(in, p, "orders")
			if len(errs) > 0 {
				t.Fatalf("ResolveService: %v", errs)
			}
			if diff := cmp.Diff(tc.want, summarize(got)); diff != "" {
				t.Errorf("-want, +got:\n%s", diff)
			}
			if got.Service.Autoscaled != (tc.want.Autoscaling != nil) {
				t.Errorf("Autoscaled = %v, want %v", got.Service.Autoscaled, tc.want.Autoscaling != nil)
			}
		})
	}
}

func TestDefaultSteps(t *testing.T) {
	pause := &Pause{Duration: "2m"}
	cases := map[string]struct {
		analysis bool
		want     []ResolvedStep
	}{
		"WithoutAnalysis": {want: []ResolvedStep{{SetWeight: w(10)}, {Pause: pause}, {SetWeight: w(50)}, {Pause: pause}, {SetWeight: w(100)}}},
		"WithAnalysis": {analysis: true,
			want: []ResolvedStep{{SetWeight: w(10)}, {Pause: pause}, {Analysis: true}, {SetWeight: w(50)}, {Pause: pause}, {SetWeight: w(100)}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, DefaultSteps(tc.analysis)); diff != "" {
				t.Errorf("-want, +got:\n%s", diff)
			}
		})
	}
}

func TestPlatformDefaults(t *testing.T) {
	cases := map[string]struct {
		image, registry, host, domain string
		wantImage, wantHost           string
	}{
		"RegistryPrefixesABareImage":        {image: "orders:1.2", registry: "ghcr.io/acme", wantImage: "ghcr.io/acme/orders:1.2", host: "o.example.com", wantHost: "o.example.com"},
		"RegistryPrefixesAPath":             {image: "team/orders:1.2", registry: "registry.local:5000/", wantImage: "registry.local:5000/team/orders:1.2", host: "o.example.com", wantHost: "o.example.com"},
		"ImageWithRegistryIsKept":           {image: "quay.io/acme/orders:1.2", registry: "ghcr.io/acme", wantImage: "quay.io/acme/orders:1.2", host: "o.example.com", wantHost: "o.example.com"},
		"LocalhostIsARegistry":              {image: "localhost/orders", registry: "ghcr.io/acme", wantImage: "localhost/orders", host: "o.example.com", wantHost: "o.example.com"},
		"NoRegistryKeepsTheImage":           {image: "orders:1.2", wantImage: "orders:1.2", host: "o.example.com", wantHost: "o.example.com"},
		"DomainGivesTheHost":                {image: "orders:1.2", wantImage: "orders:1.2", domain: "apps.example.com", wantHost: "orders.apps.example.com"},
		"TheXRHostWinsOverTheDomainDefault": {image: "orders:1.2", wantImage: "orders:1.2", domain: "apps.example.com", host: "orders.example.com", wantHost: "orders.example.com"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := FullStackService{Owner: "team", Service: Workload{Image: tc.image}, Ingress: Ingress{Host: tc.host}}
			got, errs := ResolveService(in, Platform{ImageRegistry: tc.registry, Domain: tc.domain}, "orders")
			if len(errs) > 0 {
				t.Fatalf("ResolveService: %v", errs)
			}
			if got.Service.Image != tc.wantImage || got.Ingress.Host != tc.wantHost {
				t.Errorf("image %q host %q, want %q and %q", got.Service.Image, got.Ingress.Host, tc.wantImage, tc.wantHost)
			}
		})
	}
}

// TestServiceXRDMatchesCode keeps the XFullStackService XRD's enums and
// defaults in step with the code.
func TestServiceXRDMatchesCode(t *testing.T) {
	props, strs := xrdSpec(t, "xfullstackservice/definition.yaml")
	step, _, _ := unstructured.NestedMap(props("delivery", "steps"), "items", "properties")
	cases := map[string]struct{ want, got any }{
		"environment enum":    {ServiceEnvironments, strs(props("environment")["enum"])},
		"environment default": {DefaultEnvironment, props("environment")["default"]},
		"strategy enum":       {Strategies, strs(props("delivery", "strategy")["enum"])},
		"strategy has no default (the profile decides)": {nil, props("delivery", "strategy")["default"]},
		"size has no default (the profile decides)":     {nil, props("database", "size")["default"]},
		"size enum":          {Sizes, strs(props("database", "size")["enum"])},
		"engine enum":        {Engines, strs(props("database", "engine")["enum"])},
		"provider enum":      {Providers, strs(props("database", "provider")["enum"])},
		"version enum":       {PostgresVersions, strs(props("database", "version")["enum"])},
		"protection enum":    {Protections, strs(props("database", "protection")["enum"])},
		"service image":      {ImagePattern, props("service", "image")["pattern"]},
		"service port":       {float64(DefaultServicePort), props("service", "port")["default"]},
		"service health":     {DefaultServiceHealth, props("service", "healthPath")["default"]},
		"frontend port":      {float64(DefaultFrontendPort), props("frontend", "port")["default"]},
		"metrics path":       {DefaultMetricsPath, props("monitoring", "path")["default"]},
		"pause duration":     {DurationPattern, step["pause"].(map[string]any)["properties"].(map[string]any)["duration"].(map[string]any)["pattern"]},
		"analysis interval":  {DurationPattern, props("delivery", "analysis", "interval")["pattern"]},
		"max weight":         {float64(100), step["setWeight"].(map[string]any)["maximum"]},
		"max replicas":       {float64(MaxReplicas), props("service", "replicas")["maximum"]},
		"max autoscaling":    {float64(MaxAutoscalingReplicas), props("autoscaling", "maxReplicas")["maximum"]},
		"language pattern":   {LabelValuePattern, props("language")["pattern"]},
		"description length": {float64(MaxDescriptionLength), props("description")["maxLength"]},
		"no autoscaling default (the profile decides)":  {nil, props("autoscaling", "enabled")["default"]},
		"no availability default (the profile decides)": {nil, props("availability", "podDisruptionBudget")["default"]},
	}
	for name, tc := range cases {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s: -code, +XRD:\n%s", name, diff)
		}
	}
}

// TestREADMEProfileTable keeps the README's environment profile table in
// step with Profiles.
func TestREADMEProfileTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	onOff := func(v bool) string {
		if v {
			return "on"
		}
		return "off"
	}
	want := map[string]string{}
	for env, p := range Profiles {
		want[env] = fmt.Sprintf("| %s | %d | %s | %s | %s | %s | %s | %s |", env, p.Replicas, p.Strategy, onOff(p.Analysis),
			p.DatabaseSize, onOff(p.Autoscaling), onOff(p.DisruptionBudget), onOff(p.Spread))
	}
	got := map[string]string{}
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "| Environment | Replicas | Strategy |"):
			in = true
		case in && strings.HasPrefix(line, "|---"):
		case in && strings.HasPrefix(line, "| "):
			got[strings.TrimSpace(strings.Split(line, "|")[1])] = line
		default:
			in = false
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README profile table: -code, +README:\n%s", diff)
	}
}
