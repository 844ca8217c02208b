package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func crd() map[string]any {
	return map[string]any{
		"spec": map[string]any{
			"group": "platform.example.io",
			"names": map[string]any{"kind": "XApp", "plural": "xapps", "categories": []any{"composite"}},
			"versions": []any{map[string]any{
				"name": "v1alpha1",
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"description": "XApp is an app\nwith two lines.",
					"type":        "object",
					"required":    []any{"spec"},
					"properties": map[string]any{
						"apiVersion": map[string]any{"type": "string"},
						"kind":       map[string]any{"type": "string"},
						"metadata":   map[string]any{"type": "object"},
						"spec": map[string]any{"type": "object", "properties": map[string]any{
							"steps": map[string]any{"type": "array", "items": map[string]any{
								"description": "Step is a step.", "type": "object",
								"properties": map[string]any{"pause": map[string]any{"type": "object"}},
							}},
						}},
					},
				}},
			}},
		},
	}
}

func TestXRD(t *testing.T) {
	cases := map[string]struct {
		overlay map[string]map[string]any
		err     string
	}{
		"NoOverlay": {},
		"TitleOnArrayItemField": {
			overlay: map[string]map[string]any{"spec.steps[].pause": {"title": "Pause", "x-ui-order": 2}},
		},
		"UnknownPath": {
			overlay: map[string]map[string]any{"spec.stepz": {"title": "x"}},
			err:     `overlay path spec.stepz: no field "stepz"`,
		},
		"SchemaRuleRefused": {
			overlay: map[string]map[string]any{"spec.steps": {"maxItems": 3}},
			err:     `overlay path spec.steps: key "maxItems" is neither title nor x-ui-*; put schema rules in apis/ markers`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			xrd, err := XRD(crd(), tc.overlay)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("XRD(...): want error %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("XRD(...): %v", err)
			}
			schema := get(xrd, "spec", "versions", "0", "schema", "openAPIV3Schema").(map[string]any)
			if diff := cmp.Diff([]string{"spec"}, keys(schema["properties"].(map[string]any))); diff != "" {
				t.Errorf("schema properties: Crossplane adds apiVersion, kind and metadata; -want, +got:\n%s", diff)
			}
			if _, ok := schema["required"]; ok {
				t.Errorf("schema keeps the top-level required list")
			}
			if got, want := schema["description"], "An app with two lines."; got != want {
				t.Errorf("description: want %q, got %q", want, got)
			}
			item := get(schema, "properties", "spec", "properties", "steps", "items").(map[string]any)
			if _, ok := item["description"]; ok {
				t.Errorf("array items keep the type's description")
			}
			pause := get(item, "properties", "pause").(map[string]any)
			for k, v := range tc.overlay["spec.steps[].pause"] {
				if pause[k] != v {
					t.Errorf("overlay key %s: want %v, got %v", k, v, pause[k])
				}
			}
			if got, want := str(xrd, "metadata", "name"), "xapps.platform.example.io"; got != want {
				t.Errorf("name: want %q, got %q", want, got)
			}
			if got, want := str(xrd, "spec", "defaultCompositionRef", "name"), "xapp"; got != want {
				t.Errorf("defaultCompositionRef: want %q, got %q", want, got)
			}

			legacy := Legacy(xrd)
			want := map[string]string{"apiVersion": "apiextensions.crossplane.io/v1", "group": "legacy.platform.example.io", "scope": "LegacyCluster",
				"claim": "App", "name": "xapps.legacy.platform.example.io", "composition": "xapp-legacy"}
			got := map[string]string{"apiVersion": str(legacy, "apiVersion"), "group": str(legacy, "spec", "group"), "scope": str(legacy, "spec", "scope"),
				"claim": str(legacy, "spec", "claimNames", "kind"), "name": str(legacy, "metadata", "name"), "composition": str(legacy, "spec", "defaultCompositionRef", "name")}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Legacy(...): -want, +got:\n%s", diff)
			}
			if str(xrd, "spec", "scope") != "Namespaced" {
				t.Errorf("Legacy(...) changed the namespaced XRD it was given")
			}
		})
	}
}

func TestLegacyComposition(t *testing.T) {
	in := "apiVersion: apiextensions.crossplane.io/v1\nkind: Composition\nmetadata:\n  name: xapp\nspec:\n  compositeTypeRef:\n    apiVersion: platform.example.io/v1alpha1\n    kind: XApp\n  # keep this comment\n"
	got, err := LegacyComposition(in, "xapp", "platform.example.io")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer("name: xapp\n", "name: xapp-legacy\n", "apiVersion: platform", "apiVersion: legacy.platform").Replace(in)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LegacyComposition(...): -want, +got:\n%s", diff)
	}
	if _, err := LegacyComposition(in+"  name: xapp\n", "xapp", "platform.example.io"); err == nil {
		t.Errorf("LegacyComposition(...) with the name twice: want an error")
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTitle(t *testing.T) {
	for name, want := range map[string]string{
		"owner":                          "Owner",
		"allowProviderChange":            "Allow provider change",
		"targetCPUUtilizationPercentage": "Target CPU utilization percentage",
		"tls":                            "TLS",
		"healthPath":                     "Health path",
		"vpcSecurityGroupIds":            "Vpc security group IDs",
		"podDisruptionBudget":            "Pod disruption budget",
	} {
		if got := Title(name); got != want {
			t.Errorf("Title(%q) = %q, want %q", name, got, want)
		}
	}
}
