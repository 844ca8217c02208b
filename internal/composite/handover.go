package composite

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
	"github.com/fullstack-fn/function-fullstack/internal/ready"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

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
	retiring *objects.Rollout
	// keepCanary and keepPreview keep a retiring Rollout's Services, which
	// Argo Rollouts' own objects (a canary Ingress) may still reference.
	keepCanary, keepPreview bool
	// serviceAnnotation is the value of AnnotationWorkload.
	serviceAnnotation string
	// handoverMessage says what a handover waits for; empty when none runs.
	handoverMessage string
}

// planHandover decides between a Deployment and a Rollout, and hands over
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
// stays, in the handover form (so it no longer manages the Service). The
// stable Service's desired selector drops Argo's pod-hash key at once (see
// trafficService), so the Service selects the pods of both; the annotation
// change also makes Argo Rollouts revisit the Service. The Rollout goes
// only when the Deployment is ready and the Service no longer carries that
// selector; until then the Rollout's pods serve.
func planHandover(r Request, svc *resolve.FullStackService) workload {
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
	s := observedObject(r, ResStableService)
	hashSelector := s != nil && hasRolloutHash(s)
	if deploymentReady && retired && !hashSelector {
		return w // The Deployment serves alone; the Rollout goes.
	}
	w.retiring = retireRollout(obsRollout)
	w.keepCanary = observedObject(r, ResCanaryService) != nil
	w.keepPreview = observedObject(r, ResPreviewService) != nil
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

func observedObject(r Request, n pipeline.Name) *unstructured.Unstructured {
	return r.observed(n)
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
func retireRollout(u *unstructured.Unstructured) *objects.Rollout {
	// An observed object came from the API server as JSON; it decodes into
	// the Rollout type, whose unknown fields are ignored.
	var ro objects.Rollout
	if b, err := json.Marshal(u.Object); err == nil {
		_ = json.Unmarshal(b, &ro)
	}
	out := &objects.Rollout{
		APIVersion: objects.RolloutAPIVersion,
		Kind:       "Rollout",
		Spec: objects.RolloutSpec{
			Replicas:             ro.Spec.Replicas,
			RevisionHistoryLimit: ro.Spec.RevisionHistoryLimit,
			Selector:             ro.Spec.Selector,
			Template:             ro.Spec.Template,
			Strategy:             objects.RolloutStrategy{Canary: objects.HandoverStrategy()},
		},
	}
	out.Metadata.Name, out.Metadata.Namespace = u.GetName(), u.GetNamespace()
	out.Metadata.Labels = u.GetLabels()
	return out
}
