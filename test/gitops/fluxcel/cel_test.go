// Package fluxcel runs the healthCheckExprs of example/gitops/flux/deploy.yaml
// through Flux's own evaluator (github.com/fluxcd/pkg/runtime/cel, the
// version kustomize-controller v1.9.4 uses) on XRs and claims in every state
// Crossplane reports. The e2e runs the real controller on XRs; this covers
// the claims and the states the e2e does not reach.
package fluxcel

import (
	"context"
	"os"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/fluxcd/pkg/apis/kustomize"
	"github.com/fluxcd/pkg/runtime/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// checks reads every Kustomization's healthCheckExprs, keyed by the API
// version they cover.
func checks(t *testing.T) map[string]map[string]kustomize.CustomHealthCheck {
	t.Helper()
	f, err := os.Open("../../../example/gitops/flux/deploy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]kustomize.CustomHealthCheck{}
	d := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var k struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec struct {
				HealthCheckExprs []kustomize.CustomHealthCheck `json:"healthCheckExprs"`
			} `json:"spec"`
		}
		if err := d.Decode(&k); err != nil {
			break
		}
		if k.Kind != "Kustomization" {
			continue
		}
		out[k.Metadata.Name] = map[string]kustomize.CustomHealthCheck{}
		for _, c := range k.Spec.HealthCheckExprs {
			out[k.Metadata.Name][c.APIVersion+"/"+c.Kind] = c
		}
	}
	return out
}

func TestFluxHealthCheckExprs(t *testing.T) {
	all := checks(t)
	cases := map[string]struct {
		obj  string
		want status.Status
	}{
		"XNodeApp ready": {`
apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop, namespace: shop, generation: 2}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 2}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 2}
`, status.CurrentStatus},
		"XNodeApp waiting for its database": {`
apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop, namespace: shop, generation: 1}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 1}
  - {type: ResourcesReady, status: "False", reason: WaitingForResources, message: "1 of 7 composed resources not ready", observedGeneration: 1}
  - {type: Ready, status: "False", reason: Creating, observedGeneration: 1}
`, status.InProgressStatus},
		"XNodeApp without a status yet": {`
apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop, namespace: shop, generation: 1}
status: {}
`, status.InProgressStatus},
		"XNodeApp the function refuses": {`
apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop, namespace: shop, generation: 3}
status:
  conditions:
  - {type: Synced, status: "False", reason: ReconcileError, message: "cannot compose resources", observedGeneration: 3}
  - {type: ResourcesReady, status: Unknown, reason: FatalError, observedGeneration: 3}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 2}
`, status.FailedStatus},
		"XFullStackService Ready from the previous spec": {`
apiVersion: platform.fullstack.io/v1alpha1
kind: XFullStackService
metadata: {name: notes, namespace: notes, generation: 4}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 4}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 3}
`, status.InProgressStatus},
		"NodeApp claim not bound yet": {`
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: NodeApp
metadata: {name: blog, namespace: blog, generation: 1}
spec: {owner: team-content}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 1}
  - {type: Ready, status: "False", reason: Waiting, message: "Claim is waiting for composite resource to become Ready", observedGeneration: 1}
`, status.InProgressStatus},
		"NodeApp claim ready": {`
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: NodeApp
metadata: {name: blog, namespace: blog, generation: 1}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 1}
  - {type: ResourcesReady, status: "True", reason: AllReady, observedGeneration: 1}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 1}
`, status.CurrentStatus},
		"FullStackService claim whose XR the function refuses": {`
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: FullStackService
metadata: {name: payments, namespace: payments, generation: 2}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 2}
  - {type: ResourcesReady, status: Unknown, reason: FatalError, message: "A fatal error occurred before the status of this condition could be determined.", observedGeneration: 2}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 2}
`, status.FailedStatus},
		"legacy XNodeApp of a claim, ready": {`
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: blog-7x2kq, generation: 1}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 1}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 1}
`, status.CurrentStatus},
	}
	for _, k := range []string{"shop-development", "shop-qa", "shop-production"} {
		if _, ok := all[k]; !ok {
			t.Fatalf("deploy.yaml has no Kustomization %s", k)
		}
		for name, tc := range cases {
			t.Run(k+"/"+name, func(t *testing.T) {
				u := &unstructured.Unstructured{}
				if err := yaml.Unmarshal([]byte(tc.obj), &u.Object); err != nil {
					t.Fatal(err)
				}
				// An entry without a kind covers its API group, as in
				// kustomize-controller.
				hc, ok := all[k][u.GetAPIVersion()+"/"]
				if !ok {
					t.Fatalf("%s has no health check for %s", k, u.GetAPIVersion())
				}
				e, err := cel.NewStatusEvaluator(&hc.HealthCheckExpressions)
				if err != nil {
					t.Fatal(err)
				}
				got, err := e.Evaluate(context.Background(), u)
				if err != nil {
					t.Fatalf("Flux cannot evaluate the expressions: %v", err)
				}
				if got.Status != tc.want {
					t.Errorf("status %s, want %s", got.Status, tc.want)
				}
			})
		}
	}
}
