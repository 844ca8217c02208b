//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// formSubmission is one XR (or claim) that hack/forms wrote from a
// Backstage form submission with TeraSky's generator and action.
type formSubmission struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Template string `json:"template"`
	File     string `json:"file"`
	Expect   struct {
		Present []string `json:"present"`
		Absent  []string `json:"absent"`
	} `json:"expect"`
}

// formSubmissions applies every XR the forms wrote to the API server, which
// must accept it (schema, CEL rules), and requires Crossplane to compose it
// through the function without a Fatal result (Synced=True), with the
// expected composed resources.
func formSubmissions(ctx context.Context, t *testing.T) {
	b, err := os.ReadFile(filepath.Join(env("E2E_FORMS"), "index.json"))
	if err != nil {
		t.Fatalf("the forms were not generated (hack/forms/run.sh): %v", err)
	}
	var subs []formSubmission
	if err := json.Unmarshal(b, &subs); err != nil {
		t.Fatal(err)
	}
	if len(subs) == 0 {
		t.Fatal("hack/forms wrote no submissions")
	}
	namespace(ctx, t, "forms")
	for _, s := range subs {
		docs, err := readManifests(s.File)
		if err != nil || len(docs) != 1 {
			t.Fatalf("%s: cannot read %s: %v", s.Name, s.File, err)
		}
		obj := &unstructured.Unstructured{Object: docs[0]}
		if err := kc.apply(ctx, obj.Object); err != nil {
			t.Errorf("%s: the API server refuses the %s the form wrote: %v", s.Name, s.Kind, err)
			continue
		}
		a := &app{example: "form " + s.Name, namespace: obj.GetNamespace(), xr: liveXR(obj)}
		waitXR(ctx, t, a, "Synced=True (composed without a Fatal result)", synced)
		var names map[string]string
		if err := cl.waitFor(90*time.Second, s.Name+" composed resources", func() error {
			if names, err = composedNames(ctx, a); err != nil {
				return err
			}
			for _, n := range s.Expect.Present {
				if _, ok := names[n]; !ok {
					return fmt.Errorf("no composed resource %s; composed: %v", n, names)
				}
			}
			return nil
		}); err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		for _, n := range s.Expect.Absent {
			if _, ok := names[n]; ok {
				t.Errorf("%s: composed %s, which the submission switched off", s.Name, n)
			}
		}
		kinds := make([]string, 0, len(names))
		for _, k := range names {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		t.Logf("form %s | %s %s/%s | accepted | Synced=True | %s", s.Name, s.Kind, obj.GetNamespace(), obj.GetName(), strings.Join(kinds, ", "))
	}
}

// liveXR returns the XR of an applied XR or claim.
func liveXR(obj *unstructured.Unstructured) func(context.Context) (*unstructured.Unstructured, error) {
	return func(ctx context.Context) (*unstructured.Unstructured, error) {
		live, err := kc.get(ctx, obj.GetAPIVersion(), obj.GetKind(), obj.GetNamespace(), obj.GetName())
		if err != nil || strings.HasPrefix(obj.GetKind(), "X") {
			return live, err
		}
		ref, _, _ := unstructured.NestedString(live.Object, "spec", "resourceRef", "name")
		if ref == "" {
			return nil, fmt.Errorf("the claim is not bound to an XR yet: %s", conditions(live))
		}
		return kc.get(ctx, obj.GetAPIVersion(), "X"+obj.GetKind(), "", ref)
	}
}

// composedRefs lists what the XR composed, from its resource references.
func composedRefs(ctx context.Context, a *app) ([]composedRef, error) {
	xr, err := a.xr(ctx)
	if err != nil {
		return nil, err
	}
	refs, _, _ := unstructured.NestedSlice(xr.Object, "spec", "crossplane", "resourceRefs")
	if len(refs) == 0 {
		refs, _, _ = unstructured.NestedSlice(xr.Object, "spec", "resourceRefs")
	}
	var out []composedRef
	for _, r := range refs {
		m, _ := r.(map[string]any)
		ns, _ := m["namespace"].(string)
		if ns == "" {
			// A claim's objects live in the claim's namespace.
			ns = a.namespace
		}
		out = append(out, composedRef{apiVersion: fmt.Sprint(m["apiVersion"]), kind: fmt.Sprint(m["kind"]), namespace: ns, name: fmt.Sprint(m["name"])})
	}
	return out, nil
}

// composedNames maps the composition resource name of every resource the
// XR composed to its kind.
func composedNames(ctx context.Context, a *app) (map[string]string, error) {
	refs, err := composedRefs(ctx, a)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range refs {
		o, err := kc.get(ctx, r.apiVersion, r.kind, r.namespace, r.name)
		if err != nil {
			return nil, err
		}
		out[o.GetAnnotations()["crossplane.io/composition-resource-name"]] = o.GetKind()
	}
	return out, nil
}
