//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// autoscalingHandover switches a running 3-replica service to autoscaling
// (minReplicas 4), once as a Deployment and once as a canary Rollout, with
// the real HPA controller (kube-controller-manager) and Argo Rollouts, and
// watches every event of the workload: spec.replicas never drops below 3
// (Crossplane's forced apply would reset a field only its manager owned to
// 1 if the function left it out before the HPA owned it), the HPA takes
// it to 4, and then Crossplane's manager no longer owns it.
func autoscalingHandover(ctx context.Context, t *testing.T) {
	for _, tc := range []struct {
		namespace, strategy, apiVersion, kind string
	}{
		{"scale-deployment", "rollingUpdate", "apps/v1", "Deployment"},
		{"scale-rollout", "canary", "argoproj.io/v1alpha1", "Rollout"},
	} {
		d := newDelivered(tc.namespace, map[string]any{"strategy": tc.strategy})
		d.spec["backend"].(map[string]any)["replicas"] = int64(3)
		namespace(ctx, t, d.namespace)
		d.apply(ctx, t)
		var rv string
		if err := cl.waitFor(180*time.Second, tc.kind+" "+tc.namespace+" with 3 replicas", func() error {
			o, err := kc.get(ctx, tc.apiVersion, tc.kind, tc.namespace, tc.namespace)
			if err != nil {
				return err
			}
			if n, _, _ := unstructured.NestedInt64(o.Object, "spec", "replicas"); n != 3 {
				return fmt.Errorf("spec.replicas %d", n)
			}
			rv = o.GetResourceVersion()
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		r, err := kc.resource(tc.apiVersion, tc.kind, tc.namespace)
		if err != nil {
			t.Fatal(err)
		}
		w, err := r.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + tc.namespace, ResourceVersion: rv})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var seen []int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for ev := range w.ResultChan() {
				if ev.Type != watch.Modified && ev.Type != watch.Added {
					continue
				}
				if u, ok := ev.Object.(*unstructured.Unstructured); ok {
					n, found, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
					if !found {
						n = 1 // The API server's default.
					}
					mu.Lock()
					seen = append(seen, n)
					mu.Unlock()
				}
			}
		}()

		start := time.Now()
		d.set(ctx, t, map[string]any{"mode": "Enabled", "minReplicas": int64(4)}, "autoscaling")
		if err := cl.waitFor(240*time.Second, tc.kind+" "+tc.namespace+" at 4 replicas with spec.replicas left to the HPA", func() error {
			o, err := kc.get(ctx, tc.apiVersion, tc.kind, tc.namespace, tc.namespace)
			if err != nil {
				return err
			}
			if n, _, _ := unstructured.NestedInt64(o.Object, "spec", "replicas"); n != 4 {
				return fmt.Errorf("spec.replicas %d", n)
			}
			for _, mf := range o.GetManagedFields() {
				var f struct {
					Spec map[string]json.RawMessage `json:"f:spec"`
				}
				if mf.FieldsV1 != nil && json.Unmarshal(mf.FieldsV1.Raw, &f) == nil {
					if _, ok := f.Spec["f:replicas"]; ok && strings.HasPrefix(mf.Manager, "apiextensions.crossplane.io/composed") {
						return fmt.Errorf("%s still owns spec.replicas", mf.Manager)
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// A few more reconciles: the function must not take it back.
		time.Sleep(10 * time.Second)
		w.Stop()
		<-done
		mu.Lock()
		t.Logf("%s %s: spec.replicas on every event after autoscaling was enabled: %v (handover in %s)", tc.kind, tc.namespace, seen, time.Since(start).Round(time.Second))
		for _, n := range seen {
			if n < 3 {
				t.Errorf("%s %s had %d replicas while switching to autoscaling; events: %v", tc.kind, tc.namespace, n, seen)
				break
			}
		}
		if len(seen) == 0 || seen[len(seen)-1] != 4 {
			t.Errorf("%s %s: want 4 replicas at the end, events: %v", tc.kind, tc.namespace, seen)
		}
		mu.Unlock()
		if err := kc.delete(ctx, "platform.fullstack.io/v1alpha1", "XFullStackService", tc.namespace, tc.namespace); err != nil {
			t.Fatal(err)
		}
	}
}

// canaryWithoutNginx applies a canary whose analysis uses the default query
// behind an Ingress of another class: the XR reports the refusal naming
// spec.delivery.analysis.query, and nothing is composed for it.
func canaryWithoutNginx(ctx context.Context, t *testing.T) {
	d := newDelivered("canary-traefik", map[string]any{"strategy": "canary", "analysis": map[string]any{"mode": "Enabled"}})
	d.spec["ingress"].(map[string]any)["className"] = "traefik"
	namespace(ctx, t, d.namespace)
	d.apply(ctx, t)
	xr := waitXR(ctx, t, d.app, "Synced=False naming spec.delivery.analysis.query", func(xr *unstructured.Unstructured) error {
		s, msg := condition(xr, "Synced")
		if s != "False" || !strings.Contains(msg, "spec.delivery.analysis.query: Required value") || !strings.Contains(msg, `spec.ingress.className is "traefik"`) {
			return fmt.Errorf("XR conditions: %s", conditions(xr))
		}
		return nil
	})
	_, msg := condition(xr, "Synced")
	t.Logf("canary with the default analysis behind a traefik Ingress: Synced=False: %s", msg)
	if _, err := kc.get(ctx, "argoproj.io/v1alpha1", "Rollout", d.namespace, d.namespace); err == nil {
		t.Errorf("a Rollout was composed for a refused spec")
	}
	if err := kc.delete(ctx, "platform.fullstack.io/v1alpha1", "XFullStackService", d.namespace, d.namespace); err != nil {
		t.Fatal(err)
	}
}

// teamObjects are the Secrets and ConfigMap the payment service's team
// keeps in its namespace (example/fullstack-payments/xr.yaml names them):
// the function only references them. The Secret stripe is the External
// Secrets Operator's (played: fake.ExternalSecret).
func teamObjects(ns string) []map[string]any {
	secret := func(name string, data map[string]any) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": name, "namespace": ns}, "stringData": data}
	}
	return []map[string]any{
		secret("stripe-webhook", map[string]any{"signing-secret": "whsec_e2e"}),
		{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson", "metadata": map[string]any{"name": "ghcr-pull", "namespace": ns},
			"stringData": map[string]any{".dockerconfigjson": `{"auths":{"ghcr.io":{"auth":"ZTJlOmUyZQ=="}}}`}},
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "paygate-config", "namespace": ns}, "data": map[string]any{"REGION": "eu-west-1"}},
	}
}

// processesRun shows the payment service's worker available on the real
// Deployment controller (kwok runs its pods) and a run of its scheduled job:
// a Job made from the CronJob's template, as kubectl create job --from
// does, completed by the real Job controller. The CronJob controller has
// accepted the CronJob (it sets no error on it).
func processesRun(ctx context.Context, t *testing.T, a *app) {
	ns := a.namespace
	if err := cl.waitFor(180*time.Second, "the worker Deployment "+ns+"-events available", func() error {
		d, err := kc.get(ctx, "apps/v1", "Deployment", ns, ns+"-events")
		if err != nil {
			return err
		}
		want, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
		got, _, _ := unstructured.NestedInt64(d.Object, "status", "availableReplicas")
		if want == 0 || got != want {
			return fmt.Errorf("%d of %d replicas available", got, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cj, err := kc.get(ctx, "batch/v1", "CronJob", ns, ns+"-reconcile")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _, _ := unstructured.NestedMap(cj.Object, "spec", "jobTemplate")
	job := map[string]any{
		"apiVersion": "batch/v1", "kind": "Job",
		"metadata": map[string]any{"name": ns + "-reconcile-e2e", "namespace": ns, "labels": tmpl["metadata"].(map[string]any)["labels"],
			"ownerReferences": []any{map[string]any{"apiVersion": "batch/v1", "kind": "CronJob", "name": cj.GetName(), "uid": string(cj.GetUID())}}},
		"spec": tmpl["spec"],
	}
	if err := kc.apply(ctx, job); err != nil {
		t.Fatalf("the API server refuses a Job from the CronJob's template: %v", err)
	}
	start := time.Now()
	if err := cl.waitFor(180*time.Second, "the scheduled job's run to complete", func() error {
		o, err := kc.get(ctx, "batch/v1", "Job", ns, ns+"-reconcile-e2e")
		if err != nil {
			return err
		}
		if s, _ := condition(o, "Complete"); s != "True" {
			return fmt.Errorf("Job %s", jobConditions(o))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("worker %s-events available; a run of %s-reconcile completed in %s", ns, ns, time.Since(start).Round(time.Second))
}
