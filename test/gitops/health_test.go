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

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/google/go-cmp/cmp"
	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// health is what Argo CD reads from the script's result.
type health struct {
	Status  string `json:"status"`
	Message string `json:"message"`
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

// state is one entry of testdata/states.yaml: an object and the verdict
// each tool must reach on it.
type state struct {
	Name   string         `json:"name"`
	ArgoCD health         `json:"argocd"`
	Flux   status.Status  `json:"flux"`
	Object map[string]any `json:"object"`
}

// states reads the object states both tools are checked on.
func states(t *testing.T) []state {
	t.Helper()
	b, err := os.ReadFile("testdata/states.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []state
	for _, doc := range strings.Split(string(b), "\n---\n")[1:] {
		var s state
		if err := yaml.Unmarshal([]byte(doc), &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		t.Fatal("no states in testdata/states.yaml")
	}
	return out
}

func TestArgoCDHealth(t *testing.T) {
	all := scripts(t)
	var table []string
	for _, tc := range states(t) {
		t.Run(tc.Name, func(t *testing.T) {
			obj := tc.Object
			u := &unstructured.Unstructured{Object: obj}
			key := "resource.customizations.health." + u.GroupVersionKind().Group + "_" + u.GetKind()
			script, ok := all[key]
			if !ok {
				t.Fatalf("argocd-cm.yaml has no %s", key)
			}
			got := run(t, script, obj)
			if diff := cmp.Diff(tc.ArgoCD, got); diff != "" {
				t.Errorf("health (-want +got):\n%s", diff)
			}
			table = append(table, fmt.Sprintf("%-70s %-12s %s", tc.Name, got.Status, got.Message))
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
