package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/fullstack-fn/function-fullstack/internal/database"
	"github.com/fullstack-fn/function-fullstack/test/scenarios"
)

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// An example is one example/<name>/ folder and one of its scenarios.
type example struct{ scenarios.Example }

// exampleOf is one scenario of the example in example/<name>/.
func exampleOf(name, scenario string) example { return example{scenarios.Of(".", name, scenario)} }

// examples lists every example and scenario that hack/render.sh renders.
func examples(t testing.TB) []example {
	t.Helper()
	all, err := scenarios.All(".")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]example, len(all))
	for i, s := range all {
		out[i] = example{s}
	}
	return out
}

// readDocs reads a multi-document YAML file into unstructured objects.
func readDocs(t testing.TB, path string) []*unstructured.Unstructured {
	t.Helper()
	docs, err := scenarios.ReadDocs(path)
	if err != nil {
		t.Fatalf("cannot read %s: %v", path, err)
	}
	return docs
}

func toStruct(t testing.TB, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatalf("cannot convert to a protobuf Struct: %v", err)
	}
	return s
}

// request builds the RunFunctionRequest Crossplane would send for an
// example scenario (test/scenarios).
func (e example) request(t testing.TB) *fnv1.RunFunctionRequest {
	t.Helper()
	req, err := e.Request()
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// environment is the context function-environment-configs (played) leaves
// for the next step.
func environment(t testing.TB, input map[string]any, xr *unstructured.Unstructured, ecs []*unstructured.Unstructured) *structpb.Struct {
	t.Helper()
	ctx, err := scenarios.Environment(input, xr, ecs)
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// golden reads the committed render of a scenario: the XR, the composed
// resources keyed by composition resource name, and the results.
func (e example) golden(t testing.TB) (xr *unstructured.Unstructured, composed map[resource.Name]map[string]any) {
	t.Helper()
	composed = map[resource.Name]map[string]any{}
	for _, d := range readDocs(t, filepath.Join(e.Dir, "golden", e.Scenario+".yaml")) {
		switch {
		case d.GetKind() == "Result":
		case d.GetAnnotations()["crossplane.io/composition-resource-name"] != "":
			name := resource.Name(d.GetAnnotations()["crossplane.io/composition-resource-name"])
			// What Crossplane adds to the function's output.
			unstructured.RemoveNestedField(d.Object, "metadata", "ownerReferences")
			unstructured.RemoveNestedField(d.Object, "metadata", "annotations", "crossplane.io/composition-resource-name")
			unstructured.RemoveNestedField(d.Object, "metadata", "labels", "crossplane.io/claim-name")
			unstructured.RemoveNestedField(d.Object, "metadata", "labels", "crossplane.io/claim-namespace")
			if len(d.GetAnnotations()) == 0 {
				unstructured.RemoveNestedField(d.Object, "metadata", "annotations")
			}
			composed[name] = d.Object
		default:
			xr = d
		}
	}
	return xr, composed
}

func sortedNames(m map[string]*fnv1.Resource) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func readYAML(t testing.TB, doc string) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("cannot parse test YAML %q: %v", doc, err)
	}
	return m
}

// nodeApp returns a valid XNodeApp with the YAML spec fragment override
// merged into its spec.
func nodeApp(override string) string {
	return withSpec(`apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop, namespace: shop}
spec:
  owner: team-shop
  frontend: {image: "ghcr.io/acme/web:1"}
  backend: {image: "ghcr.io/acme/api:1"}
  ingress: {host: shop.example.com}
`, override)
}

// withSpec returns the XR base with the YAML spec fragment override merged
// into its spec.
func withSpec(base, override string) string {
	xr := map[string]any{}
	_ = yaml.Unmarshal([]byte(base), &xr)
	over := map[string]any{}
	if err := yaml.Unmarshal([]byte(override), &over); err != nil {
		panic(err)
	}
	merge(xr["spec"].(map[string]any), over)
	b, _ := yaml.Marshal(xr)
	return string(b)
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		sm, sok := v.(map[string]any)
		dm, dok := dst[k].(map[string]any)
		if sok && dok {
			merge(dm, sm)
			continue
		}
		dst[k] = v
	}
}

// TestExamplesBecomeReady takes every example from nothing to Ready in the
// stand-in world, playing each controller with package fake (the statuses
// and Secrets the e2e reports on a real API server): the function must
// report ResourcesReady, with every composed resource ready and the
// connection Secret complete, within a few reconciles.
func TestExamplesBecomeReady(t *testing.T) {
	const maxRounds = 5
	for _, e := range examples(t) {
		if e.Scenario != "nothing-exists" {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			req := e.request(t)
			w := &world{t: t, xr: req.GetObserved().GetComposite().GetResource().AsMap(), input: req.GetInput(), context: req.GetContext(), credentials: req.GetCredentials()}
			// What the platform keeps in the namespace before any app: the
			// cloud providers' CA bundles.
			if r := filepath.Join(e.Dir, "required", "all-ready.yaml"); fileExists(r) {
				w.cluster = map[string]map[string]any{}
				for _, o := range readDocs(t, r) {
					if o.GetKind() == "ConfigMap" {
						w.cluster[o.GetNamespace()+"/"+o.GetName()] = o.Object
					}
				}
			}
			var rsp *fnv1.RunFunctionResponse
			rounds := 0
			for rounds = 1; rounds <= maxRounds; rounds++ {
				rsp = w.reconcile()
				if c := readyCondition(rsp); c.GetStatus() == fnv1.Status_STATUS_CONDITION_TRUE {
					break
				}
				w.report()
			}
			if c := readyCondition(rsp); c.GetStatus() != fnv1.Status_STATUS_CONDITION_TRUE {
				t.Fatalf("not Ready after %d reconciles: %s", maxRounds, c.GetMessage())
			}
			for n, r := range rsp.GetDesired().GetResources() {
				if r.GetReady() != fnv1.Ready_READY_TRUE {
					t.Errorf("%s: ready %v", n, r.GetReady())
				}
			}
			secret, ok := w.observed[string(database.ResDatabaseConnection)]
			if !ok {
				t.Fatal("no connection Secret")
			}
			data := database.SecretData(secret)
			for _, k := range database.ConnectionKeys {
				if len(data[k]) == 0 {
					t.Errorf("connection Secret: %s is empty", k)
				}
			}
			t.Logf("Ready after %d reconciles; DATABASE_URL host %s", rounds, data[database.KeyHost])
		})
	}
}

func readyCondition(rsp *fnv1.RunFunctionResponse) *fnv1.Condition {
	for _, c := range rsp.GetConditions() {
		if c.GetType() == ConditionResourcesReady {
			return c
		}
	}
	return nil
}

// TestRBACCoversComposedKinds checks example/install/rbac.yaml against
// every golden render: each kind the function composes, other than the
// managed resources of packaged providers (Crossplane's RBAC manager grants
// those), is granted every verb Crossplane uses on a composed resource,
// and nothing is granted that no example composes (ConfigMaps, read as
// required resources, are read only).
func TestRBACCoversComposedKinds(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("example", "install", "rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(b, &role); err != nil {
		t.Fatal(err)
	}
	if role.Labels["rbac.crossplane.io/aggregate-to-crossplane"] != "true" {
		t.Errorf("the ClusterRole is not aggregated to Crossplane: labels %v", role.Labels)
	}
	granted := map[string][]string{} // group/resource -> verbs
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				granted[g+"/"+res] = r.Verbs
			}
		}
	}
	plural := map[string]string{"Ingress": "ingresses", "NetworkPolicy": "networkpolicies", "PodDisruptionBudget": "poddisruptionbudgets"}
	composed := map[string]bool{}
	files, err := filepath.Glob("example/*/golden/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	for _, f := range files {
		for i, o := range readDocs(t, f) {
			gv, kind := o.GroupVersionKind(), o.GetKind()
			if i == 0 || gv.Group == "render.crossplane.io" || strings.HasSuffix(gv.Group, ".upbound.io") {
				continue // The XR, render's result, packaged providers' managed resources.
			}
			res := plural[kind]
			if res == "" {
				res = strings.ToLower(kind) + "s"
			}
			key := gv.Group + "/" + res
			composed[key] = true
			if diff := cmp.Diff(all, granted[key]); diff != "" {
				t.Errorf("%s (%s in %s): verbs -want, +granted:\n%s", key, kind, f, diff)
			}
		}
	}
	for key, verbs := range granted {
		if key == "/configmaps" {
			if diff := cmp.Diff([]string{"get", "list", "watch"}, verbs); diff != "" {
				t.Errorf("configmaps: -want, +granted:\n%s", diff)
			}
			continue
		}
		if !composed[key] {
			t.Errorf("%s is granted but no example composes it", key)
		}
	}
}

// TestGitOpsPlatformIsTheInstall checks that the platform folder of the
// GitOps example holds the objects example/install has a team apply by
// hand: the Configuration and the platform's EnvironmentConfig.
func TestGitOpsPlatformIsTheInstall(t *testing.T) {
	for _, f := range []string{"configuration.yaml", "environmentconfig.yaml"} {
		t.Run(f, func(t *testing.T) {
			want := readDocs(t, filepath.Join("example", "install", f))
			got := readDocs(t, filepath.Join("example", "gitops", "platform", f))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("example/gitops/platform/%s (-example/install +gitops):\n%s", f, diff)
			}
		})
	}
}

// TestTemplatesWriteWhereFluxReads checks the seams between the Backstage
// templates and the deploy repository (example/gitops) that the e2e's
// journey then walks: the hand-written template offers exactly the
// environments the repository has, publishes to apps/<environment>/<name>
// (as the XRDs tell the generated templates to), and its skeleton's
// kustomization.yaml lists the Namespace and the XR but not
// catalog-info.yaml; an environment folder has no kustomization.yaml, so
// Flux generates one that takes every app directory.
func TestTemplatesWriteWhereFluxReads(t *testing.T) {
	entries, err := os.ReadDir("example/gitops/apps")
	if err != nil {
		t.Fatal(err)
	}
	var envs []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "base" {
			envs = append(envs, e.Name())
			if fileExists(filepath.Join("example/gitops/apps", e.Name(), "kustomization.yaml")) {
				t.Errorf("apps/%s/kustomization.yaml: an environment folder must not list its apps (Flux generates the list)", e.Name())
			}
		}
	}
	tmpl := readDocs(t, "example/backstage/template.yaml")[0]
	var offered []string
	params, _, _ := unstructured.NestedSlice(tmpl.Object, "spec", "parameters")
	for _, p := range params {
		if e, ok, _ := unstructured.NestedStringSlice(p.(map[string]any), "properties", "environment", "enum"); ok {
			offered = e
		}
	}
	sort.Strings(offered)
	if diff := cmp.Diff(envs, offered); diff != "" {
		t.Errorf("the template's environments (-deploy repository +template):\n%s", diff)
	}
	steps, _, _ := unstructured.NestedSlice(tmpl.Object, "spec", "steps")
	var target string
	for _, s := range steps {
		if v, ok, _ := unstructured.NestedString(s.(map[string]any), "input", "targetPath"); ok {
			target = v
		}
	}
	if want := "apps/${{ parameters.environment }}/${{ parameters.xrName }}"; target != want {
		t.Errorf("the template publishes to %q, want %q", target, want)
	}
	for _, f := range []string{"configuration/xfullstackservice/definition.yaml", "configuration/xnodeapp/definition-legacy.yaml"} {
		a := readDocs(t, f)[0].GetAnnotations()
		if a["terasky.backstage.io/target-path"] != "apps/{environment}/{xrName}" || a["terasky.backstage.io/create-kustomization-file"] != "true" {
			t.Errorf("%s: the generated template does not write to apps/{environment}/{xrName} with a kustomization.yaml: %v", f, a)
		}
	}
	k := readDocs(t, "example/backstage/skeleton/kustomization.yaml")[0]
	res, _, _ := unstructured.NestedStringSlice(k.Object, "resources")
	if diff := cmp.Diff([]string{"namespace.yaml", "${{ values.name }}.yaml"}, res); diff != "" {
		t.Errorf("the skeleton's kustomization.yaml resources (-want +got):\n%s", diff)
	}
}
