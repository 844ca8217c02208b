package objects

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// Autoscaler returns the HorizontalPodAutoscaler of the service's workload:
// a Deployment, or a Rollout (which serves the scale subresource).
func Autoscaler(m Meta, workloadAPIVersion, workloadKind string, a resolve.Autoscaling) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: metav1.ObjectMeta{Name: m.Names.Service, Namespace: m.Namespace, Labels: m.Labels(ComponentService)},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: workloadAPIVersion, Kind: workloadKind, Name: m.Names.Service},
			MinReplicas:    ptr.To(a.MinReplicas),
			MaxReplicas:    a.MaxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   "cpu",
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(a.TargetCPU)},
				},
			}},
		},
	}
}

// DisruptionBudget lets voluntary disruptions (node drains, cluster
// upgrades) evict at most one of the service's pods at a time. It selects
// the pods of a Deployment and a Rollout alike, so it holds through a
// handover between the two.
func DisruptionBudget(m Meta) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: metav1.ObjectMeta{Name: m.Names.Service, Namespace: m.Namespace, Labels: m.Labels(ComponentService)},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr.To(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: m.Selector(ComponentService)},
		},
	}
}
