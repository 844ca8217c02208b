// cel_test.go runs the healthCheckExprs of example/gitops/flux/deploy.yaml
// through Flux's own evaluator (github.com/fluxcd/pkg/runtime/cel, the
// version kustomize-controller v1.9.4 uses) on XRs and claims in every state
// Crossplane reports (testdata/states.yaml, shared with the Argo CD
// test). The e2e runs the real controller on XRs; this covers the claims
// and the states the e2e does not reach.

package gitops

import (
	"context"
	"os"
	"testing"

	"github.com/fluxcd/pkg/apis/kustomize"
	"github.com/fluxcd/pkg/runtime/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// checks reads every Kustomization's healthCheckExprs, keyed by the API
// version they cover.
func checks(t *testing.T) map[string]map[string]kustomize.CustomHealthCheck {
	t.Helper()
	f, err := os.Open("../../example/gitops/flux/deploy.yaml")
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
	checked := 0
	for _, tc := range states(t) {
		if tc.Flux == "" {
			continue
		}
		u := &unstructured.Unstructured{Object: tc.Object}
		// The XR and claim checks are in every environment's Kustomization;
		// the Configuration's in platform's.
		kustomizations := []string{"shop-development", "shop-staging", "shop-production"}
		if u.GetKind() == "Configuration" {
			kustomizations = []string{"platform"}
		}
		for _, k := range kustomizations {
			t.Run(k+"/"+tc.Name, func(t *testing.T) {
				// An entry without a kind covers its API group, as in
				// kustomize-controller.
				hc, ok := all[k][u.GetAPIVersion()+"/"+u.GetKind()]
				if !ok {
					hc, ok = all[k][u.GetAPIVersion()+"/"]
				}
				if !ok {
					t.Fatalf("%s has no health check for %s %s", k, u.GetAPIVersion(), u.GetKind())
				}
				e, err := cel.NewStatusEvaluator(&hc.HealthCheckExpressions)
				if err != nil {
					t.Fatal(err)
				}
				got, err := e.Evaluate(context.Background(), u)
				if err != nil {
					t.Fatalf("Flux cannot evaluate the expressions: %v", err)
				}
				if got.Status != tc.Flux {
					t.Errorf("status %s, want %s", got.Status, tc.Flux)
				}
				checked++
			})
		}
	}
	if checked < 20 {
		t.Errorf("only %d verdicts checked; testdata/states.yaml lost its flux verdicts?", checked)
	}
}
