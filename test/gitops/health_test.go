// Package gitops tests the health checks example/gitops gives Argo CD: the
// Lua scripts of example/gitops/argocd/argocd-cm.yaml run in gopher-lua, the
// interpreter Argo CD embeds, set up as Argo CD sets it up (no standard
// libraries but package, base and table; the live object as the global
// `obj`; a table with a known status returned), on XRs and claims in every
// state Crossplane reports.
package gitops

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// health is what Argo CD reads from the script's result.
type health struct {
	Status  string
	Message string
}

// statuses are the health codes Argo CD accepts; anything else it turns
// into Unknown.
var statuses = map[string]bool{"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true}

// scripts reads the health checks from the ConfigMap, keyed as Argo CD keys
// them: resource.customizations.health.<group>_<kind>.
func scripts(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../example/gitops/argocd/argocd-cm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		t.Fatal(err)
	}
	return cm.Data
}

// toLua converts a decoded JSON value the way Argo CD hands objects to Lua:
// objects and arrays become tables (arrays 1-based), numbers LNumber.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := l.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(l, e))
		}
		return t
	case []any:
		t := l.NewTable()
		for i, e := range v {
			t.RawSetInt(i+1, toLua(l, e))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	default:
		panic(fmt.Sprintf("unexpected %T", v))
	}
}

// run executes a health script on an object.
func run(t *testing.T, script string, obj map[string]any) health {
	t.Helper()
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{lua.LoadLibName: lua.OpenPackage, lua.BaseLibName: lua.OpenBase, lua.TabLibName: lua.OpenTable} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(open), NRet: 0, Protect: true}, lua.LString(name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		t.Fatalf("the script fails: %v", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("the script returns %s, not a table", l.Get(-1).Type())
	}
	h := health{Status: lua.LVAsString(ret.RawGetString("status")), Message: lua.LVAsString(ret.RawGetString("message"))}
	if !statuses[h.Status] {
		t.Fatalf("the script returns status %q, which Argo CD turns into Unknown", h.Status)
	}
	return h
}

// object parses a YAML fixture.
func object(t *testing.T, s string) map[string]any {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(s), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u.Object
}

const (
	notReadyMessage = "2 of 7 composed resources not ready: database (Cluster shop-db: no status reported by CloudNativePG yet); ingress (Ingress shop: no address assigned by the ingress controller yet)"
	fatalMessage    = `cannot compose resources: pipeline step "compose-app" returned a fatal result: cannot compose XNodeApp "shop": spec.backend.resources.requests.cpu: Invalid value: "2": must be less than or equal to cpu limit 1`
)

func TestArgoCDHealth(t *testing.T) {
	all := scripts(t)
	cases := map[string]struct {
		obj  string
		want health
	}{
		"XNodeApp composed and ready": {obj: `
apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop, namespace: shop, generation: 2}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 2}
  - {type: ResourcesReady, status: "True", reason: AllReady, observedGeneration: 2}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 2}
`, want: health{"Healthy", "Ready"}},
		"XNodeApp waiting for its database and ingress": {obj: `
apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop, namespace: shop, generation: 1}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 1}
  - {type: ResourcesReady, status: "False", reason: Waiting, message: "` + notReadyMessage + `", observedGeneration: 1}
  - {type: Ready, status: "False", reason: Creating, observedGeneration: 1}
`, want: health{"Progressing", notReadyMessage}},
		"XNodeApp the function refuses (Fatal)": {obj: `
apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop, namespace: shop, generation: 3}
status:
  conditions:
  - {type: Synced, status: "False", reason: ReconcileError, message: '` + fatalMessage + `', observedGeneration: 3}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 2}
`, want: health{"Degraded", fatalMessage}},
		"XNodeApp just created, no status yet": {obj: `
apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop, namespace: shop, generation: 1}
spec: {owner: team-shop}
`, want: health{"Progressing", "Waiting for Crossplane to reconcile"}},
		"XNodeApp Ready from the previous spec (new image not rolled out yet)": {obj: `
apiVersion: platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: shop, namespace: shop, generation: 4}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 4}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 3}
`, want: health{"Progressing", "Waiting for Crossplane to reconcile generation 4"}},
		"XFullStackService with a canary in progress": {obj: `
apiVersion: platform.fullstack.io/v1alpha1
kind: XFullStackService
metadata: {name: checkout, namespace: checkout, generation: 5}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 5}
  - {type: ResourcesReady, status: "False", reason: Waiting, message: "1 of 13 composed resources not ready: service-rollout (Rollout checkout: phase Paused at step 2 of 6: CanaryPauseStep)", observedGeneration: 5}
  - {type: Ready, status: "False", reason: Unavailable, observedGeneration: 5}
`, want: health{"Progressing", "1 of 13 composed resources not ready: service-rollout (Rollout checkout: phase Paused at step 2 of 6: CanaryPauseStep)"}},
		"XFullStackService ready": {obj: `
apiVersion: platform.fullstack.io/v1alpha1
kind: XFullStackService
metadata: {name: notes, namespace: notes, generation: 1}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 1}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 1}
`, want: health{"Healthy", "Ready"}},
		"NodeApp claim not bound to an XR yet": {obj: `
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: NodeApp
metadata: {name: blog, namespace: blog, generation: 1}
spec: {owner: team-content}
`, want: health{"Progressing", "Waiting for the claim to be bound to a composite resource"}},
		"NodeApp claim bound, its XR not ready": {obj: `
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: NodeApp
metadata: {name: blog, namespace: blog, generation: 1}
spec:
  resourceRef: {apiVersion: legacy.platform.fullstack.io/v1alpha1, kind: XNodeApp, name: blog-7x2kq}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 1}
  - {type: Ready, status: "False", reason: Creating, observedGeneration: 1}
`, want: health{"Progressing", "Ready=False (Creating)"}},
		"NodeApp claim bound and ready": {obj: `
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: NodeApp
metadata: {name: blog, namespace: blog, generation: 1}
spec:
  resourceRef: {apiVersion: legacy.platform.fullstack.io/v1alpha1, kind: XNodeApp, name: blog-7x2kq}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 1}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 1}
`, want: health{"Healthy", "Ready"}},
		// The claim reconciler copies the function's conditions, not the XR's
		// Synced: the claim stays Synced=True and Ready=True from before.
		"FullStackService claim whose XR the function refuses": {obj: `
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: FullStackService
metadata: {name: payments, namespace: payments, generation: 2}
spec:
  resourceRef: {apiVersion: legacy.platform.fullstack.io/v1alpha1, kind: XFullStackService, name: payments-9d8fz}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 2}
  - {type: ResourcesReady, status: Unknown, reason: FatalError, message: "A fatal error occurred before the status of this condition could be determined.", observedGeneration: 2}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 2}
`, want: health{"Degraded", "The function refused the spec (the composite resource's Synced condition says why): A fatal error occurred before the status of this condition could be determined."}},
		"NodeApp claim that cannot be bound": {obj: `
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: NodeApp
metadata: {name: blog, namespace: blog, generation: 1}
spec:
  resourceRef: {apiVersion: legacy.platform.fullstack.io/v1alpha1, kind: XNodeApp, name: blog-7x2kq}
status:
  conditions:
  - {type: Synced, status: "False", reason: ReconcileError, message: "cannot bind claim to existing composite resource", observedGeneration: 1}
`, want: health{"Degraded", "cannot bind claim to existing composite resource"}},
		"legacy (cluster-scoped) XNodeApp of a claim, ready": {obj: `
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: XNodeApp
metadata: {name: blog-7x2kq, generation: 1}
spec:
  claimRef: {apiVersion: legacy.platform.fullstack.io/v1alpha1, kind: NodeApp, name: blog, namespace: blog}
status:
  conditions:
  - {type: Synced, status: "True", reason: ReconcileSuccess, observedGeneration: 1}
  - {type: Ready, status: "True", reason: Available, observedGeneration: 1}
`, want: health{"Healthy", "Ready"}},
		"legacy XFullStackService without conditions yet": {obj: `
apiVersion: legacy.platform.fullstack.io/v1alpha1
kind: XFullStackService
metadata: {name: payments-9d8fz, generation: 1}
status: {}
`, want: health{"Progressing", "Waiting for Crossplane to reconcile"}},
		"Configuration installing its dependency": {obj: `
apiVersion: pkg.crossplane.io/v1
kind: Configuration
metadata: {name: configuration-fullstack, generation: 1}
status:
  conditions:
  - {type: Installed, status: "True", reason: ActivePackageRevision}
  - {type: Healthy, status: "False", reason: UnhealthyPackageRevision, message: "missing dependencies: xpkg.crossplane.io/fullstack-fn/function-fullstack"}
`, want: health{"Progressing", "missing dependencies: xpkg.crossplane.io/fullstack-fn/function-fullstack"}},
		"Configuration installed and healthy": {obj: `
apiVersion: pkg.crossplane.io/v1
kind: Configuration
metadata: {name: configuration-fullstack, generation: 1}
status:
  conditions:
  - {type: Installed, status: "True", reason: ActivePackageRevision}
  - {type: Healthy, status: "True", reason: HealthyPackageRevision}
`, want: health{"Healthy", "Installed and healthy"}},
		"Application of an app of apps, degraded": {obj: `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop-qa, namespace: argocd}
status:
  health: {status: Degraded, message: "XNodeApp shop-qa/shop is Degraded"}
`, want: health{"Degraded", "XNodeApp shop-qa/shop is Degraded"}},
	}
	var table []string
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj := object(t, tc.obj)
			u := &unstructured.Unstructured{Object: obj}
			key := "resource.customizations.health." + u.GroupVersionKind().Group + "_" + u.GetKind()
			script, ok := all[key]
			if !ok {
				t.Fatalf("argocd-cm.yaml has no %s", key)
			}
			got := run(t, script, obj)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("health (-want +got):\n%s", diff)
			}
			table = append(table, fmt.Sprintf("%-70s %-12s %s", name, got.Status, got.Message))
		})
	}
	// Every XR and claim kind of both groups has a check.
	for _, k := range []string{"platform.fullstack.io_XNodeApp", "platform.fullstack.io_XFullStackService",
		"legacy.platform.fullstack.io_XNodeApp", "legacy.platform.fullstack.io_XFullStackService",
		"legacy.platform.fullstack.io_NodeApp", "legacy.platform.fullstack.io_FullStackService"} {
		if _, ok := all["resource.customizations.health."+k]; !ok {
			t.Errorf("argocd-cm.yaml has no health check for %s", k)
		}
	}
	sort.Strings(table)
	if testing.Verbose() {
		fmt.Println("Argo CD health verdicts (gopher-lua):\n  " + strings.Join(table, "\n  "))
	}
}
