package envconfigs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"
)

func st(t *testing.T, y string) *structpb.Struct {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(y), &m); err != nil {
		t.Fatalf("cannot parse %q: %v", y, err)
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func envConfig(t *testing.T, name, labels, data string) *fnv1.Resource {
	t.Helper()
	return &fnv1.Resource{Resource: st(t, "apiVersion: apiextensions.crossplane.io/v1beta1\nkind: EnvironmentConfig\nmetadata: {name: "+name+", labels: {"+labels+"}}\ndata: "+data)}
}

// The Input of the Configuration's Compositions: the platform's
// EnvironmentConfig by name, and one more chosen by the XR's label.
const platformInput = `apiVersion: environmentconfigs.fn.crossplane.io/v1beta1
kind: Input
spec:
  environmentConfigs:
    - type: Reference
      ref: {name: fullstack-platform}
    - type: Selector
      selector:
        matchLabels:
          - key: platform.fullstack.io/settings
            type: FromCompositeFieldPath
            valueFromFieldPath: metadata.labels[platform.fullstack.io/settings]
            fromFieldPathPolicy: Optional`

var byName = &fnv1.ResourceSelector{ApiVersion: "apiextensions.crossplane.io/v1beta1", Kind: "EnvironmentConfig", Match: &fnv1.ResourceSelector_MatchName{MatchName: "fullstack-platform"}}

func byLabel(k, v string) *fnv1.ResourceSelector {
	return &fnv1.ResourceSelector{ApiVersion: "apiextensions.crossplane.io/v1beta1", Kind: "EnvironmentConfig", Match: &fnv1.ResourceSelector_MatchLabels{MatchLabels: &fnv1.MatchLabels{Labels: map[string]string{k: v}}}}
}

// TestRunFunction checks the played function against the behaviour of
// function-environment-configs v0.7.1 (fn.go; the cases of its fn_test.go
// named in each reason).
func TestRunFunction(t *testing.T) {
	const xr = "apiVersion: platform.fullstack.io/v1alpha1\nkind: XFullStackService\nmetadata: {name: notes, namespace: dev}"
	const xrEU = "apiVersion: platform.fullstack.io/v1alpha1\nkind: XFullStackService\nmetadata: {name: notes, namespace: dev, labels: {platform.fullstack.io/settings: eu}}"
	platform := func(t *testing.T) *fnv1.Resource {
		return envConfig(t, "fullstack-platform", "", "{fullstack: {domain: apps.example.com, imageRegistry: ghcr.io/acme}, team: {costCenter: '1'}}")
	}
	eu := func(t *testing.T) *fnv1.Resource {
		return envConfig(t, "fullstack-eu", "platform.fullstack.io/settings: eu", "{fullstack: {domain: eu.apps.example.org}}")
	}
	type want struct {
		requirements map[string]*fnv1.ResourceSelector
		environment  string // YAML; empty: no context key
		fatal        string
	}
	cases := map[string]struct {
		reason   string
		input    string
		xr       string
		context  string
		required func(t *testing.T) map[string]*fnv1.Resources
		want     want
	}{
		"FirstCallAsksOnly": {
			reason: "Without required resources the function returns its requirements and no environment (RequestEnvironmentConfigs).",
			input:  platformInput, xr: xr,
			want: want{requirements: map[string]*fnv1.ResourceSelector{"environment-config-0": byName}},
		},
		"PlatformOnly": {
			reason: "An XR without the label asks for no second config: an Optional field path that is missing leaves the selector out (SelectorSingleModeWithOptionalFieldPathNotProvided).",
			input:  platformInput, xr: xr,
			required: func(t *testing.T) map[string]*fnv1.Resources {
				return map[string]*fnv1.Resources{"environment-config-0": {Items: []*fnv1.Resource{platform(t)}}}
			},
			want: want{
				requirements: map[string]*fnv1.ResourceSelector{"environment-config-0": byName},
				environment:  "{apiVersion: internal.crossplane.io/v1alpha1, kind: Environment, fullstack: {domain: apps.example.com, imageRegistry: ghcr.io/acme}, team: {costCenter: '1'}}",
			},
		},
		"LabelledXRSelectsASecondConfig": {
			reason: "The later config wins key by key; maps merge deeply (MergeEnvironmentConfigs).",
			input:  platformInput, xr: xrEU,
			required: func(t *testing.T) map[string]*fnv1.Resources {
				return map[string]*fnv1.Resources{
					"environment-config-0": {Items: []*fnv1.Resource{platform(t)}},
					"environment-config-1": {Items: []*fnv1.Resource{eu(t)}},
				}
			},
			want: want{
				requirements: map[string]*fnv1.ResourceSelector{"environment-config-0": byName, "environment-config-1": byLabel("platform.fullstack.io/settings", "eu")},
				environment:  "{apiVersion: internal.crossplane.io/v1alpha1, kind: Environment, fullstack: {domain: eu.apps.example.org, imageRegistry: ghcr.io/acme}, team: {costCenter: '1'}}",
			},
		},
		"LabelMatchesNothing": {
			reason: "Single mode wants exactly one config.",
			input:  platformInput, xr: xrEU,
			required: func(t *testing.T) map[string]*fnv1.Resources {
				return map[string]*fnv1.Resources{
					"environment-config-0": {Items: []*fnv1.Resource{platform(t)}},
					"environment-config-1": {},
				}
			},
			want: want{
				requirements: map[string]*fnv1.ResourceSelector{"environment-config-0": byName, "environment-config-1": byLabel("platform.fullstack.io/settings", "eu")},
				fatal:        `cannot get selected environment configs: cannot process environment config "environment-config-1" by selector: expected exactly one required resource, got 0`,
			},
		},
		"PlatformConfigMissing": {
			reason: "A Reference is Required unless the policy says Optional (RequestEnvironmentConfigsNotFoundRequired).",
			input:  platformInput, xr: xr,
			required: func(*testing.T) map[string]*fnv1.Resources {
				return map[string]*fnv1.Resources{"environment-config-0": {}}
			},
			want: want{
				requirements: map[string]*fnv1.ResourceSelector{"environment-config-0": byName},
				fatal:        `cannot get selected environment configs: cannot process environment config "fullstack-platform" by reference, "environment-config-0": Required environment config "fullstack-platform" not found`,
			},
		},
		"OptionalPolicy": {
			reason: "With resolution Optional a missing config is skipped; defaultData stays.",
			input:  "apiVersion: environmentconfigs.fn.crossplane.io/v1beta1\nkind: Input\nspec: {policy: {resolution: Optional}, defaultData: {fullstack: {domain: default.example.com}}, environmentConfigs: [{ref: {name: fullstack-platform}}]}",
			xr:     xr,
			required: func(*testing.T) map[string]*fnv1.Resources {
				return map[string]*fnv1.Resources{"environment-config-0": {}}
			},
			want: want{
				requirements: map[string]*fnv1.ResourceSelector{"environment-config-0": byName},
				environment:  "{apiVersion: internal.crossplane.io/v1alpha1, kind: Environment, fullstack: {domain: default.example.com}}",
			},
		},
		"OverTheContextOverDefaults": {
			reason:  "Selected configs > the environment already in the context > defaultData.",
			input:   "apiVersion: environmentconfigs.fn.crossplane.io/v1beta1\nkind: Input\nspec: {defaultData: {fullstack: {domain: d, ingressClassName: d, imageRegistry: d}}, environmentConfigs: [{type: Reference, ref: {name: fullstack-platform}}]}",
			xr:      xr,
			context: `{fullstack: {domain: c, ingressClassName: c}}`,
			required: func(t *testing.T) map[string]*fnv1.Resources {
				return map[string]*fnv1.Resources{"environment-config-0": {Items: []*fnv1.Resource{envConfig(t, "fullstack-platform", "", "{fullstack: {domain: e}}")}}}
			},
			want: want{
				requirements: map[string]*fnv1.ResourceSelector{"environment-config-0": byName},
				environment:  "{apiVersion: internal.crossplane.io/v1alpha1, kind: Environment, fullstack: {domain: e, ingressClassName: c, imageRegistry: d}}",
			},
		},
		"MultipleSortedAndCappedUnderAPath": {
			reason: "Multiple mode sorts by metadata.name, keeps maxMatch, and toFieldPath nests the data (SortByString, ToFieldPath).",
			input:  "apiVersion: environmentconfigs.fn.crossplane.io/v1beta1\nkind: Input\nspec: {environmentConfigs: [{type: Selector, toFieldPath: fullstack, selector: {mode: Multiple, maxMatch: 2, matchLabels: [{key: tier, type: Value, value: web}]}}]}",
			xr:     xr,
			required: func(t *testing.T) map[string]*fnv1.Resources {
				return map[string]*fnv1.Resources{"environment-config-0": {Items: []*fnv1.Resource{
					envConfig(t, "c", "tier: web", "{domain: c}"), envConfig(t, "a", "tier: web", "{domain: a, imageRegistry: a}"), envConfig(t, "b", "tier: web", "{domain: b}"),
				}}}
			},
			want: want{
				requirements: map[string]*fnv1.ResourceSelector{"environment-config-0": byLabel("tier", "web")},
				environment:  "{apiVersion: internal.crossplane.io/v1alpha1, kind: Environment, fullstack: {domain: b, imageRegistry: a}}",
			},
		},
		"RequiredFieldPathMissing": {
			reason: "A FromCompositeFieldPath label is Required by default.",
			input:  "apiVersion: environmentconfigs.fn.crossplane.io/v1beta1\nkind: Input\nspec: {environmentConfigs: [{type: Selector, selector: {matchLabels: [{key: region, valueFromFieldPath: spec.region}]}}]}",
			xr:     xr,
			want:   want{fatal: `cannot build requirements: cannot get value from field path "spec.region": spec: no such field`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{
				Meta:     &fnv1.RequestMeta{Tag: name},
				Input:    st(t, tc.input),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: st(t, tc.xr)}},
			}
			if tc.context != "" {
				req.Context = &structpb.Struct{Fields: map[string]*structpb.Value{ContextKey: structpb.NewStructValue(st(t, tc.context))}}
			}
			if tc.required != nil {
				req.RequiredResources = tc.required(t)
			}
			rsp, err := Function{}.RunFunction(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			var fatal string
			for _, r := range rsp.GetResults() {
				if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
					fatal = r.GetMessage()
				}
			}
			if diff := cmp.Diff(tc.want.fatal, fatal); diff != "" {
				t.Errorf("%s\nfatal (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.requirements, rsp.GetRequirements().GetResources(), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nrequirements (-want +got):\n%s", tc.reason, diff)
			}
			var want *structpb.Value
			if tc.want.environment != "" {
				want = structpb.NewStructValue(st(t, tc.want.environment))
			} else if tc.context != "" {
				want = structpb.NewStructValue(st(t, tc.context))
			}
			if diff := cmp.Diff(want, rsp.GetContext().GetFields()[ContextKey], protocmp.Transform()); diff != "" {
				t.Errorf("%s\nenvironment (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// TestConfigurationInputs checks the first step of every Composition the
// Configuration ships against the played Input: no field the real function
// would silently ignore (its SDK decodes leniently, and crossplane resource
// validate has no schema for it here), and the enums of v0.7.1's
// kubebuilder markers.
func TestConfigurationInputs(t *testing.T) {
	files, err := filepath.Glob("../../configuration/*/composition*.yaml")
	if err != nil || len(files) != 4 {
		t.Fatalf("want the 4 Compositions of configuration/, found %v (%v)", files, err)
	}
	enum := func(field, v string, allowed ...string) error {
		if v == "" || slices.Contains(allowed, v) {
			return nil
		}
		return fmt.Errorf("%s: %q is not one of %v", field, v, allowed)
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			comp := struct {
				Spec struct {
					Pipeline []struct {
						FunctionRef struct{ Name string } `json:"functionRef"`
						Input       json.RawMessage       `json:"input"`
					} `json:"pipeline"`
				} `json:"spec"`
			}{}
			if err := yaml.Unmarshal(b, &comp); err != nil {
				t.Fatal(err)
			}
			if len(comp.Spec.Pipeline) == 0 || comp.Spec.Pipeline[0].FunctionRef.Name != "crossplane-contrib-function-environment-configs" {
				t.Fatalf("the first step does not run function-environment-configs")
			}
			dec := json.NewDecoder(bytes.NewReader(comp.Spec.Pipeline[0].Input))
			dec.DisallowUnknownFields()
			in := &Input{}
			if err := dec.Decode(in); err != nil {
				t.Fatalf("the Input: %v", err)
			}
			var errs []error
			errs = append(errs, enum("apiVersion", in.APIVersion, "environmentconfigs.fn.crossplane.io/v1beta1"), enum("kind", in.Kind, "Input"))
			if len(in.Spec.EnvironmentConfigs) == 0 {
				errs = append(errs, errors.New("spec.environmentConfigs: selects nothing"))
			}
			for i, src := range in.Spec.EnvironmentConfigs {
				p := fmt.Sprintf("spec.environmentConfigs[%d]", i)
				errs = append(errs, enum(p+".type", src.Type, "Reference", "Selector"))
				switch {
				case src.isSelector() && src.Selector == nil:
					errs = append(errs, errors.New(p+".selector: Required value"))
				case src.isSelector():
					errs = append(errs, enum(p+".selector.mode", src.Selector.Mode, "Single", "Multiple"))
					for j, m := range src.Selector.MatchLabels {
						errs = append(errs, enum(fmt.Sprintf("%s.selector.matchLabels[%d].type", p, j), m.Type, "FromCompositeFieldPath", "Value"),
							enum(fmt.Sprintf("%s.selector.matchLabels[%d].fromFieldPathPolicy", p, j), m.FromFieldPathPolicy, "Optional", "Required"))
					}
				case src.Ref == nil || src.Ref.Name == "":
					errs = append(errs, errors.New(p+".ref.name: Required value"))
				}
			}
			if err := errors.Join(errs...); err != nil {
				t.Error(err)
			}
		})
	}
}
