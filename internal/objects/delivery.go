package objects

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// The types below are the part of argoproj.io/v1alpha1 Rollout and
// AnalysisTemplate this function sets, checked against the upstream CRDs
// (../shared/crds).

// RolloutAPIVersion is the API version of Rollouts and AnalysisTemplates.
const RolloutAPIVersion = "argoproj.io/v1alpha1"

// Rollout is an argoproj.io/v1alpha1 Rollout.
//
// It carries its own pod template (spec.template) rather than pointing at a
// Deployment (spec.workloadRef). With workloadRef the Rollout controller
// scales the referenced Deployment to zero while Crossplane keeps applying
// the Deployment's composed replicas: the two would fight on every
// reconcile, and the Deployment's pods would come back. With a template
// there is one owner of the pods, and the function hands over between a
// Deployment and a Rollout explicitly (package compose).
type Rollout struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   CRDMeta     `json:"metadata"`
	Spec       RolloutSpec `json:"spec"`
}

// RolloutSpec is the part of a Rollout's spec this function sets.
type RolloutSpec struct {
	Replicas             *int32                 `json:"replicas,omitempty"`
	RevisionHistoryLimit *int32                 `json:"revisionHistoryLimit,omitempty"`
	Selector             *metav1.LabelSelector  `json:"selector"`
	Template             corev1.PodTemplateSpec `json:"template"`
	Strategy             RolloutStrategy        `json:"strategy"`
}

// RolloutStrategy holds exactly one of Canary and BlueGreen.
type RolloutStrategy struct {
	Canary    *CanaryStrategy    `json:"canary,omitempty"`
	BlueGreen *BlueGreenStrategy `json:"blueGreen,omitempty"`
}

// CanaryStrategy shifts traffic to the new version step by step.
type CanaryStrategy struct {
	CanaryService  string              `json:"canaryService,omitempty"`
	StableService  string              `json:"stableService,omitempty"`
	MaxSurge       *intstr.IntOrString `json:"maxSurge,omitempty"`
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	TrafficRouting *TrafficRouting     `json:"trafficRouting,omitempty"`
	Steps          []RolloutStep       `json:"steps,omitempty"`
	// Analysis runs in the background from StartingStep on, for a canary
	// whose steps hold no analysis step.
	Analysis *RolloutAnalysis `json:"analysis,omitempty"`
}

// TrafficRouting splits traffic at the ingress controller.
type TrafficRouting struct {
	Nginx *NginxTrafficRouting `json:"nginx,omitempty"`
}

// NginxTrafficRouting names the Ingress whose canary copy the Rollout
// controller creates and weights.
type NginxTrafficRouting struct {
	StableIngress string `json:"stableIngress"`
}

// RolloutStep is one canary step; exactly one field is set.
type RolloutStep struct {
	SetWeight *int32           `json:"setWeight,omitempty"`
	Pause     *RolloutPause    `json:"pause,omitempty"`
	Analysis  *RolloutAnalysis `json:"analysis,omitempty"`
}

// RolloutPause waits for Duration, or until promoted when it is empty.
type RolloutPause struct {
	Duration string `json:"duration,omitempty"`
}

// RolloutAnalysis runs AnalysisTemplates with arguments.
type RolloutAnalysis struct {
	Templates    []AnalysisTemplateRef `json:"templates"`
	Args         []AnalysisArg         `json:"args,omitempty"`
	StartingStep *int32                `json:"startingStep,omitempty"`
}

// AnalysisTemplateRef names an AnalysisTemplate in the Rollout's namespace.
type AnalysisTemplateRef struct {
	TemplateName string `json:"templateName"`
}

// AnalysisArg is a name and value passed to, or declared by, a template.
type AnalysisArg struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// BlueGreenStrategy runs the new version beside the old one behind the
// preview Service and switches the active Service at promotion.
type BlueGreenStrategy struct {
	ActiveService         string           `json:"activeService"`
	PreviewService        string           `json:"previewService,omitempty"`
	AutoPromotionEnabled  *bool            `json:"autoPromotionEnabled,omitempty"`
	PrePromotionAnalysis  *RolloutAnalysis `json:"prePromotionAnalysis,omitempty"`
	ScaleDownDelaySeconds *int32           `json:"scaleDownDelaySeconds,omitempty"`
}

// Analysis argument names of the success-rate AnalysisTemplate.
const (
	ArgServiceName = "service-name"
	ArgNamespace   = "namespace"
	MetricName     = "success-rate"
)

// ScaleDownDelaySeconds keeps the old blueGreen pods for this long after
// promotion, so clients that resolved the old endpoints finish.
const ScaleDownDelaySeconds = 30

// ServiceRollout returns the Rollout of an XFullStackService's service. ing
// is the Ingress the canary's traffic is split on; empty when the Ingress is
// off, and then the canary weights are approximated with replica counts.
func ServiceRollout(m Meta, w resolve.Workload, d resolve.Delivery, ing string, wiring Wiring) *Rollout {
	n := m.Names
	r := HandoverRollout(m, w, wiring)
	switch d.Strategy {
	case resolve.StrategyCanary:
		c := HandoverStrategy()
		c.CanaryService, c.StableService = n.Canary, n.Service
		if ing != "" {
			c.TrafficRouting = &TrafficRouting{Nginx: &NginxTrafficRouting{StableIngress: ing}}
		}
		analysisStep := false
		for _, s := range d.Steps {
			step := RolloutStep{SetWeight: s.SetWeight}
			switch {
			case s.Pause != nil:
				step.Pause = &RolloutPause{Duration: s.Pause.Duration}
			case s.Analysis:
				step.Analysis = analysisRef(m, n.Canary)
				analysisStep = true
			}
			c.Steps = append(c.Steps, step)
		}
		if d.Analysis != nil && !analysisStep {
			c.Analysis = analysisRef(m, n.Canary)
			c.Analysis.StartingStep = ptr.To[int32](1)
		}
		r.Spec.Strategy = RolloutStrategy{Canary: c}
	case resolve.StrategyBlueGreen:
		bg := &BlueGreenStrategy{
			ActiveService:         n.Service,
			PreviewService:        n.Preview,
			AutoPromotionEnabled:  ptr.To(d.AutoPromotion),
			ScaleDownDelaySeconds: ptr.To[int32](ScaleDownDelaySeconds),
		}
		if d.Analysis != nil {
			bg.PrePromotionAnalysis = analysisRef(m, n.Preview)
		}
		r.Spec.Strategy = RolloutStrategy{BlueGreen: bg}
	}
	return r
}

// HandoverRollout returns the service's Rollout with a plain canary strategy
// that references no Service, Ingress or analysis. It is what the function
// composes while a Deployment hands over to a Rollout: the first revision of
// a Rollout skips its steps anyway, and a Rollout that manages no Service
// leaves the Service selecting both the Deployment's and the Rollout's pods.
func HandoverRollout(m Meta, w resolve.Workload, wiring Wiring) *Rollout {
	return &Rollout{
		APIVersion: RolloutAPIVersion,
		Kind:       "Rollout",
		Metadata:   CRDMeta{Name: m.Names.Service, Namespace: m.Namespace, Labels: m.Labels(ComponentService), Annotations: workloadAnnotations(m, w)},
		Spec: RolloutSpec{
			Replicas:             replicas(w),
			RevisionHistoryLimit: ptr.To[int32](5),
			Selector:             &metav1.LabelSelector{MatchLabels: m.Selector(ComponentService)},
			Template:             PodTemplate(m, ComponentService, w, wiring),
			Strategy:             RolloutStrategy{Canary: HandoverStrategy()},
		},
	}
}

// HandoverStrategy is the strategy of a Rollout in its handover form: a
// plain canary that adds pods before it removes any.
func HandoverStrategy() *CanaryStrategy {
	return &CanaryStrategy{
		MaxSurge:       ptr.To(intstr.FromString("25%")),
		MaxUnavailable: ptr.To(intstr.FromInt32(0)),
	}
}

func analysisRef(m Meta, service string) *RolloutAnalysis {
	return &RolloutAnalysis{
		Templates: []AnalysisTemplateRef{{TemplateName: m.Names.AnalysisTemplate}},
		Args: []AnalysisArg{
			{Name: ArgServiceName, Value: service},
			{Name: ArgNamespace, Value: m.Namespace},
		},
	}
}

// AnalysisTemplate is an argoproj.io/v1alpha1 AnalysisTemplate.
type AnalysisTemplate struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Metadata   CRDMeta              `json:"metadata"`
	Spec       AnalysisTemplateSpec `json:"spec"`
}

// AnalysisTemplateSpec declares arguments and metrics.
type AnalysisTemplateSpec struct {
	Args    []AnalysisArg    `json:"args"`
	Metrics []AnalysisMetric `json:"metrics"`
}

// AnalysisMetric is one measured metric.
type AnalysisMetric struct {
	Name             string              `json:"name"`
	Interval         string              `json:"interval,omitempty"`
	Count            *intstr.IntOrString `json:"count,omitempty"`
	FailureLimit     *intstr.IntOrString `json:"failureLimit,omitempty"`
	SuccessCondition string              `json:"successCondition"`
	FailureCondition string              `json:"failureCondition,omitempty"`
	Provider         MetricProvider      `json:"provider"`
}

// MetricProvider is where a metric comes from.
type MetricProvider struct {
	Prometheus *PrometheusMetric `json:"prometheus"`
}

// PrometheusMetric is a Prometheus query.
type PrometheusMetric struct {
	Address string `json:"address"`
	Query   string `json:"query"`
}

// MinRateWindow is the shortest rate() window of the default query: with
// Prometheus' usual 30s scrape interval a shorter window often holds fewer
// than the two samples rate() needs.
const MinRateWindow = time.Minute

// SuccessRateQuery is the default analysis query of a canary: the share of
// the requests ingress-nginx sent to the canary that did not fail with a
// 5xx, over the analysis interval (at least MinRateWindow). ingress-nginx
// labels a request its canary Ingress routed with
// canary="<namespace>-<service>-<port>", the alternative upstream's name
// (its Lua monitor and socket collector), and the Ingress names the port
// "http"; the service label stays the stable Service's. When every request
// fails there is no non-5xx series, and "or vector(0)" makes the share 0
// rather than no result. With no requests there is no result (or NaN): see
// SuccessCondition. {{args.*}} are filled in by the Rollout.
func SuccessRateQuery(interval string) string {
	window := interval
	if d, err := time.ParseDuration(interval); err != nil || d < MinRateWindow {
		window = "1m"
	}
	sel := fmt.Sprintf(`namespace="{{args.%s}}",canary="{{args.%s}}-{{args.%s}}-%s"`, ArgNamespace, ArgNamespace, ArgServiceName, PortName)
	return fmt.Sprintf(`(sum(rate(nginx_ingress_controller_requests{%s,status!~"5.."}[%s])) or vector(0)) / sum(rate(nginx_ingress_controller_requests{%s}[%s]))`,
		sel, window, sel, window)
}

// SuccessCondition passes a measurement at or above the threshold, and
// FailureCondition fails one below it. A measurement with no result (no
// traffic reached the canary) is neither: Argo Rollouts counts it
// inconclusive and pauses the rollout, so a canary nobody used is never
// promoted.
func SuccessCondition(threshold float64) string {
	return "len(result) > 0 && !isNaN(result[0]) && result[0] >= " + strconv.FormatFloat(threshold, 'f', -1, 64)
}

// FailureCondition: see SuccessCondition.
func FailureCondition(threshold float64) string {
	return "len(result) > 0 && !isNaN(result[0]) && result[0] < " + strconv.FormatFloat(threshold, 'f', -1, 64)
}

// ServiceAnalysisTemplate returns the success-rate AnalysisTemplate the
// Rollout's analysis steps reference.
func ServiceAnalysisTemplate(m Meta, a resolve.Analysis) *AnalysisTemplate {
	query := a.Query
	if strings.TrimSpace(query) == "" {
		query = SuccessRateQuery(a.Interval)
	}
	return &AnalysisTemplate{
		APIVersion: RolloutAPIVersion,
		Kind:       "AnalysisTemplate",
		Metadata:   CRDMeta{Name: m.Names.AnalysisTemplate, Namespace: m.Namespace, Labels: m.Labels(ComponentService)},
		Spec: AnalysisTemplateSpec{
			Args: []AnalysisArg{{Name: ArgServiceName}, {Name: ArgNamespace}},
			Metrics: []AnalysisMetric{{
				Name:             MetricName,
				Interval:         a.Interval,
				Count:            ptr.To(intstr.FromInt32(a.Count)),
				FailureLimit:     ptr.To(intstr.FromInt32(a.FailureLimit)),
				SuccessCondition: SuccessCondition(a.SuccessRate),
				FailureCondition: FailureCondition(a.SuccessRate),
				Provider:         MetricProvider{Prometheus: &PrometheusMetric{Address: a.PrometheusAddress, Query: query}},
			}},
		},
	}
}
