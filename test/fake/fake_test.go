package fake

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, doc string) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestApply checks the server-side apply the unit tests rely on: desired
// wins, status and other managers' fields stay, generation follows spec.
func TestApply(t *testing.T) {
	cases := map[string]struct {
		old, desired string
		want         string
	}{
		"Create": {
			desired: `{kind: Service, metadata: {name: web}, spec: {selector: {app: web}}}`,
			want:    `{kind: Service, metadata: {name: web, generation: 1}, spec: {selector: {app: web}}}`,
		},
		"SameSpecKeepsGenerationAndStatus": {
			old:     `{kind: Deployment, metadata: {name: web, generation: 4}, spec: {replicas: 2}, status: {availableReplicas: 2}}`,
			desired: `{kind: Deployment, metadata: {name: web}, spec: {replicas: 2}}`,
			want:    `{kind: Deployment, metadata: {name: web, generation: 4}, spec: {replicas: 2}, status: {availableReplicas: 2}}`,
		},
		"ChangedSpecBumpsGeneration": {
			old:     `{kind: Deployment, metadata: {name: web, generation: 4}, spec: {replicas: 2}, status: {availableReplicas: 2}}`,
			desired: `{kind: Deployment, metadata: {name: web, annotations: {a: b}}, spec: {replicas: 3}}`,
			want:    `{kind: Deployment, metadata: {name: web, generation: 5, annotations: {a: b}}, spec: {replicas: 3}, status: {availableReplicas: 2}}`,
		},
		"AtomicSelectorReplacedWhole": {
			// clusterIP (the API server) stays; the selector is an atomic
			// map, so the pod-hash key Argo Rollouts added goes unless
			// desired names it too.
			old: `{kind: Service, metadata: {name: web, generation: 1},
			       spec: {clusterIP: 10.0.0.7, selector: {app: web, rollouts-pod-template-hash: abc}}}`,
			desired: `{kind: Service, metadata: {name: web}, spec: {selector: {app: web}}}`,
			want:    `{kind: Service, metadata: {name: web, generation: 2}, spec: {clusterIP: 10.0.0.7, selector: {app: web}}}`,
		},
		"SelectorLeftOutStaysAsArgoSetIt": {
			old:     `{kind: Service, metadata: {name: web, generation: 3}, spec: {clusterIP: 10.0.0.7, selector: {app: web, rollouts-pod-template-hash: abc}}}`,
			desired: `{kind: Service, metadata: {name: web}, spec: {ports: [{port: 80}]}}`,
			want:    `{kind: Service, metadata: {name: web, generation: 4}, spec: {clusterIP: 10.0.0.7, ports: [{port: 80}], selector: {app: web, rollouts-pod-template-hash: abc}}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var old map[string]any
			if tc.old != "" {
				old = obj(t, tc.old)
			}
			got := Apply(old, obj(t, tc.desired))
			if diff := cmp.Diff(obj(t, tc.want), got); diff != "" {
				t.Errorf("Apply: -want, +got:\n%s", diff)
			}
		})
	}
}
