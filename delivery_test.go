package main

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/internal/composite"
	"github.com/fullstack-fn/function-fullstack/test/fake"
)

// fullStackService returns a valid XFullStackService with the YAML spec
// fragment override merged into its spec.
func fullStackService(override string) string {
	return withSpec(`apiVersion: platform.fullstack.io/v1alpha1
kind: XFullStackService
metadata: {name: orders, namespace: orders}
spec:
  owner: team-orders
  environment: production
  backend: {image: "ghcr.io/acme/orders:1"}
  ingress: {host: orders.example.com}
`, override)
}

// platformInput is the Input of configuration/xfullstackservice/composition.yaml.
const platformInput = `apiVersion: fullstack.fn.crossplane.io/v1beta1
kind: Input
ingressClassName: nginx
domain: apps.example.com
prometheusAddress: http://prometheus-operated.monitoring:9090
imageRegistry: ghcr.io/acme`

// TestFullStackServiceFatal shows that bad input gets one Fatal result that
// names the field path, and leaves desired state untouched.
func TestFullStackServiceFatal(t *testing.T) {
	noPrometheus := "apiVersion: fullstack.fn.crossplane.io/v1beta1\nkind: Input\ningressClassName: nginx"
	const prefix = `cannot compose XFullStackService "orders": `
	cases := map[string]struct {
		spec  string
		input string
		want  string
	}{
		// The default query reads ingress-nginx's canary label: without
		// nginx traffic routing it is always empty (argo-rollouts v1.9.1
		// rollout/trafficrouting/nginx; ingress-nginx monitor.lua).
		"CanaryAnalysisWithoutIngress": {
			spec: "ingress: {mode: Disabled}\ndelivery: {strategy: canary, analysis: {mode: Enabled}}",
			want: `spec.delivery.analysis.query: Required value: the default query measures ingress-nginx's canary traffic, and this canary has no ingress-nginx traffic routing (spec.ingress.enabled is false), so every measurement would be empty and each release would stop on its analysis; set a PromQL query that measures the canary's pods (such as their request success rate by rollouts_pod_template_hash), or set spec.delivery.analysis.mode to Disabled`,
		},
		"CanaryAnalysisOnTraefik": {
			spec: "ingress: {className: traefik}\ndelivery: {strategy: canary, analysis: {mode: Enabled}}",
			want: `spec.delivery.analysis.query: Required value: the default query measures ingress-nginx's canary traffic, and this canary has no ingress-nginx traffic routing (spec.ingress.className is "traefik", not "nginx"), so every measurement would be empty and each release would stop on its analysis; set a PromQL query that measures the canary's pods (such as their request success rate by rollouts_pod_template_hash), or set spec.delivery.analysis.mode to Disabled`,
		},
		"WeightAbove100": {
			spec: `delivery: {strategy: canary, steps: [{setWeight: 20}, {pause: untilPromoted}, {setWeight: 120}]}`,
			want: `spec.delivery.steps[2].setWeight: Invalid value: 120: must be between 0 and 100, inclusive`,
		},
		"NegativeWeight": {
			spec: `delivery: {strategy: canary, steps: [{setWeight: -5}]}`,
			want: `spec.delivery.steps[0].setWeight: Invalid value: -5: must be between 0 and 100, inclusive`,
		},
		"WeightsNotIncreasing": {
			spec: `delivery: {strategy: canary, steps: [{setWeight: 50}, {pause: 1m}, {setWeight: 20}]}`,
			want: `spec.delivery.steps[2].setWeight: Invalid value: 20: must be greater than the previous weight 50 (spec.delivery.steps[0].setWeight); weights only increase`,
		},
		"StepWithTwoActions": {
			spec: `delivery: {strategy: canary, steps: [{setWeight: 20, pause: untilPromoted}]}`,
			want: `spec.delivery.steps[0]: Invalid value: "2 fields set": a step sets exactly one of setWeight, pause, analysis: true`,
		},
		"BadPauseDuration": {
			spec: `delivery: {strategy: canary, steps: [{setWeight: 20}, {pause: soon}]}`,
			want: `spec.delivery.steps[1].pause: Invalid value: "soon": must be a whole number of seconds, minutes or hours such as 30s, 5m or 1h, or untilPromoted`,
		},
		"AnalysisWithoutPrometheus": {
			spec:  `delivery: {strategy: canary}`,
			input: noPrometheus,
			want: `spec.delivery.analysis.prometheusAddress: Required value: the Prometheus the analysis queries, such as http://prometheus.monitoring:9090; ` +
				`the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input) set no default (prometheusAddress)`,
		},
		"AnalysisStepWhileAnalysisDisabled": {
			spec: `delivery: {strategy: canary, analysis: {mode: Disabled}, steps: [{setWeight: 20}, {analysis: true}]}`,
			want: `spec.delivery.steps[1].analysis: Forbidden: spec.delivery.analysis.mode is Disabled`,
		},
		"BlueGreenWithSteps": {
			spec: `delivery: {strategy: blueGreen, steps: [{setWeight: 20}]}`,
			want: `spec.delivery.steps: Forbidden: only used with spec.delivery.strategy canary; the strategy is blueGreen`,
		},
		"CanaryWithPromotion": {
			spec: `delivery: {strategy: canary, promotion: Manual}`,
			want: `spec.delivery.promotion: Forbidden: only used with spec.delivery.strategy blueGreen; the strategy is canary`,
		},
		"AnalysisOnRollingUpdate": {
			spec: `delivery: {strategy: rollingUpdate, analysis: {mode: Enabled}}`,
			want: `spec.delivery.analysis.mode: Forbidden: an analysis gates a canary or blueGreen promotion; spec.delivery.strategy is rollingUpdate`,
		},
		"UnknownStrategy": {
			spec: `delivery: {strategy: recreate}`,
			want: `spec.delivery.strategy: Unsupported value: "recreate": supported values: "rollingUpdate", "canary", "blueGreen"`,
		},
		"SuccessRateAboveOne": {
			spec: `delivery: {analysis: {successRate: 99}}`,
			want: `spec.delivery.analysis.successRate: Invalid value: "99": must be a share of successful requests greater than 0 and at most 1, such as 0.99`,
		},
		"FailureLimitNotBelowCount": {
			spec: `delivery: {analysis: {count: 3, failureLimit: 3}}`,
			want: `spec.delivery.analysis.failureLimit: Invalid value: 3: must be less than spec.delivery.analysis.count (3), or the analysis can never fail`,
		},
		"AutoscalingMaxBelowMin": {
			spec: `autoscaling: {minReplicas: 4, maxReplicas: 2}`,
			want: `spec.autoscaling.maxReplicas: Invalid value: 2: must be greater than or equal to spec.autoscaling.minReplicas (4)`,
		},
		"AutoscalingMaxBelowDefaultMin": {
			spec: `{backend: {image: "ghcr.io/acme/orders:1", replicas: 5}, autoscaling: {maxReplicas: 4}}`,
			want: `spec.autoscaling.maxReplicas: Invalid value: 4: must be greater than or equal to spec.autoscaling.minReplicas (5)`,
		},
		"AutoscalingBoundWhileDisabled": {
			spec: `autoscaling: {mode: Disabled, maxReplicas: 4}`,
			want: `spec.autoscaling.maxReplicas: Forbidden: spec.autoscaling.mode is Disabled`,
		},
		"XNodeAppEnvironment": {
			spec: `environment: qa`,
			want: `spec.environment: Unsupported value: "qa": supported values: "development", "staging", "production"`,
		},
		"LanguageNotOffered": {
			spec: `language: "C++"`,
			want: `spec.language: Unsupported value: "C++": supported values: "nodejs", "typescript", "python", "go", "java", "kotlin", "dotnet", "ruby", "php", "rust", "other"`,
		},
		"AnalysisStepWhileAnalysisModeDisabled": {
			spec: `delivery: {strategy: canary, analysis: {mode: Disabled}, steps: [{setWeight: 20}, {analysis: true}]}`,
			want: `spec.delivery.steps[1].analysis: Forbidden: spec.delivery.analysis.mode is Disabled`,
		},
		"BlueGreenAnalysisWithoutQuery": {
			spec: `delivery: {strategy: blueGreen, analysis: {mode: Enabled}}`,
			want: `spec.delivery.analysis.query: Required value: a blueGreen preview receives no ingress traffic, so there is no default query; ` +
				`set a PromQL query that measures the preview (such as your smoke tests' success rate), or set spec.delivery.analysis.mode to Disabled`,
		},
		"PromotionWithCanary": {
			spec: `delivery: {strategy: canary, promotion: Manual}`,
			want: `spec.delivery.promotion: Forbidden: only used with spec.delivery.strategy blueGreen; the strategy is canary`,
		},
		"AutoscalingBoundWhileModeDisabled": {
			spec: `autoscaling: {mode: Disabled, maxReplicas: 4}`,
			want: `spec.autoscaling.maxReplicas: Forbidden: spec.autoscaling.mode is Disabled`,
		},
		"UnknownSwitch": {
			spec: `availability: {mode: Sometimes}`,
			want: `spec.availability.mode: Unsupported value: "Sometimes": supported values: "Default", "Enabled", "Disabled"`,
		},
		"SpreadNotASwitch": {
			spec: `availability: {spread: Always}`,
			want: `spec.availability.spread: Unsupported value: "Always": supported values: "Default", "Enabled", "Disabled"`,
		},
		"PodDisruptionBudgetNotASwitch": {
			spec: `availability: {podDisruptionBudget: "true"}`,
			want: `spec.availability.podDisruptionBudget: Unsupported value: "true": supported values: "Default", "Enabled", "Disabled"`,
		},
		"IngressModeNotASwitch": {
			spec: `ingress: {mode: "false", host: orders.example.com}`,
			want: `spec.ingress.mode: Unsupported value: "false": supported values: "Default", "Enabled", "Disabled"`,
		},
		"TLSModeYAMLBoolean": { // YAML 1.1 reads an unquoted On as true
			spec: `ingress: {host: orders.example.com, tls: {mode: On, issuerName: le}}`,
			want: `spec.ingress.tls.mode: Invalid value: "bool": must be of type string`,
		},
		"MonitoringModeNotASwitch": {
			spec: `monitoring: {mode: enabled}`,
			want: `spec.monitoring.mode: Unsupported value: "enabled": supported values: "Default", "Enabled", "Disabled"`,
		},
		"FrontendModeNotASwitch": {
			spec: `frontend: {mode: Hidden, image: ghcr.io/acme/web:1}`,
			want: `spec.frontend.mode: Unsupported value: "Hidden": supported values: "Default", "Enabled", "Disabled"`,
		},
		"FrontendEnabledWithoutImage": {
			spec: `frontend: {mode: Enabled}`,
			want: `spec.frontend.image: Required value: the frontend's container image, required when spec.frontend.mode is Enabled`,
		},
		"NoHostAndNoDomain": {
			spec:  `{ingress: {host: ""}, delivery: {strategy: rollingUpdate}}`,
			input: noPrometheus,
			want:  `spec.ingress.host: Required value: a DNS name such as shop.example.com, or set spec.ingress.mode to Disabled, or a domain in the platform settings (data.fullstack of the EnvironmentConfigs the Composition selects, or its function Input)`,
		},
		"ServiceWritablePathDuplicated": {
			spec: `backend: {image: "ghcr.io/acme/orders:1", writablePaths: [/var/cache/app, /var/cache/app]}`,
			want: `spec.backend.writablePaths[1]: Duplicate value: "/var/cache/app"`,
		},
		"FrontendWritablePathRoot": {
			spec: `frontend: {image: "ghcr.io/acme/web:1", writablePaths: [/]}`,
			want: `spec.frontend.writablePaths[0]: Invalid value: "/": must be an absolute, clean directory path such as /app/.next/cache (no . or .. parts, no trailing /)`,
		},
		"NetworkPoliciesBoolean": {
			spec: `networkPolicies: true`,
			want: `spec.networkPolicies: Invalid value: "bool": must be of type string`,
		},
		"EngineNotPostgres": {
			spec: `database: {engine: mysql}`,
			want: `spec.database.engine: Unsupported value: "mysql": supported values: "postgres"`,
		},
	}
	earlier := map[string]*fnv1.Resource{"from-an-earlier-step": {Resource: mustStruct(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}")}}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			input := platformInput
			if tc.input != "" {
				input = tc.input
			}
			req := &fnv1.RunFunctionRequest{
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: mustStruct(t, fullStackService(tc.spec))}},
				Desired:  &fnv1.State{Resources: earlier},
				Input:    mustStruct(t, input),
			}
			rsp := run(t, req)
			if diff := cmp.Diff([]string{prefix + tc.want}, messages(rsp, fnv1.Severity_SEVERITY_FATAL)); diff != "" {
				t.Errorf("fatal results: -want, +got:\n%s", diff)
			}
			if diff := cmp.Diff(req.GetDesired(), rsp.GetDesired(), protocmp.Transform()); diff != "" {
				t.Errorf("desired state changed: -want, +got:\n%s", diff)
			}
		})
	}
}

// world is a tiny stand-in for the API server and Crossplane between
// RunFunction calls: it applies desired state the way Crossplane does
// (fake.Apply), deletes what leaves desired state, serves the resources the
// function requires, and lets a test play the controllers with package
// fake, the same statuses the e2e reports.
type world struct {
	t     *testing.T
	xr    map[string]any
	input *structpb.Struct
	// context is what the pipeline's earlier steps leave (the platform's
	// EnvironmentConfigs, through function-environment-configs).
	context     *structpb.Struct
	credentials map[string]*fnv1.Credentials
	observed    map[string]map[string]any
	// cluster holds what controllers created beside the composed
	// resources (Secrets with generated passwords), by namespace/name.
	cluster map[string]map[string]any
	last    *fnv1.RunFunctionResponse
}

// newWorld starts a world for the XR (YAML) with the platform's Input.
func newWorld(t *testing.T, xr string) *world {
	return &world{t: t, xr: readYAML(t, xr), input: mustStruct(t, platformInput)}
}

func (w *world) reconcile() *fnv1.RunFunctionResponse {
	w.t.Helper()
	req := &fnv1.RunFunctionRequest{
		Observed:    &fnv1.State{Composite: &fnv1.Resource{Resource: toStruct(w.t, w.xr)}, Resources: map[string]*fnv1.Resource{}},
		Input:       w.input,
		Context:     w.context,
		Credentials: w.credentials,
	}
	for n, o := range w.observed {
		req.Observed.Resources[n] = &fnv1.Resource{Resource: toStruct(w.t, o)}
	}
	for name, sel := range w.last.GetRequirements().GetResources() {
		items := []*fnv1.Resource{}
		if o, ok := w.cluster[sel.GetNamespace()+"/"+sel.GetMatchName()]; ok && o["kind"] == sel.GetKind() {
			items = append(items, &fnv1.Resource{Resource: toStruct(w.t, o)})
		}
		if req.RequiredResources == nil {
			req.RequiredResources = map[string]*fnv1.Resources{}
		}
		req.RequiredResources[name] = &fnv1.Resources{Items: items}
	}
	rsp := run(w.t, req)
	if f := messages(rsp, fnv1.Severity_SEVERITY_FATAL); len(f) > 0 {
		w.t.Fatalf("RunFunction: %v", f)
	}
	next := map[string]map[string]any{}
	for n, r := range rsp.GetDesired().GetResources() {
		if msg := fake.Refused(w.observed[n], r.GetResource().AsMap()); msg != "" {
			w.t.Fatalf("the API server refuses %s: %s", n, msg)
		}
		next[n] = fake.Apply(w.observed[n], r.GetResource().AsMap())
	}
	w.observed = next
	w.last = rsp
	return rsp
}

// report plays the controller of every composed resource once it is
// healthy: the statuses and Secrets the e2e reports too.
func (w *world) report() {
	for n, o := range w.observed {
		// A provider writes the external name and late-initialized fields
		// into metadata and spec (fake.Provider) before its status.
		o, _ = fake.Provider(o)
		w.observed[n] = o
		status, created, ok := fake.Report(o, time.Now())
		if !ok {
			continue
		}
		o["status"] = status
		for _, c := range created {
			m := c["metadata"].(map[string]any)
			if w.cluster == nil {
				w.cluster = map[string]map[string]any{}
			}
			// Secrets come back from the API server with data, not
			// stringData.
			data := map[string]any{}
			for k, v := range c["stringData"].(map[string]any) {
				data[k] = base64.StdEncoding.EncodeToString([]byte(v.(string)))
			}
			w.cluster[fmt.Sprint(m["namespace"], "/", m["name"])] = map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": m, "data": data}
		}
	}
}

// deploymentReady plays the Deployment controller: every replica of the
// latest spec available.
func (w *world) deploymentReady() {
	d := w.observed[string(composite.ResServiceDeployment)]
	d["status"] = fake.Deployment(d, time.Now())
}

// rolloutHealthy plays the Rollout controller: the latest spec is observed
// and Healthy, and the Services the Rollout manages point at its pods.
func (w *world) rolloutHealthy() {
	r := w.observed[string(composite.ResServiceRollout)]
	r["status"] = fake.Rollout(r)
	for _, name := range fake.RolloutServices(r) {
		for _, o := range w.observed {
			if o["kind"] == "Service" && (&unstructured.Unstructured{Object: o}).GetName() == name {
				fake.PointService(o)
			}
		}
	}
}

// argoServiceSync plays Argo Rollouts' Service controller after a Service
// event: a Service no Rollout manages loses the pod-hash selector.
func (w *world) argoServiceSync() {
	managed := map[string]bool{}
	if r, ok := w.observed[string(composite.ResServiceRollout)]; ok {
		for _, name := range fake.RolloutServices(r) {
			managed[name] = true
		}
	}
	for _, o := range w.observed {
		if o["kind"] == "Service" && !managed[(&unstructured.Unstructured{Object: o}).GetName()] {
			fake.ReleaseService(o)
		}
	}
}

// serving says which workload's pods the stable Service sends traffic to,
// or why none.
func (w *world) serving() string {
	svc, ok := w.observed[string(composite.ResStableService)]
	if !ok {
		return "no Service"
	}
	var who []string
	_, hashed, _ := unstructured.NestedString(svc, "spec", "selector", composite.RolloutHashLabel)
	if r, ok := w.observed[string(composite.ResServiceRollout)]; ok {
		if p, _, _ := unstructured.NestedString(r, "status", "phase"); p == "Healthy" {
			who = append(who, "Rollout")
		}
	}
	if d, ok := w.observed[string(composite.ResServiceDeployment)]; ok && !hashed {
		if n, _ := fake.Num(d, "status", "availableReplicas"); n > 0 {
			who = append(who, "Deployment")
		}
	}
	if len(who) == 0 {
		return "no ready pods"
	}
	return strings.Join(who, "+")
}

// workloadNames are the resources a change of strategy touches.
var workloadNames = map[string]bool{
	"service-deployment": true, "service-rollout": true, "service": true, "service-canary": true,
	"service-preview": true, "analysis-template": true, "ingress": true,
}

// TestSwitchStrategy switches a running service from rollingUpdate to
// canary and back, playing the controllers in between, and shows at every
// step what runs, which pods the Ingress's Service sends traffic to, and
// that the Service and Ingress never leave desired state.
func TestSwitchStrategy(t *testing.T) {
	w := newWorld(t, fullStackService(`delivery: {strategy: rollingUpdate}`))
	type want struct {
		resources  []string
		handover   string // A substring of status.delivery.handover; empty for none.
		annotation string // The stable Service's fullstack.io/workload.
		hpaTarget  string
		serving    string
		// rolloutForm is "handover" for a Rollout that manages no Service,
		// "canary" for the full strategy, empty for no Rollout.
		rolloutForm string
		// leavesSelector: the desired stable Service leaves its selector
		// to Argo Rollouts, which has pointed it at a ReplicaSet (sending
		// one would take it back: the selector is an atomic map).
		leavesSelector bool
	}
	steps := []struct {
		name   string
		before func()
		want   want
	}{{
		name: "rollingUpdate: a Deployment serves",
		before: func() {
			w.reconcile()
			w.deploymentReady()
		},
		want: want{resources: []string{"ingress", "service", "service-deployment"}, annotation: "Deployment", hpaTarget: "Deployment", serving: "Deployment"},
	}, {
		name:   "switched to canary: the Deployment keeps serving while the Rollout starts",
		before: func() { w.xr = readYAML(t, fullStackService(`delivery: {strategy: canary}`)) },
		want: want{
			resources:  []string{"analysis-template", "ingress", "service", "service-canary", "service-deployment", "service-rollout"},
			handover:   "Deployment orders keeps serving until the Rollout of the same name is Healthy",
			annotation: "Rollout", hpaTarget: "Rollout", serving: "Deployment", rolloutForm: "handover",
		},
	}, {
		name:   "the Rollout is Healthy: the Deployment goes, the Rollout gets its canary",
		before: func() { w.rolloutHealthy() },
		want: want{
			resources:  []string{"analysis-template", "ingress", "service", "service-canary", "service-rollout"},
			annotation: "Rollout", hpaTarget: "Rollout", serving: "Rollout+Deployment", rolloutForm: "canary",
		},
	}, {
		name:   "Argo Rollouts manages the Service: only the Rollout's pods serve",
		before: func() { w.rolloutHealthy() },
		want: want{
			resources:  []string{"analysis-template", "ingress", "service", "service-canary", "service-rollout"},
			annotation: "Rollout", hpaTarget: "Rollout", serving: "Rollout", rolloutForm: "canary", leavesSelector: true,
		},
	}, {
		name:   "switched back to rollingUpdate: the Rollout keeps serving and releases the Service",
		before: func() { w.xr = readYAML(t, fullStackService(`delivery: {strategy: rollingUpdate}`)) },
		want: want{
			resources:  []string{"ingress", "service", "service-canary", "service-deployment", "service-rollout"},
			handover:   "waiting for the Rollout controller to release the Service",
			annotation: "Rollout", hpaTarget: "Deployment", serving: "Rollout", rolloutForm: "handover",
		},
	}, {
		name:   "the Rollout controller released the Service, whose selector the function already released; the Deployment is not ready yet",
		before: func() { w.rolloutHealthy() },
		want: want{
			resources:  []string{"ingress", "service", "service-canary", "service-deployment", "service-rollout"},
			handover:   "waiting for the Deployment to be ready",
			annotation: "Deployment", hpaTarget: "Deployment", serving: "Rollout", rolloutForm: "handover",
		},
	}, {
		name:   "Argo Rollouts' Service sync finds no selector of its own: both serve until the Deployment is ready",
		before: func() { w.argoServiceSync() },
		want: want{
			resources:  []string{"ingress", "service", "service-canary", "service-deployment", "service-rollout"},
			handover:   "waiting for the Deployment to be ready",
			annotation: "Deployment", hpaTarget: "Deployment", serving: "Rollout", rolloutForm: "handover",
		},
	}, {
		name:   "the Deployment is ready: the Rollout goes",
		before: func() { w.deploymentReady() },
		want:   want{resources: []string{"ingress", "service", "service-deployment"}, annotation: "Deployment", hpaTarget: "Deployment", serving: "Rollout+Deployment"},
	}, {
		name:   "rollingUpdate again: the Deployment serves alone",
		before: func() {},
		want:   want{resources: []string{"ingress", "service", "service-deployment"}, annotation: "Deployment", hpaTarget: "Deployment", serving: "Deployment"},
	}}
	for i, s := range steps {
		s.before()
		// What serves while the function decides: the state before this
		// reconcile, which must never be without ready pods.
		servingBefore := w.serving()
		rsp := w.reconcile()
		t.Run(fmt.Sprintf("%d %s", i, s.name), func(t *testing.T) {
			desired := rsp.GetDesired().GetResources()
			var got []string
			for n := range desired {
				if workloadNames[n] {
					got = append(got, n)
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(s.want.resources, got); diff != "" {
				t.Errorf("workload resources: -want, +got:\n%s", diff)
			}
			if servingBefore != s.want.serving {
				t.Errorf("serving before the reconcile: want %s, got %s", s.want.serving, servingBefore)
			}
			// The Ingress routes to the stable Service, which stays with
			// the same name and pod selector throughout (left to Argo
			// Rollouts while its Rollout manages the Service).
			if got := valueAt(rsp, "ingress", "spec", "rules"); !strings.Contains(fmt.Sprint(got), "name:orders port") {
				t.Errorf("the Ingress does not route to Service orders: %v", got)
			}
			var selector any = map[string]any{"app.kubernetes.io/component": "service", "app.kubernetes.io/instance": "orders"}
			if s.want.leavesSelector {
				selector = nil
			}
			if diff := cmp.Diff(selector, valueAt(rsp, "service", "spec", "selector")); diff != "" {
				t.Errorf("stable Service selector: -want, +got:\n%s", diff)
			}
			if got := valueAt(rsp, "service", "metadata", "annotations", composite.AnnotationWorkload); got != s.want.annotation {
				t.Errorf("stable Service %s: want %s, got %v", composite.AnnotationWorkload, s.want.annotation, got)
			}
			if got := valueAt(rsp, "autoscaler", "spec", "scaleTargetRef", "kind"); got != s.want.hpaTarget {
				t.Errorf("autoscaler target: want %s, got %v", s.want.hpaTarget, got)
			}
			form := ""
			if _, ok := desired["service-rollout"]; ok {
				form = "handover"
				if valueAt(rsp, "service-rollout", "spec", "strategy", "canary", "stableService") != nil {
					form = "canary"
				}
			}
			if form != s.want.rolloutForm {
				t.Errorf("Rollout form: want %q, got %q", s.want.rolloutForm, form)
			}
			handover, _, _ := unstructured.NestedString(rsp.GetDesired().GetComposite().GetResource().AsMap(), "status", "delivery", "handover")
			switch {
			case s.want.handover == "" && handover != "":
				t.Errorf("unexpected handover: %s", handover)
			case !strings.Contains(handover, s.want.handover):
				t.Errorf("handover: want it to contain %q, got %q", s.want.handover, handover)
			}
		})
	}
}

// TestFullStackServiceClaim composes a LegacyCluster XFullStackService that
// a FullStackService claim created: into the claim's namespace, under the
// claim's name, with the connection details on the XR (and so the claim).
func TestFullStackServiceClaim(t *testing.T) {
	xr := `apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: XFullStackService
metadata:
  name: orders-x7k2p
  labels: {crossplane.io/claim-name: orders, crossplane.io/claim-namespace: team-orders}
spec:
  owner: team-orders
  backend: {image: orders:1}
  database: {provider: cnpg}
`
	secret := `apiVersion: v1
kind: Secret
metadata: {name: orders-db-app, namespace: team-orders}
data: {username: YXBw, password: c2VjcmV0, dbname: YXBw}`
	req := &fnv1.RunFunctionRequest{
		Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: mustStruct(t, xr)}},
		Input:             mustStruct(t, platformInput),
		RequiredResources: map[string]*fnv1.Resources{"database-password-secret": {Items: []*fnv1.Resource{{Resource: mustStruct(t, secret)}}}},
	}
	rsp := run(t, req)
	if f := messages(rsp, fnv1.Severity_SEVERITY_FATAL); len(f) > 0 {
		t.Fatalf("RunFunction: %v", f)
	}
	got := map[string]string{}
	for n, r := range rsp.GetDesired().GetResources() {
		m := r.GetResource().AsMap()["metadata"].(map[string]any)
		got[n] = fmt.Sprint(m["namespace"], "/", m["name"])
	}
	want := map[string]string{
		"service-deployment": "team-orders/orders", "service": "team-orders/orders", "ingress": "team-orders/orders",
		"database": "team-orders/orders-db", "database-connection": "team-orders/orders-db-connection",
		"network-policy-api": "team-orders/orders", "network-policy-database": "team-orders/orders-db",
		"service-account": "team-orders/orders",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("composed objects: -want, +got:\n%s", diff)
	}
	if got := valueAt(rsp, "service-deployment", "spec", "template", "spec", "containers"); !strings.Contains(fmt.Sprint(got), "image:ghcr.io/acme/orders:1") {
		t.Errorf("the image does not come from the platform registry: %v", got)
	}
	if got := valueAt(rsp, "ingress", "spec", "rules"); !strings.Contains(fmt.Sprint(got), "host:orders.apps.example.com") {
		t.Errorf("the host is not <claim name>.<domain>: %v", got)
	}
	var keys []string
	for k := range rsp.GetDesired().GetComposite().GetConnectionDetails() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if diff := cmp.Diff([]string{"dbname", "host", "jdbcUrl", "password", "port", "sslmode", "sslrootcert", "uri", "username"}, keys); diff != "" {
		t.Errorf("XR connection details: -want, +got:\n%s", diff)
	}
}

// TestWhatABackstageFormWrites composes an XNodeApp as TeraSky's
// claim-template action writes it: no spec.owner (the OwnerPicker's entity
// reference is an annotation), no host, and empty values dropped.
func TestWhatABackstageFormWrites(t *testing.T) {
	xr := `apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata:
  name: shop
  namespace: shop
  annotations: {terasky.backstage.io/owner: "group:default/team-shop", terasky.backstage.io/add-to-catalog: "true"}
spec:
  environment: development
  frontend: {image: ghcr.io/acme/shop-web:1.0.0}
  backend: {image: ghcr.io/acme/shop-api:1.0.0}
  ingress: {mode: Enabled}
`
	req := (exampleOf("xnodeapp", "nothing-exists")).request(t)
	req.Observed.Composite.Resource = mustStruct(t, xr)
	rsp := run(t, req)
	if f := messages(rsp, fnv1.Severity_SEVERITY_FATAL); len(f) > 0 {
		t.Fatalf("RunFunction: %v", f)
	}
	got := map[string]any{
		"owner label":     valueAt(rsp, "backend-deployment", "metadata", "labels", "fullstack.io/owner"),
		"owner reference": valueAt(rsp, "backend-deployment", "metadata", "annotations", "fullstack.io/owner-ref"),
		"pod owner label": valueAt(rsp, "backend-deployment", "spec", "template", "metadata", "labels", "fullstack.io/owner"),
	}
	want := map[string]any{
		"owner label":     "team-shop",
		"owner reference": "group:default/team-shop",
		"pod owner label": "team-shop",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("-want, +got:\n%s", diff)
	}
	if rules := fmt.Sprint(valueAt(rsp, "ingress", "spec", "rules")); !strings.Contains(rules, "host:shop.apps.example.com") {
		t.Errorf("the Ingress host is not <name>.<domain>: %v", rules)
	}
}

// A Service a Rollout manages from the start has no selector until Argo
// Rollouts sets one. The function never sends one for it: a selector
// computed from a view older than Argo's switch would overwrite Argo's
// (Crossplane applies with force, and the selector is an atomic map), and
// the Service would select no ReplicaSet until Argo's next resync (seen in
// the e2e as an active Service stuck without its pod-template hash).
func TestRolloutFromTheStartLeavesTheSelectorToArgo(t *testing.T) {
	for _, strategy := range []string{"blueGreen", "canary"} {
		t.Run(strategy, func(t *testing.T) {
			w := newWorld(t, fullStackService(`delivery: {strategy: `+strategy+`}`))
			for i, step := range []struct {
				name   string
				before func()
			}{
				{"created: nothing observed yet", func() {}},
				{"observed without a selector: Argo has not switched yet", func() {}},
				{"Argo has pointed the Services at the ReplicaSet", func() { w.rolloutHealthy() }},
			} {
				step.before()
				rsp := w.reconcile()
				for _, svc := range []string{"service", "service-preview", "service-canary"} {
					if _, ok := rsp.GetDesired().GetResources()[svc]; !ok {
						continue
					}
					if got := valueAt(rsp, svc, "spec", "selector"); got != nil {
						t.Errorf("%d %s: desired %s has selector %v, want none (Argo Rollouts sets it)", i, step.name, svc, got)
					}
				}
			}
		})
	}
}

// TestCanaryWithoutNginxRouting shows what a production canary (analysis on
// by default) gets without ingress-nginx in front: no traffic routing (Argo
// would copy another class onto a second Ingress for the same host) and no
// default analysis (its query reads ingress-nginx's canary label, always
// empty then); a query of the team's own keeps the analysis.
func TestCanaryWithoutNginxRouting(t *testing.T) {
	cases := map[string]struct {
		spec                     string
		analysis, trafficRouting bool
	}{
		"Nginx":             {spec: `delivery: {strategy: canary}`, analysis: true, trafficRouting: true},
		"NoIngress":         {spec: "ingress: {mode: Disabled}\ndelivery: {strategy: canary}"},
		"Traefik":           {spec: "ingress: {className: traefik}\ndelivery: {strategy: canary}"},
		"TraefikOwnQuery":   {spec: "ingress: {className: traefik}\ndelivery: {strategy: canary, analysis: {query: 'sum(rate(http_requests_total{code!~\"5..\"}[1m]))/sum(rate(http_requests_total[1m]))'}}", analysis: true},
		"NoIngressOwnQuery": {spec: "ingress: {mode: Disabled}\ndelivery: {strategy: canary, analysis: {mode: Enabled, query: 'vector(1)'}}", analysis: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, fullStackService(tc.spec))
			rsp := w.reconcile()
			_, analysis := rsp.GetDesired().GetResources()[string(composite.ResAnalysisTemplate)]
			routing := valueAt(rsp, string(composite.ResServiceRollout), "spec", "strategy", "canary", "trafficRouting") != nil
			if analysis != tc.analysis || routing != tc.trafficRouting {
				t.Errorf("AnalysisTemplate composed %t, trafficRouting %t; want %t, %t", analysis, routing, tc.analysis, tc.trafficRouting)
			}
		})
	}
}
