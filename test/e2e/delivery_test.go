//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/fullstack-fn/function-fullstack/test/fake"
)

// delivered is one XFullStackService of the progressive-delivery scenarios,
// in a namespace of its own.
type delivered struct {
	*app
	spec map[string]any
}

func newDelivered(ns string, delivery map[string]any) *delivered {
	d := &delivered{app: &app{example: "delivery " + ns, namespace: ns}}
	d.spec = map[string]any{
		"owner":       "team-e2e",
		"environment": "staging",
		"description": "v1",
		"backend":     map[string]any{"image": "ghcr.io/acme/orders:1.0.0", "replicas": int64(2)},
		"ingress":     map[string]any{"host": ns + ".example.com"},
		"delivery":    delivery,
	}
	d.xr = func(ctx context.Context) (*unstructured.Unstructured, error) {
		return kc.get(ctx, "platform.fullstack.io/v1alpha1", "XFullStackService", ns, ns)
	}
	return d
}

func (d *delivered) apply(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := kc.apply(ctx, map[string]any{
		"apiVersion": "platform.fullstack.io/v1alpha1", "kind": "XFullStackService",
		"metadata": map[string]any{"name": d.namespace, "namespace": d.namespace},
		"spec":     d.spec,
	}); err != nil {
		t.Fatal(err)
	}
}

// set changes one field of the spec (path below spec) and applies it.
func (d *delivered) set(ctx context.Context, t *testing.T, value any, path ...string) {
	t.Helper()
	if err := unstructured.SetNestedField(d.spec, value, path...); err != nil {
		t.Fatal(err)
	}
	d.apply(ctx, t)
}

func (d *delivered) rollout(ctx context.Context) (*unstructured.Unstructured, error) {
	return kc.get(ctx, "argoproj.io/v1alpha1", "Rollout", d.namespace, d.namespace)
}

func (d *delivered) service(ctx context.Context, t *testing.T, name string) map[string]string {
	t.Helper()
	s, err := kc.get(ctx, "v1", "Service", d.namespace, name)
	if err != nil {
		t.Fatal(err)
	}
	sel, _, _ := unstructured.NestedStringMap(s.Object, "spec", "selector")
	return sel
}

// reportPlayed plays the controllers that do not run here (CloudNativePG,
// an ingress controller) for what the XR composed.
func (d *delivered) reportPlayed(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := cl.waitFor(120*time.Second, d.namespace+" Cluster and Ingress", func() error {
		for _, kind := range []struct{ apiVersion, kind, name string }{
			{"postgresql.cnpg.io/v1", "Cluster", d.namespace + "-db"},
			{"networking.k8s.io/v1", "Ingress", d.namespace},
		} {
			o, err := kc.get(ctx, kind.apiVersion, kind.kind, d.namespace, kind.name)
			if err != nil {
				return err
			}
			status, created, _ := fake.Report(o.Object, time.Now())
			for _, c := range created {
				if err := kc.apply(ctx, c); err != nil {
					return err
				}
			}
			if err := kc.patchStatus(ctx, o, status); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func (d *delivered) waitRollout(t *testing.T, ctx context.Context, what string, check func(ro *unstructured.Unstructured) error) {
	t.Helper()
	if err := cl.waitFor(180*time.Second, d.namespace+": "+what, func() error {
		ro, err := d.rollout(ctx)
		if err != nil {
			return err
		}
		return check(ro)
	}); err != nil {
		xr, _ := d.xr(ctx)
		if xr != nil {
			t.Fatalf("%v\nXR conditions: %s", err, conditions(xr))
		}
		t.Fatal(err)
	}
}

func rolloutPhase(ro *unstructured.Unstructured) string {
	p, _, _ := unstructured.NestedString(ro.Object, "status", "phase")
	m, _, _ := unstructured.NestedString(ro.Object, "status", "message")
	return p + " " + m
}

func isPhase(want string) func(ro *unstructured.Unstructured) error {
	return func(ro *unstructured.Unstructured) error {
		if p, _, _ := unstructured.NestedString(ro.Object, "status", "phase"); p != want {
			return fmt.Errorf("Rollout phase %s, want %s", rolloutPhase(ro), want)
		}
		return nil
	}
}

// promote does what `kubectl argo rollouts promote` does: it clears the
// pause conditions in the Rollout's status.
func promote(ctx context.Context, t *testing.T, ro *unstructured.Unstructured) {
	t.Helper()
	if err := kc.patchStatus(ctx, ro, map[string]any{"pauseConditions": nil}); err != nil {
		t.Fatal(err)
	}
}

func stableHash(ro *unstructured.Unstructured) string {
	h, _, _ := unstructured.NestedString(ro.Object, "status", "stableRS")
	return h
}

func currentHash(ro *unstructured.Unstructured) string {
	h, _, _ := unstructured.NestedString(ro.Object, "status", "currentPodHash")
	return h
}

// walkCanary waits until the Rollout namespace/name has released image:
// the controller has seen the template at that image (status.observedGeneration,
// a string, is the generation: a status read before that still says Healthy
// with stable == current, of the old template), the phase is Healthy and
// the stable ReplicaSet is the current one. It promotes at every pause, as
// `kubectl argo rollouts promote` does, and returns the steps it saw.
// also, if set, must hold on every poll first; what it returns is added to
// the wait's messages.
func walkCanary(ctx context.Context, t *testing.T, namespace, name, image string, timeout time.Duration, also func() (string, error)) []string {
	t.Helper()
	var walked []string
	if err := cl.waitFor(timeout, "the canary of "+image+" to walk its steps and turn Healthy", func() error {
		note := ""
		if also != nil {
			n, err := also()
			if err != nil {
				return err
			}
			note = "; " + n
		}
		ro, err := kc.get(ctx, "argoproj.io/v1alpha1", "Rollout", namespace, name)
		if err != nil {
			return err
		}
		cs, _, _ := unstructured.NestedSlice(ro.Object, "spec", "template", "spec", "containers")
		if len(cs) == 0 || cs[0].(map[string]any)["image"] != image {
			return fmt.Errorf("the Rollout's template is not at %s yet%s", image, note)
		}
		if og, _, _ := unstructured.NestedString(ro.Object, "status", "observedGeneration"); og != strconv.FormatInt(ro.GetGeneration(), 10) {
			return fmt.Errorf("the Rollout controller has not seen generation %d yet (observed %q)%s", ro.GetGeneration(), og, note)
		}
		step, ok, _ := unstructured.NestedInt64(ro.Object, "status", "currentStepIndex")
		phase, _, _ := unstructured.NestedString(ro.Object, "status", "phase")
		if mark := fmt.Sprintf("step %d %s", step, phase); ok && (len(walked) == 0 || walked[len(walked)-1] != mark) {
			walked = append(walked, mark)
		}
		if phase == "Paused" {
			promote(ctx, t, ro)
		}
		if phase != "Healthy" || stableHash(ro) != currentHash(ro) {
			return fmt.Errorf("Rollout %s%s", rolloutPhase(ro), note)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return walked
}

func rate(v float64) *float64 { return &v }

// progressiveDelivery runs canary and blueGreen releases on the real Argo
// Rollouts controller, with kwok running the pods, Crossplane reconciling
// the composed objects in between, and a Prometheus stand-in answering the
// analyses.
func progressiveDelivery(ctx context.Context, t *testing.T) {
	analysis := func() map[string]any {
		return map[string]any{"mode": "Enabled", "prometheusAddress": cl.prom.URL, "interval": "5s", "count": int64(2), "failureLimit": int64(0)}
	}
	ok := newDelivered("canary-ok", map[string]any{"strategy": "canary", "analysis": analysis(), "steps": []any{
		map[string]any{"setWeight": int64(50)}, map[string]any{"pause": "untilPromoted"}, map[string]any{"analysis": true}, map[string]any{"setWeight": int64(100)},
	}})
	failing := newDelivered("canary-failing", map[string]any{"strategy": "canary", "analysis": analysis(), "steps": []any{
		map[string]any{"setWeight": int64(50)}, map[string]any{"analysis": true}, map[string]any{"setWeight": int64(100)},
	}})
	noData := newDelivered("canary-nodata", map[string]any{"strategy": "canary", "analysis": analysis(), "steps": []any{
		map[string]any{"setWeight": int64(50)}, map[string]any{"analysis": true}, map[string]any{"setWeight": int64(100)},
	}})
	blueGreen := newDelivered("bluegreen", map[string]any{"strategy": "blueGreen", "promotion": "Manual"})
	all := []*delivered{ok, failing, noData, blueGreen}
	cl.prom.script("canary-ok", rate(1))
	cl.prom.script("canary-failing", rate(0.5))
	cl.prom.script("canary-nodata", nil)

	// First versions: a Rollout's first revision goes straight to Healthy.
	for _, d := range all {
		namespace(ctx, t, d.namespace)
		d.apply(ctx, t)
	}
	for _, d := range all {
		d.reportPlayed(ctx, t)
		waitXR(ctx, t, d.app, "Ready=True on the first version", xrReady)
	}
	// Argo Rollouts treats an update before the first revision is stable
	// (stableRS set; for blueGreen the active Service pointed at it) as a
	// first deploy.
	first := map[string]string{}
	for _, d := range all {
		d.waitRollout(t, ctx, "the first version stable", func(ro *unstructured.Unstructured) error {
			if err := isPhase("Healthy")(ro); err != nil {
				return err
			}
			if h := stableHash(ro); h == "" || h != currentHash(ro) {
				return fmt.Errorf("stable %q, current %q", h, currentHash(ro))
			}
			if _, bg, _ := unstructured.NestedMap(ro.Object, "spec", "strategy", "blueGreen"); bg {
				if got := d.service(ctx, t, d.namespace)["rollouts-pod-template-hash"]; got != stableHash(ro) {
					return fmt.Errorf("the active Service selects %q, not yet %q", got, stableHash(ro))
				}
			}
			first[d.namespace] = stableHash(ro)
			return nil
		})
	}

	// New versions.
	for _, d := range all {
		d.set(ctx, t, "ghcr.io/acme/orders:1.1.0", "backend", "image")
	}

	// canary: at 50% and paused, Argo's selectors and canary Ingress
	// survive Crossplane reconciling the composed objects.
	ok.waitRollout(t, ctx, "paused at 50%", isPhase("Paused"))
	ro, err := ok.rollout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stableH, canaryH := stableHash(ro), currentHash(ro)
	checkSelectors := func(when string) {
		t.Helper()
		if got := ok.service(ctx, t, "canary-ok")["rollouts-pod-template-hash"]; got != stableH {
			t.Errorf("%s: the stable Service selects %q, want the stable pods %q", when, got, stableH)
		}
		if got := ok.service(ctx, t, "canary-ok-canary")["rollouts-pod-template-hash"]; got != canaryH {
			t.Errorf("%s: the canary Service selects %q, want the canary pods %q", when, got, canaryH)
		}
		ing, err := kc.get(ctx, "networking.k8s.io/v1", "Ingress", "canary-ok", "canary-ok-canary-ok-canary")
		if err != nil {
			t.Errorf("%s: Argo Rollouts' canary Ingress: %v", when, err)
			return
		}
		if w := ing.GetAnnotations()["nginx.ingress.kubernetes.io/canary-weight"]; w != "50" {
			t.Errorf("%s: canary Ingress weight %q, want 50", when, w)
		}
	}
	checkSelectors("at the pause")
	for i := 1; i <= 3; i++ {
		// A spec change makes Crossplane reconcile and apply every composed
		// object; the description reaches the Rollout's annotation.
		desc := fmt.Sprintf("reconcile %d", i)
		ok.set(ctx, t, desc, "description")
		ok.waitRollout(t, ctx, "Crossplane applied "+desc, func(ro *unstructured.Unstructured) error {
			if got := ro.GetAnnotations()["fullstack.io/description"]; got != desc {
				return fmt.Errorf("the Rollout's description is %q", got)
			}
			return nil
		})
		time.Sleep(2 * time.Second)
		checkSelectors("after Crossplane " + desc)
	}
	promote(ctx, t, ro)
	ok.waitRollout(t, ctx, "Healthy on the new version", func(ro *unstructured.Unstructured) error {
		if err := isPhase("Healthy")(ro); err != nil {
			return err
		}
		if stableHash(ro) == first["canary-ok"] {
			return fmt.Errorf("the stable pods are still the first version's")
		}
		return nil
	})
	healthy := time.Now()
	waitXR(ctx, t, ok.app, "Delivered=True on the new version", func(x *unstructured.Unstructured) error {
		if s, msg := condition(x, "Delivered"); s != "True" {
			return fmt.Errorf("Delivered=%s: %s", s, msg)
		}
		return nil
	})
	converged(t, "canary: Rollout Healthy after its analysis -> XR Delivered", time.Since(healthy))
	waitXR(ctx, t, ok.app, "Ready=True on the new version", xrReady)
	if cl.prom.count("canary-ok") == 0 {
		t.Errorf("canary-ok: the analysis never queried Prometheus")
	}
	t.Logf("canary: 50%%, paused, selectors and canary Ingress kept over 3 Crossplane reconciles, promoted, analysis passed (%d queries), Healthy", cl.prom.count("canary-ok"))

	// A failing success rate aborts the canary; the stable pods keep serving.
	failing.waitRollout(t, ctx, "aborted", func(ro *unstructured.Unstructured) error {
		if abort, _, _ := unstructured.NestedBool(ro.Object, "status", "abort"); !abort {
			return fmt.Errorf("not aborted: %s", rolloutPhase(ro))
		}
		return nil
	})
	ro, err = failing.rollout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stableHash(ro) != first["canary-failing"] {
		t.Errorf("canary-failing: the stable pods changed to %s", stableHash(ro))
	}
	if got := failing.service(ctx, t, "canary-failing")["rollouts-pod-template-hash"]; got != first["canary-failing"] {
		t.Errorf("canary-failing: the stable Service selects %q, want the first version's pods %q", got, first["canary-failing"])
	}
	xr := waitXR(ctx, t, failing.app, "to say why it is not ready", func(xr *unstructured.Unstructured) error {
		if _, msg := condition(xr, "ResourcesReady"); !strings.Contains(msg, "Degraded") {
			return fmt.Errorf("ResourcesReady: %s", msg)
		}
		return nil
	})
	_, msg := condition(xr, "ResourcesReady")
	t.Logf("canary with a failing success rate: aborted, stable pods kept; XR says: %s", msg)

	// No data: inconclusive, paused, never promoted.
	noData.waitRollout(t, ctx, "paused on an inconclusive analysis", isPhase("Paused"))
	time.Sleep(15 * time.Second)
	ro, err = noData.rollout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stableHash(ro) != first["canary-nodata"] {
		t.Errorf("canary-nodata: promoted without data: stable %s", stableHash(ro))
	}
	if abort, _, _ := unstructured.NestedBool(ro.Object, "status", "abort"); abort {
		t.Errorf("canary-nodata: aborted; no data is not a failure: %s", rolloutPhase(ro))
	}
	t.Logf("canary with no data: %s after %d queries; never promoted", rolloutPhase(ro), cl.prom.count("canary-nodata"))

	// blueGreen: the preview gets the new pods; nothing is promoted while
	// the promotion is Manual; promotion switches the active Service.
	blueGreen.waitRollout(t, ctx, "paused with the new version in preview", isPhase("Paused"))
	ro, err = blueGreen.rollout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newHash := currentHash(ro)
	if got := blueGreen.service(ctx, t, "bluegreen-preview")["rollouts-pod-template-hash"]; got != newHash {
		t.Errorf("bluegreen: the preview Service selects %q, want the new pods %q", got, newHash)
	}
	time.Sleep(10 * time.Second)
	if got := blueGreen.service(ctx, t, "bluegreen")["rollouts-pod-template-hash"]; got != first["bluegreen"] {
		t.Errorf("bluegreen: the active Service selects %q before promotion, want %q", got, first["bluegreen"])
	}
	promote(ctx, t, ro)
	promoted, promotions := time.Now(), 1
	blueGreen.waitRollout(t, ctx, "promoted", func(ro *unstructured.Unstructured) error {
		if err := isPhase("Healthy")(ro); err != nil {
			// A promotion the controller's own status update raced away
			// leaves the pause in place: promote again, as a person would.
			if conds, _, _ := unstructured.NestedSlice(ro.Object, "status", "pauseConditions"); len(conds) > 0 && time.Since(promoted) > 10*time.Second {
				promote(ctx, t, ro)
				promoted = time.Now()
				promotions++
			}
			return err
		}
		if stableHash(ro) != newHash {
			return fmt.Errorf("stable %s, want %s", stableHash(ro), newHash)
		}
		return nil
	})
	if got := blueGreen.service(ctx, t, "bluegreen")["rollouts-pod-template-hash"]; got != newHash {
		t.Errorf("bluegreen: the active Service selects %q after promotion, want %q", got, newHash)
	}
	waitXR(ctx, t, blueGreen.app, "Ready=True after promotion", xrReady)
	t.Logf("blueGreen: preview got the new pods, the active Service waited for promotion, then switched (promotion requests: %d)", promotions)
}
