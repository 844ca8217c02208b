package resolve

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
)

func w(v int32) *int32 { return &v }

// summary is what an environment profile decides, read off a resolved spec.
type summary struct {
	Replicas         int32
	Strategy         string
	Analysis         bool
	DatabaseSize     string
	Autoscaling      *Autoscaling
	DisruptionBudget bool
	Spread           bool
	Steps            int
}

func summarize(s *FullStackService) summary {
	return summary{
		Replicas: s.Backend.Replicas, Strategy: s.Delivery.Strategy, Analysis: s.Delivery.Analysis != nil,
		DatabaseSize: s.Database.Size, Autoscaling: s.Autoscaling, DisruptionBudget: s.DisruptionBudget,
		Spread: s.Backend.Spread, Steps: len(s.Delivery.Steps),
	}
}

func TestResolveServiceProfiles(t *testing.T) {
	p := Platform{PrometheusAddress: "http://prom:9090", Domain: "apps.example.com"}
	base := func() v1alpha1.XFullStackServiceSpec {
		return v1alpha1.XFullStackServiceSpec{Owner: "team", Backend: v1alpha1.ServiceWorkload{Container: v1alpha1.Container{Image: "ghcr.io/acme/api:1"}}}
	}
	cases := map[string]struct {
		in   func(*v1alpha1.XFullStackServiceSpec)
		want summary
	}{
		"Development": {
			in:   func(*v1alpha1.XFullStackServiceSpec) {},
			want: summary{Replicas: 1, Strategy: "rollingUpdate", DatabaseSize: "small"},
		},
		"Staging": {
			in:   func(s *v1alpha1.XFullStackServiceSpec) { s.Environment = "staging" },
			want: summary{Replicas: 2, Strategy: "canary", DatabaseSize: "small", Steps: 5},
		},
		"Production": {
			in: func(s *v1alpha1.XFullStackServiceSpec) { s.Environment = "production" },
			want: summary{Replicas: 3, Strategy: "canary", Analysis: true, DatabaseSize: "medium", Steps: 6,
				Autoscaling: &Autoscaling{MinReplicas: 3, MaxReplicas: 10, TargetCPU: 70}, DisruptionBudget: true, Spread: true},
		},
		"ProductionEveryDefaultOverridden": {
			in: func(s *v1alpha1.XFullStackServiceSpec) {
				s.Environment = "production"
				s.Backend.Replicas = i64(4)
				s.Database.Size = "large"
				s.Delivery = v1alpha1.Delivery{Strategy: "blueGreen", Analysis: v1alpha1.Analysis{Mode: "Disabled"}}
				s.Autoscaling = v1alpha1.Autoscaling{Mode: "Disabled"}
				s.Availability = v1alpha1.Availability{PodDisruptionBudget: v1alpha1.SwitchDisabled, Spread: v1alpha1.SwitchDisabled}
			},
			want: summary{Replicas: 4, Strategy: "blueGreen", DatabaseSize: "large"},
		},
		"ProductionBlueGreenHasNoDefaultAnalysis": {
			// The preview gets no ingress traffic; the profile's analysis
			// needs a query of the XR's own.
			in: func(s *v1alpha1.XFullStackServiceSpec) {
				s.Environment = "production"
				s.Delivery.Strategy = "blueGreen"
			},
			want: summary{Replicas: 3, Strategy: "blueGreen", DatabaseSize: "medium", Autoscaling: &Autoscaling{MinReplicas: 3, MaxReplicas: 10, TargetCPU: 70}, DisruptionBudget: true, Spread: true},
		},
		"ProductionBlueGreenWithAQuery": {
			in: func(s *v1alpha1.XFullStackServiceSpec) {
				s.Environment = "production"
				s.Delivery.Strategy = "blueGreen"
				s.Delivery.Analysis.Query = "min(smoke_test_success_ratio)"
			},
			want: summary{Replicas: 3, Strategy: "blueGreen", Analysis: true, DatabaseSize: "medium", Autoscaling: &Autoscaling{MinReplicas: 3, MaxReplicas: 10, TargetCPU: 70}, DisruptionBudget: true, Spread: true},
		},
		"ProductionModesDisabled": {
			in: func(s *v1alpha1.XFullStackServiceSpec) {
				s.Environment = "production"
				s.Delivery.Analysis.Mode = "Disabled"
				s.Autoscaling.Mode = "Disabled"
				s.Availability.Mode = "Disabled"
			},
			want: summary{Replicas: 3, Strategy: "canary", DatabaseSize: "medium", Steps: 5},
		},
		"DevelopmentModesEnabled": {
			in: func(s *v1alpha1.XFullStackServiceSpec) {
				s.Autoscaling.Mode = "Enabled"
				s.Availability.Mode = "Enabled"
			},
			want: summary{Replicas: 1, Strategy: "rollingUpdate", DatabaseSize: "small",
				Autoscaling: &Autoscaling{MinReplicas: 1, MaxReplicas: 10, TargetCPU: 70}, DisruptionBudget: true, Spread: true},
		},
		"ProductionAutoscalingDisabled": {
			in: func(s *v1alpha1.XFullStackServiceSpec) {
				s.Environment = "production"
				s.Autoscaling = v1alpha1.Autoscaling{Mode: "Disabled"}
			},
			want: summary{Replicas: 3, Strategy: "canary", Analysis: true, DatabaseSize: "medium", Steps: 6, DisruptionBudget: true, Spread: true},
		},
		"DevelopmentAskingForAutoscaling": {
			in:   func(s *v1alpha1.XFullStackServiceSpec) { s.Autoscaling.MaxReplicas = i64(4) },
			want: summary{Replicas: 1, Strategy: "rollingUpdate", DatabaseSize: "small", Autoscaling: &Autoscaling{MinReplicas: 1, MaxReplicas: 4, TargetCPU: 70}},
		},
		"AnalysisStepTurnsAnalysisOn": {
			in: func(s *v1alpha1.XFullStackServiceSpec) {
				s.Environment = "staging"
				s.Delivery.Steps = []v1alpha1.CanaryStep{{SetWeight: i64(25)}, {Analysis: b(true)}, {SetWeight: i64(100)}}
			},
			want: summary{Replicas: 2, Strategy: "canary", Analysis: true, DatabaseSize: "small", Steps: 3},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := base()
			tc.in(&in)
			got, errs := ResolveFullStackService(in, p, Composite{Name: "orders"})
			if len(errs) > 0 {
				t.Fatalf("ResolveService: %v", errs)
			}
			if diff := cmp.Diff(tc.want, summarize(got)); diff != "" {
				t.Errorf("-want, +got:\n%s", diff)
			}
			if got.Backend.Autoscaled != (tc.want.Autoscaling != nil) {
				t.Errorf("Autoscaled = %v, want %v", got.Backend.Autoscaled, tc.want.Autoscaling != nil)
			}
		})
	}
}

func TestDefaultSteps(t *testing.T) {
	pause := &Pause{Duration: "2m"}
	cases := map[string]struct {
		analysis bool
		want     []Step
	}{
		"WithoutAnalysis": {want: []Step{{SetWeight: w(10)}, {Pause: pause}, {SetWeight: w(50)}, {Pause: pause}, {SetWeight: w(100)}}},
		"WithAnalysis": {analysis: true,
			want: []Step{{SetWeight: w(10)}, {Pause: pause}, {Analysis: true}, {SetWeight: w(50)}, {Pause: pause}, {SetWeight: w(100)}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, defaultSteps(tc.analysis)); diff != "" {
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
			in := v1alpha1.XFullStackServiceSpec{Owner: "team", Backend: v1alpha1.ServiceWorkload{Container: v1alpha1.Container{Image: tc.image}}, Ingress: v1alpha1.Ingress{Host: tc.host}}
			got, errs := ResolveFullStackService(in, Platform{ImageRegistry: tc.registry, Domain: tc.domain}, Composite{Name: "orders"})
			if len(errs) > 0 {
				t.Fatalf("ResolveService: %v", errs)
			}
			if got.Backend.Image != tc.wantImage || got.Ingress.Host != tc.wantHost {
				t.Errorf("image %q host %q, want %q and %q", got.Backend.Image, got.Ingress.Host, tc.wantImage, tc.wantHost)
			}
		})
	}
}

// TestDocsProfileTable keeps the environment profile table of
// docs/xfullstackservice.md in step with profiles.
func TestDocsProfileTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/xfullstackservice.md")
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
	for env, p := range profiles {
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
		t.Errorf("docs/xfullstackservice.md profile table: -code, +docs:\n%s", diff)
	}
}

// TestProbePaths shows where each probe's path comes from: the workload's
// own field, the framework's endpoints, else healthPath.
func TestProbePaths(t *testing.T) {
	cases := map[string]struct {
		framework, health, liveness, readiness string
		want                                   [3]string // startup, liveness, readiness
	}{
		"Default":             {want: [3]string{"/healthz", "/healthz", "/healthz"}},
		"HealthPathForAll":    {health: "/health", want: [3]string{"/health", "/health", "/health"}},
		"SpringBoot":          {framework: "spring-boot", health: "/actuator/health", want: [3]string{"/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"}},
		"Quarkus":             {framework: "quarkus", want: [3]string{"/healthz", "/q/health/live", "/q/health/ready"}},
		"OwnPathsWin":         {framework: "spring-boot", liveness: "/live", readiness: "/ready", want: [3]string{"/healthz", "/live", "/ready"}},
		"GinHasNoOwnEndpoint": {framework: "gin", health: "/ping", want: [3]string{"/ping", "/ping", "/ping"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := v1alpha1.XFullStackServiceSpec{Owner: "team", Framework: tc.framework, Backend: v1alpha1.ServiceWorkload{
				Container:  v1alpha1.Container{Image: "ghcr.io/acme/api:1", Pods: v1alpha1.Pods{LivenessPath: tc.liveness, ReadinessPath: tc.readiness}},
				HealthPath: tc.health,
			}}
			got, errs := ResolveFullStackService(in, Platform{Domain: "apps.example.com"}, Composite{Name: "orders"})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if diff := cmp.Diff(tc.want, [3]string{got.Backend.HealthPath, got.Backend.LivenessPath, got.Backend.ReadinessPath}); diff != "" {
				t.Errorf("startup, liveness, readiness: -want, +got:\n%s", diff)
			}
		})
	}
}
