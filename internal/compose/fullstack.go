package compose

import (
	"encoding/json"
	"fmt"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fullstack-fn/function-fullstack/internal/build"
	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/ready"
	"github.com/fullstack-fn/function-fullstack/internal/spec"
)

// Names of the resources composed for an XFullStackService, besides the
// frontend, Ingress and database ones it shares with XNodeApp. They never
// change for the life of an XR. The service runs as a Deployment or a
// Rollout, each under its own name, so a change of strategy never turns one
// kind into the other in place.
const (
	ResServiceDeployment resource.Name = "service-deployment"
	ResServiceRollout    resource.Name = "service-rollout"
	ResService           resource.Name = "service"
	ResServiceCanary     resource.Name = "service-canary"
	ResServicePreview    resource.Name = "service-preview"
	ResAnalysisTemplate  resource.Name = "analysis-template"
	ResAutoscaler        resource.Name = "autoscaler"
	ResDisruptionBudget  resource.Name = "disruption-budget"
	ResServiceMonitor    resource.Name = "service-monitor"
	ResDatabaseMonitor   resource.Name = "database-monitor"
)

// AnnotationWorkload on the stable Service names the kind that serves it:
// Deployment or Rollout. Its change is also what makes Argo Rollouts
// revisit the Service when a Rollout retires (see retireRollout).
const AnnotationWorkload = "fullstack.io/workload"

// RolloutHashLabel is the selector key Argo Rollouts adds to the Services a
// Rollout manages, pointing them at one ReplicaSet.
const RolloutHashLabel = "rollouts-pod-template-hash"

var (
	deploymentGK = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	rolloutGK    = schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}
)

// FullStackService plans an XFullStackService: the service as a Deployment
// or an Argo Rollout behind its Services, an optional frontend, an Ingress,
// the analysis, autoscaler, disruption budget and monitors its environment
// asks for, and a database with its connection Secret.
//
// A change between rollingUpdate and canary or blueGreen hands the running
// pods over rather than replacing them: the old workload stays composed,
// and the Service keeps selecting its pods, until the new one is ready.
func FullStackService(r Request) (*Plan, error) {
	var in spec.FullStackService
	specMap, _ := r.XR.Object["spec"].(map[string]any)
	if err := spec.Decode(specMap, &in); err != nil {
		return nil, FieldErrors{err}
	}
	base, _ := appName(r.XR)
	svc, errs := spec.ResolveService(in, r.Platform, names.For(base).Base)
	if len(errs) > 0 {
		return nil, FieldErrors(errs)
	}
	m, err := target(r.XR, svc.Environment, svc.Owner)
	if err != nil {
		return nil, err
	}
	m.ExtraLabels = map[string]string{}
	if svc.Language != "" {
		m.ExtraLabels[build.LabelLanguage] = svc.Language
	}
	if svc.Framework != "" {
		m.ExtraLabels[build.LabelFramework] = svc.Framework
	}
	if svc.Description != "" {
		m.Annotations = map[string]string{build.AnnotationDescription: svc.Description}
	}
	n := m.Names

	plan := &Plan{}
	var addErr error
	put := func(name resource.Name, u *composed.Unstructured, err error) {
		if addErr == nil && err != nil {
			addErr = err
		}
		if err == nil {
			plan.Resources = append(plan.Resources, Resource{Name: name, Object: u})
		}
	}
	// add takes a typed Kubernetes object, addCRD a local struct of a
	// custom resource.
	add := func(name resource.Name, obj runtime.Object) { u, err := build.FromTyped(obj); put(name, u, err) }
	addCRD := func(name resource.Name, obj any) { u, err := build.FromCRD(obj); put(name, u, err) }

	env := build.DatabaseEnv(n.DatabaseConnection)
	ingress := ""
	if svc.Ingress.Enabled {
		ingress = n.Ingress
	}
	w := workloadPlan(r, svc)
	workloadKind, workloadAPIVersion := "Deployment", "apps/v1"
	if svc.Delivery.UsesRollout() {
		workloadKind, workloadAPIVersion = "Rollout", build.RolloutAPIVersion
	}

	if w.deployment {
		add(ResServiceDeployment, build.Deployment(m, build.ComponentService, n.Service, svc.Service, env))
	}
	switch {
	case w.retiring != nil:
		addCRD(ResServiceRollout, w.retiring)
	case w.handover:
		addCRD(ResServiceRollout, build.HandoverRollout(m, svc.Service, env))
	case svc.Delivery.UsesRollout():
		addCRD(ResServiceRollout, build.ServiceRollout(m, svc.Service, svc.Delivery, ingress, env))
	}

	stable := trafficService(m, n.Service, build.TrafficStable)
	stable.Annotations = map[string]string{AnnotationWorkload: w.serviceAnnotation}
	add(ResService, stable)
	strategy := svc.Delivery.Strategy
	if strategy == spec.StrategyCanary || w.keepCanary {
		add(ResServiceCanary, trafficService(m, n.Canary, build.TrafficCanary))
	}
	if strategy == spec.StrategyBlueGreen || w.keepPreview {
		add(ResServicePreview, trafficService(m, n.Preview, build.TrafficPreview))
	}
	if a := svc.Delivery.Analysis; a != nil {
		addCRD(ResAnalysisTemplate, build.ServiceAnalysisTemplate(m, *a))
	}
	if a := svc.Autoscaling; a != nil {
		add(ResAutoscaler, build.Autoscaler(m, workloadAPIVersion, workloadKind, *a))
	}
	if svc.DisruptionBudget {
		add(ResDisruptionBudget, build.DisruptionBudget(m))
	}

	routes := []build.Route{{Path: build.FrontendPath, Service: n.Service}}
	front := n.Service
	if fe := svc.Frontend; fe != nil {
		frontendEnv := []corev1.EnvVar{{Name: "API_URL", Value: build.ServiceURL(m, n.Service)}}
		add(ResFrontendDeployment, build.Deployment(m, build.ComponentFrontend, n.Frontend, *fe, frontendEnv))
		add(ResFrontendService, build.Service(m, build.ComponentFrontend, n.Frontend))
		routes = []build.Route{{Path: build.BackendPath, Service: n.Service}, {Path: build.FrontendPath, Service: n.Frontend}}
		front = n.Frontend
	}
	if svc.Ingress.Enabled {
		add(ResIngress, build.Ingress(m, svc.Ingress, routes))
	}
	if svc.Monitoring.Enabled {
		addCRD(ResServiceMonitor, build.ServiceScrape(m, svc.Monitoring.Path))
		if svc.Database.Provider == spec.ProviderCNPG {
			addCRD(ResDatabaseMonitor, build.DatabaseScrape(m))
		}
	}
	if addErr != nil {
		return nil, addErr
	}

	dbStatus, err := composeDatabase(r, m, svc.Database, plan)
	if err != nil {
		return nil, err
	}
	if w.handoverMessage != "" {
		plan.Pending = append(plan.Pending, w.handoverMessage)
	}
	delivery := deliveryStatus(r, svc, workloadKind, n.Service)
	if w.handoverMessage != "" {
		delivery["handover"] = w.handoverMessage
	}
	plan.Status = map[string]any{
		"url":      build.URL(m, svc.Ingress, front),
		"database": dbStatus,
		"delivery": delivery,
	}
	return plan, nil
}

func trafficService(m build.Meta, name, traffic string) *corev1.Service {
	s := build.Service(m, build.ComponentService, name)
	s.Labels[build.LabelTraffic] = traffic
	return s
}

// workload is what the function composes for the service's pods, decided
// from the strategy and what is observed.
type workload struct {
	// deployment composes the Deployment.
	deployment bool
	// handover composes the Rollout in its handover form: a Deployment
	// still serves and the Rollout is not yet Healthy.
	handover bool
	// retiring is the Rollout kept while a Deployment takes over; nil when
	// there is none.
	retiring *build.Rollout
	// keepCanary and keepPreview keep a retiring Rollout's Services, which
	// Argo Rollouts' own objects (a canary Ingress) may still reference.
	keepCanary, keepPreview bool
	// serviceAnnotation is the value of AnnotationWorkload.
	serviceAnnotation string
	// handoverMessage says what a handover waits for; empty when none runs.
	handoverMessage string
}

// workloadPlan decides between a Deployment and a Rollout, and hands over
// between them without a moment in which the stable Service selects no
// ready pod:
//
// rollingUpdate → canary/blueGreen: the Deployment stays while a Rollout in
// its handover form (a plain canary that manages no Service) starts its
// pods. The stable Service selects the pods of both. Once the Rollout is
// Healthy the Deployment goes and the Rollout gets its full strategy, from
// when on Argo Rollouts points the stable Service at the Rollout's pods.
//
// canary/blueGreen → rollingUpdate: the Deployment starts and the Rollout
// stays, first in the handover form (so it no longer manages the Service),
// then, once Argo Rollouts has seen that, the Service's annotation changes,
// so Argo Rollouts revisits the Service and removes its pod-hash selector.
// The Rollout goes only when the Deployment is ready and the Service no
// longer carries that selector; until then the Rollout's pods serve.
func workloadPlan(r Request, svc *spec.Service) workload {
	obsDeployment := observedObject(r, ResServiceDeployment)
	obsRollout := observedObject(r, ResServiceRollout)
	deploymentReady := obsDeployment != nil && ready.Of(deploymentGK, obsDeployment, ready.Options{}).Ready
	rolloutReady := obsRollout != nil && ready.Of(rolloutGK, obsRollout, ready.Options{}).Ready

	if svc.Delivery.UsesRollout() {
		w := workload{serviceAnnotation: "Rollout"}
		if obsDeployment != nil && !rolloutReady {
			w.deployment, w.handover = true, true
			w.handoverMessage = fmt.Sprintf("handover (Deployment %s keeps serving until the Rollout of the same name is Healthy; then the Deployment is removed)",
				obsDeployment.GetName())
		}
		return w
	}

	w := workload{deployment: true, serviceAnnotation: "Deployment"}
	if obsRollout == nil {
		return w
	}
	retired := isHandoverForm(obsRollout) && ready.ReadRollout(obsRollout).Current
	if !retired {
		w.serviceAnnotation = "Rollout"
	}
	hashSelector := false
	if s := observedObject(r, ResService); s != nil {
		_, hashSelector, _ = unstructured.NestedString(s.Object, "spec", "selector", RolloutHashLabel)
	}
	if deploymentReady && retired && !hashSelector {
		return w // The Deployment serves alone; the Rollout goes.
	}
	w.retiring = retireRollout(obsRollout)
	w.keepCanary = observedObject(r, ResServiceCanary) != nil
	w.keepPreview = observedObject(r, ResServicePreview) != nil
	wait := "the Deployment to be ready"
	switch {
	case !retired:
		wait = "the Rollout controller to release the Service"
	case hashSelector:
		wait = "Argo Rollouts to remove the " + RolloutHashLabel + " selector from the Service"
	}
	w.handoverMessage = fmt.Sprintf("handover (Rollout %s keeps serving until the Deployment of the same name is ready and the Service selects its pods; waiting for %s)",
		obsRollout.GetName(), wait)
	return w
}

func observedObject(r Request, n resource.Name) *unstructured.Unstructured {
	if o := r.observed(n); o != nil && len(o.Object) > 0 {
		return &o.Unstructured
	}
	return nil
}

// isHandoverForm says whether an observed Rollout manages no Service: a
// canary without stable and canary Services, and no blueGreen.
func isHandoverForm(u *unstructured.Unstructured) bool {
	if _, bg, _ := unstructured.NestedMap(u.Object, "spec", "strategy", "blueGreen"); bg {
		return false
	}
	stable, _, _ := unstructured.NestedString(u.Object, "spec", "strategy", "canary", "stableService")
	canary, _, _ := unstructured.NestedString(u.Object, "spec", "strategy", "canary", "canaryService")
	return stable == "" && canary == ""
}

// retireRollout returns the observed Rollout in its handover form: its own
// pod template, replicas and metadata, and a strategy that manages no
// Service. A template change made together with the switch is the
// Deployment's to roll out, not the retiring Rollout's.
func retireRollout(u *unstructured.Unstructured) *build.Rollout {
	// An observed object came from the API server as JSON; it decodes into
	// the Rollout type, whose unknown fields are ignored.
	var ro build.Rollout
	if b, err := json.Marshal(u.Object); err == nil {
		_ = json.Unmarshal(b, &ro)
	}
	out := &build.Rollout{
		APIVersion: build.RolloutAPIVersion,
		Kind:       "Rollout",
		Spec: build.RolloutSpec{
			Replicas:             ro.Spec.Replicas,
			RevisionHistoryLimit: ro.Spec.RevisionHistoryLimit,
			Selector:             ro.Spec.Selector,
			Template:             ro.Spec.Template,
			Strategy:             build.RolloutStrategy{Canary: build.HandoverStrategy()},
		},
	}
	out.Metadata.Name, out.Metadata.Namespace = u.GetName(), u.GetNamespace()
	out.Metadata.Labels = u.GetLabels()
	return out
}

// deliveryStatus is the XR's status.delivery: how the service is delivered
// and where its workload stands, so a person sees a stuck canary.
func deliveryStatus(r Request, svc *spec.Service, workloadKind, name string) map[string]any {
	out := map[string]any{
		"strategy": svc.Delivery.Strategy,
		"workload": workloadKind + " " + name,
		"analysis": svc.Delivery.Analysis != nil,
	}
	switch workloadKind {
	case "Rollout":
		o := observedObject(r, ResServiceRollout)
		if o == nil {
			out["phase"] = "Pending"
			break
		}
		s := ready.ReadRollout(o)
		out["phase"] = s.Phase
		if s.Phase == "" {
			out["phase"] = "Pending"
		}
		if s.Message != "" {
			out["message"] = s.Message
		}
		if s.Step != "" {
			out["step"] = s.Step
		}
	default:
		o := observedObject(r, ResServiceDeployment)
		switch res := ready.Of(deploymentGK, o, ready.Options{}); {
		case o == nil:
			out["phase"] = "Pending"
		case res.Ready:
			out["phase"] = ready.RolloutHealthy
		default:
			out["phase"] = ready.RolloutProgressing
			out["message"] = res.Reason
		}
	}
	return out
}
