package composite

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/ready"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Names of the resources composed for an XFullStackService, besides the
// frontend, Ingress and database ones it shares with XNodeApp. They never
// change for the life of an XR. The service runs as a Deployment or a
// Rollout, each under its own name, so a change of strategy never turns one
// kind into the other in place.
const (
	ResServiceDeployment pipeline.Name = "service-deployment"
	ResServiceRollout    pipeline.Name = "service-rollout"
	ResStableService     pipeline.Name = "service"
	ResCanaryService     pipeline.Name = "service-canary"
	ResPreviewService    pipeline.Name = "service-preview"
	ResAnalysisTemplate  pipeline.Name = "analysis-template"
	ResAutoscaler        pipeline.Name = "autoscaler"
	ResDisruptionBudget  pipeline.Name = "disruption-budget"
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
	var in v1alpha1.XFullStackServiceSpec
	if err := resolve.DecodeSpec(r.Spec, &in); err != nil {
		return nil, err
	}
	svc, errs := resolve.ResolveFullStackService(in, r.Platform, resolveTarget(r.XR))
	if len(errs) > 0 {
		return nil, resolve.FieldErrors(errs)
	}
	m, err := target(r.XR, svc.Environment, svc.Owner)
	if err != nil {
		return nil, err
	}
	m.Identity = svc.Identity
	m.ExtraLabels = map[string]string{}
	if svc.Language != "" {
		m.ExtraLabels[objects.LabelLanguage] = svc.Language
	}
	if svc.Framework != "" {
		m.ExtraLabels[objects.LabelFramework] = svc.Framework
	}
	if svc.Description != "" {
		m.Annotations[objects.AnnotationDescription] = svc.Description
	}
	n := m.Names

	plan := &Plan{}
	a := &add{plan: plan}
	a.Object(ResServiceAccount, objects.ServiceAccount(m))
	for _, e := range svc.ExternalSecrets {
		a.CRD(pipeline.Name(ResExternalSecretPrefix+e.Name), objects.ExternalSecretOf(m, e))
	}
	wiring := objects.DatabaseWiring(m, svc.Database)
	// A canary's traffic is split on the Ingress only by ingress-nginx;
	// elsewhere the weights are approximated with replica counts.
	ingress := ""
	if svc.Ingress.NginxRouting() {
		ingress = n.Ingress
	}
	w := planHandover(r, svc)
	workloadKind, workloadAPIVersion := "Deployment", "apps/v1"
	if svc.Delivery.UsesRollout() {
		workloadKind, workloadAPIVersion = "Rollout", objects.RolloutAPIVersion
	}

	// The image that serves is the Rollout's once there is one, else the
	// Deployment's; a new one waits for its migration.
	workload, compose, migrated := a.migrate(r, m, n.Service, []pipeline.Name{ResServiceRollout, ResServiceDeployment}, svc.Backend, svc.Database, wiring)
	workload.Migrated = migrated
	serving := ""
	if compose {
		serving = workload.Image
	}
	procs := processes{workers: svc.Workers, schedules: svc.Schedules}
	a.Processes(m, procs, serving, wiring)
	if w.deployment && compose {
		scaled := scaleHandover(r.observed(ResServiceDeployment), workload, svc.Autoscaling)
		a.Object(ResServiceDeployment, objects.Deployment(m, objects.ComponentService, n.Service, scaled, wiring))
	}
	rollout := scaleHandover(r.observed(ResServiceRollout), workload, svc.Autoscaling)
	switch {
	case w.retiring != nil:
		a.CRD(ResServiceRollout, w.retiring)
	case !compose: // a new service waits for its first migration
	case w.handover:
		a.CRD(ResServiceRollout, objects.HandoverRollout(m, rollout, wiring))
	case svc.Delivery.UsesRollout():
		a.CRD(ResServiceRollout, objects.ServiceRollout(m, rollout, svc.Delivery, ingress, wiring))
	}

	managed := rolloutServices(svc, w, n.Service, n.Canary, n.Preview)
	stable := trafficService(r, ResStableService, m, n.Service, objects.TrafficStable, managed, svc.Backend.Ports)
	stable.Annotations = map[string]string{AnnotationWorkload: w.serviceAnnotation}
	a.Object(ResStableService, stable)
	strategy := svc.Delivery.Strategy
	if strategy == resolve.StrategyCanary || w.keepCanary {
		a.Object(ResCanaryService, trafficService(r, ResCanaryService, m, n.Canary, objects.TrafficCanary, managed, svc.Backend.Ports))
	}
	if strategy == resolve.StrategyBlueGreen || w.keepPreview {
		a.Object(ResPreviewService, trafficService(r, ResPreviewService, m, n.Preview, objects.TrafficPreview, managed, svc.Backend.Ports))
	}
	if an := svc.Delivery.Analysis; an != nil {
		a.CRD(ResAnalysisTemplate, objects.ServiceAnalysisTemplate(m, *an))
	}
	if as := svc.Autoscaling; as != nil {
		a.Object(ResAutoscaler, objects.Autoscaler(m, workloadAPIVersion, workloadKind, *as))
	}
	if svc.DisruptionBudget {
		a.Object(ResDisruptionBudget, objects.DisruptionBudget(m))
	}

	routes := []objects.Route{{Path: objects.FrontendPath, Service: n.Service}}
	front := n.Service
	if fe := svc.Frontend; fe != nil {
		a.Frontend(m, *fe, n.Service)
		routes = []objects.Route{{Path: objects.BackendPath, Service: n.Service}, {Path: objects.FrontendPath, Service: n.Frontend}}
		front = n.Frontend
	}
	if svc.Ingress.Enabled {
		a.Object(ResIngress, objects.Ingress(m, svc.Ingress, routes))
	}
	sm := objects.ServiceScrape(m, objects.ComponentService, n.Service, svc.Monitoring.Path)
	sm.Spec.Selector.MatchLabels[objects.LabelTraffic] = objects.TrafficStable
	a.Monitors(m, svc.Monitoring, sm, svc.Database.Provider)
	a.NetworkPolicies(m, svc.Network, objects.API{Component: objects.ComponentService, Port: svc.Backend.Port, Ports: svc.Backend.Ports}, n.Service, svc.Frontend,
		objects.Reach{Ingress: svc.Ingress.Enabled, Monitoring: svc.Monitoring.Enabled}, svc.Database, procs)
	if a.err != nil {
		return nil, a.err
	}

	db, err := a.Database(r, m, svc.Database)
	if err != nil {
		return nil, err
	}
	delivery := deliveryStatus(r, svc, workloadKind, n.Service)
	plan.Handover = w.handoverMessage
	delivery.Handover = w.handoverMessage
	plan.Status = v1alpha1.XFullStackServiceStatus{URL: objects.URL(m, svc.Ingress, front), Database: db, Delivery: delivery}
	c := delivered(delivery, svc.Backend.Image, plan.Migration)
	plan.Delivered = &c
	return plan, nil
}

// Reasons of the Delivered condition besides the workload's phase.
const (
	ReasonDelivered       = "Delivered"
	ReasonHandover        = "Handover"
	ReasonMigrating       = "Migrating"
	ReasonMigrationFailed = "MigrationFailed"
)

// delivered decides the XR's Delivered condition: True once the image the
// spec asks for runs on a Healthy workload; otherwise False with what it
// waits for: a handover between Deployment and Rollout, a migration, or
// the workload's phase (Pending, Progressing, Paused, Degraded) and why.
func delivered(d *v1alpha1.DeliveryStatus, image string, mig *Migration) Condition {
	switch {
	case d.Handover != "":
		return Condition{Reason: ReasonHandover, Message: d.Handover}
	case mig != nil && mig.State == ready.JobFailed:
		return Condition{Reason: ReasonMigrationFailed, Message: fmt.Sprintf("the migration Job %s for %s failed; %s keeps serving", mig.Job, mig.Image, d.ObservedImage)}
	case mig != nil && mig.State != ready.JobSucceeded:
		return Condition{Reason: ReasonMigrating, Message: fmt.Sprintf("%s waits for its migration Job %s", mig.Image, mig.Job)}
	case d.Phase == ready.RolloutHealthy && d.ObservedImage == image:
		return Condition{Status: true, Reason: ReasonDelivered, Message: fmt.Sprintf("%s serves from %s %s", image, d.WorkloadKind, d.WorkloadName)}
	}
	msg := d.Message
	if d.Step != nil {
		msg = strings.TrimSuffix(fmt.Sprintf("at step %d of %d; %s", *d.Step, d.Steps, msg), "; ")
	}
	if msg == "" {
		msg = fmt.Sprintf("%s %s is %s", d.WorkloadKind, d.WorkloadName, strings.ToLower(d.Phase))
	}
	if d.ObservedImage == image {
		return Condition{Reason: d.Phase, Message: fmt.Sprintf("%s rolling out: %s", image, msg)}
	}
	if d.ObservedImage == "" {
		return Condition{Reason: d.Phase, Message: fmt.Sprintf("%s not running yet: %s", image, msg)}
	}
	return Condition{Reason: d.Phase, Message: fmt.Sprintf("%s on its way, %s runs: %s", image, d.ObservedImage, msg)}
}

// trafficService returns one of the service's Services. The selector of a
// Service a Rollout manages belongs to Argo Rollouts: it adds
// rollouts-pod-template-hash to point the Service at one ReplicaSet, and
// reads the selector back as the truth of which ReplicaSet is active. A
// Service's selector is an atomic map and Crossplane applies desired state
// with server-side apply and forced ownership, so a selector the function
// sent after Argo's would take it back, and a reconcile that read the
// Service a moment before Argo switched it would point it at the old pods
// again (and Argo would then believe the old pods active). So:
//   - a Service created for a Rollout that manages it has no selector; Argo
//     gives it one (the pod-hash key alone) and owns it;
//   - once Argo has pointed an existing Service at a ReplicaSet, the desired
//     Service leaves the selector out, and Argo's stays;
//   - a Service that had a selector before the Rollout took it over (a
//     handover from a Deployment) keeps the function's selector until Argo
//     adds its key, so it never selects nothing;
//   - a Service the Rollout has managed from the start, which has no
//     selector until Argo sets one, gets none from the function.
func trafficService(r Request, res pipeline.Name, m objects.Meta, name, traffic string, managed map[string]bool, ports []resolve.Port) *corev1.Service {
	s := objects.Service(m, objects.ComponentService, name, ports)
	s.Labels[objects.LabelTraffic] = traffic
	if !managed[name] {
		return s
	}
	if o := observedObject(r, res); o == nil || hasRolloutHash(o) || !hasSelector(o) {
		s.Spec.Selector = nil
	}
	return s
}

// hasSelector tells whether an observed Service selects anything. A Service
// the Rollout has managed from the start has none until Argo sets one; the
// function must not set one then, or a selector computed from a view older
// than Argo's switch would overwrite Argo's (Crossplane applies with force).
func hasSelector(o *unstructured.Unstructured) bool {
	sel, _, _ := unstructured.NestedStringMap(o.Object, "spec", "selector")
	return len(sel) > 0
}

func hasRolloutHash(o *unstructured.Unstructured) bool {
	h, _, _ := unstructured.NestedString(o.Object, "spec", "selector", RolloutHashLabel)
	return h != ""
}

// rolloutServices names the Services the desired Rollout manages: stable
// and canary, or active and preview; none while a handover runs.
func rolloutServices(svc *resolve.FullStackService, w workload, stable, canary, preview string) map[string]bool {
	if !svc.Delivery.UsesRollout() || w.handover || w.retiring != nil {
		return nil
	}
	if svc.Delivery.Strategy == resolve.StrategyBlueGreen {
		return map[string]bool{stable: true, preview: true}
	}
	return map[string]bool{stable: true, canary: true}
}

// deliveryStatus is the XR's status.delivery: how the service is delivered
// and where its workload stands, so a person sees a stuck canary.
func deliveryStatus(r Request, svc *resolve.FullStackService, workloadKind, name string) *v1alpha1.DeliveryStatus {
	out := &v1alpha1.DeliveryStatus{
		Strategy:     svc.Delivery.Strategy,
		WorkloadKind: workloadKind,
		WorkloadName: name,
		Analysis:     svc.Delivery.Analysis != nil,
		Phase:        "Pending",
	}
	switch workloadKind {
	case "Rollout":
		o := observedObject(r, ResServiceRollout)
		if o == nil {
			break
		}
		s := ready.ReadRollout(o)
		if s.Phase != "" {
			out.Phase = s.Phase
		}
		if !s.Current && s.Phase == ready.RolloutHealthy {
			// Healthy describes an older spec.
			out.Phase = ready.RolloutProgressing
		}
		out.Message, out.Step, out.Steps = s.Message, s.Step, s.Steps
		out.ObservedImage = observedImage(o)
	default:
		o := observedObject(r, ResServiceDeployment)
		if o == nil {
			break
		}
		out.ObservedImage = observedImage(o)
		if res := ready.Of(deploymentGK, o, ready.Options{}); res.Ready {
			out.Phase = ready.RolloutHealthy
		} else {
			out.Phase, out.Message = ready.RolloutProgressing, res.Reason
		}
	}
	return out
}

// observedImage is the image an observed workload's pod template runs.
func observedImage(o *unstructured.Unstructured) string {
	v, _ := pipeline.Value(o.Object, "spec.template.spec.containers[0].image")
	s, _ := v.(string)
	return s
}
