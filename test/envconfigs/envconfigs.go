// Package envconfigs plays function-environment-configs v0.7.1
// (github.com/crossplane-contrib/function-environment-configs, the function
// the Configuration's Compositions run before function-fullstack), written
// here from its source because the Go module proxy refuses every version of
// it (.mod and .zip: 403), so CI cannot build the real one.
//
// What is played, each rule from v0.7.1's fn.go (RunFunction,
// buildRequirements, getSelectedEnvConfigs, processEnvironmentSource,
// processSourceByReference, sortRequiredByFieldPath, mergeEnvConfigsData,
// mergeMaps) and input/v1beta1/composition_environment.go (the Input and its
// defaults):
//   - the Input: spec.environmentConfigs (Reference by name, the default; or
//     Selector by labels, Single (the default) or Multiple with minMatch,
//     maxMatch and sortByFieldPath, default metadata.name), each label a
//     Value or FromCompositeFieldPath (the default) whose fromFieldPathPolicy
//     is Required (the default) or Optional; spec.defaultData;
//     spec.policy.resolution Required (the default) or Optional;
//   - the requirements: EnvironmentConfig (apiextensions.crossplane.io/v1beta1)
//     environment-config-<index>, by name or by labels; a selector whose
//     labels all resolve to nothing asks for nothing and selects nothing;
//   - the errors, worded as v0.7.1 words them;
//   - the context key apiextensions.crossplane.io/environment: the data of
//     the selected EnvironmentConfigs merged in order (maps deep-merged, the
//     later one wins; a config with toFieldPath lands under that path), over
//     the environment an earlier step left in the context, over defaultData;
//     apiVersion internal.crossplane.io/v1alpha1 kind Environment unless the
//     data sets them.
//
// One difference on purpose: v0.7.1 groups the selected configs by
// toFieldPath in a Go map and merges the groups in map order (random when
// two groups write the same key); here the groups merge in the order their
// first config is listed, so a render is repeatable.
package envconfigs

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"
	"google.golang.org/protobuf/types/known/structpb"
)

// ContextKey is where the function writes the environment.
const ContextKey = "apiextensions.crossplane.io/environment"

// Version is the release of function-environment-configs played here.
const Version = "v0.7.1"

// Input is function-environment-configs' Input
// (environmentconfigs.fn.crossplane.io/v1beta1).
type Input struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Spec       InputSpec `json:"spec"`
}

// InputSpec is the Input's spec.
type InputSpec struct {
	DefaultData        map[string]any `json:"defaultData,omitempty"`
	EnvironmentConfigs []Source       `json:"environmentConfigs,omitempty"`
	Policy             *struct {
		Resolution string `json:"resolution,omitempty"`
	} `json:"policy,omitempty"`
}

// Source selects EnvironmentConfigs by name or by labels.
type Source struct {
	Type string `json:"type,omitempty"`
	Ref  *struct {
		Name string `json:"name"`
	} `json:"ref,omitempty"`
	Selector    *Selector `json:"selector,omitempty"`
	ToFieldPath string    `json:"toFieldPath,omitempty"`
}

// Selector selects EnvironmentConfigs by labels.
type Selector struct {
	Mode            string         `json:"mode,omitempty"`
	MaxMatch        *uint64        `json:"maxMatch,omitempty"`
	MinMatch        *uint64        `json:"minMatch,omitempty"`
	SortByFieldPath string         `json:"sortByFieldPath,omitempty"`
	MatchLabels     []LabelMatcher `json:"matchLabels,omitempty"`
}

// LabelMatcher is one label of a Selector.
type LabelMatcher struct {
	Type                string  `json:"type,omitempty"`
	Key                 string  `json:"key"`
	ValueFromFieldPath  *string `json:"valueFromFieldPath,omitempty"`
	FromFieldPathPolicy string  `json:"fromFieldPathPolicy,omitempty"`
	Value               *string `json:"value,omitempty"`
}

func (s Source) isSelector() bool { return s.Type == "Selector" }

func (s *Selector) mode() string {
	if s == nil || s.Mode == "" {
		return "Single"
	}
	return s.Mode
}

func (s *Selector) sortBy() string {
	if s == nil || s.SortByFieldPath == "" {
		return "metadata.name"
	}
	return s.SortByFieldPath
}

// Function is the played function-environment-configs.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
}

// RunFunction selects EnvironmentConfigs and writes their merged data into
// the context, as function-environment-configs v0.7.1 does.
func (Function) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := response.To(req, response.DefaultTTL)
	in := &Input{}
	if err := decodeInput(req.GetInput(), in); err != nil {
		response.Fatal(rsp, fmt.Errorf("cannot get Function input from %T: %w", req, err))
		return rsp, nil
	}
	if in.Spec.EnvironmentConfigs == nil {
		return rsp, nil
	}
	xr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, fmt.Errorf("cannot get observed composite resource: %w", err))
		return rsp, nil
	}
	selectors, err := requirements(in, xr.Resource.Object)
	if err != nil {
		response.Fatal(rsp, fmt.Errorf("cannot build requirements: %w", err))
		return rsp, nil
	}
	rsp.Requirements = &fnv1.Requirements{Resources: selectors}
	if req.RequiredResources == nil {
		return rsp, nil
	}

	var env map[string]any
	if v, ok := request.GetContextKey(req, ContextKey); ok {
		env = v.GetStructValue().AsMap()
	}
	required, err := request.GetRequiredResources(req)
	if err != nil {
		response.Fatal(rsp, fmt.Errorf("cannot get required resources from %T: %w", req, err))
		return rsp, nil
	}
	merged, err := selectAndMerge(in, required)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	if env != nil {
		merged = mergeMaps(env, merged)
	}
	if in.Spec.DefaultData != nil {
		merged = mergeMaps(in.Spec.DefaultData, merged)
	}
	if merged["apiVersion"] == nil && merged["kind"] == nil {
		merged["apiVersion"] = "internal.crossplane.io/v1alpha1"
		merged["kind"] = "Environment"
	}
	s, err := structpb.NewStruct(merged)
	if err != nil {
		response.Fatal(rsp, fmt.Errorf("cannot convert Composition environment to protobuf Struct well-known type: %w", err))
		return rsp, nil
	}
	response.SetContextKey(rsp, ContextKey, structpb.NewStructValue(s))
	return rsp, nil
}

func decodeInput(s *structpb.Struct, in *Input) error {
	if s == nil {
		return nil
	}
	b, err := s.MarshalJSON()
	if err != nil {
		return err
	}
	return json.Unmarshal(b, in)
}

// requirement names the i-th source's requirement.
func requirement(i int) string { return fmt.Sprintf("environment-config-%d", i) }

func requirements(in *Input, xr map[string]any) (map[string]*fnv1.ResourceSelector, error) {
	out := make(map[string]*fnv1.ResourceSelector, len(in.Spec.EnvironmentConfigs))
	for i, src := range in.Spec.EnvironmentConfigs {
		sel := &fnv1.ResourceSelector{ApiVersion: "apiextensions.crossplane.io/v1beta1", Kind: "EnvironmentConfig"}
		switch src.Type {
		case "Reference", "":
			name := ""
			if src.Ref != nil {
				name = src.Ref.Name
			}
			sel.Match = &fnv1.ResourceSelector_MatchName{MatchName: name}
		case "Selector":
			labels := map[string]string{}
			var matchers []LabelMatcher
			if src.Selector != nil {
				matchers = src.Selector.MatchLabels
			}
			for _, m := range matchers {
				if m.Type == "Value" {
					if m.Value != nil {
						labels[m.Key] = *m.Value
					}
					continue
				}
				path := ""
				if m.ValueFromFieldPath != nil {
					path = *m.ValueFromFieldPath
				}
				v, err := fieldpath.Pave(xr).GetString(path)
				if err != nil {
					if m.FromFieldPathPolicy != "Optional" {
						return nil, fmt.Errorf("cannot get value from field path %q: %w", path, err)
					}
					continue
				}
				labels[m.Key] = v
			}
			if len(labels) == 0 {
				continue
			}
			sel.Match = &fnv1.ResourceSelector_MatchLabels{MatchLabels: &fnv1.MatchLabels{Labels: labels}}
		default:
			continue
		}
		out[requirement(i)] = sel
	}
	return out, nil
}

// selectAndMerge picks the EnvironmentConfigs each source selected and
// merges their data.
func selectAndMerge(in *Input, required map[string][]resource.Required) (map[string]any, error) {
	var paths []string
	byPath := map[string][]map[string]any{}
	for i, src := range in.Spec.EnvironmentConfigs {
		got, ok := required[requirement(i)]
		if !ok {
			continue
		}
		var picked []map[string]any
		switch {
		case src.isSelector():
			p, err := bySelector(src.Selector, got)
			if err != nil {
				return nil, fmt.Errorf("cannot get selected environment configs: cannot process environment config %q by selector: %w", requirement(i), err)
			}
			picked = p
		default:
			name := ""
			if src.Ref != nil {
				name = src.Ref.Name
			}
			switch {
			case len(got) == 0 && in.Spec.Policy != nil && in.Spec.Policy.Resolution == "Optional":
				continue
			case len(got) == 0:
				return nil, fmt.Errorf("cannot get selected environment configs: cannot process environment config %q by reference, %q: Required environment config %q not found", name, requirement(i), name)
			case len(got) > 1:
				return nil, fmt.Errorf("cannot get selected environment configs: cannot process environment config %q by reference, %q: expected exactly one required resource %q, got %d", name, requirement(i), name, len(got))
			}
			picked = []map[string]any{got[0].Resource.Object}
		}
		if _, seen := byPath[src.ToFieldPath]; !seen {
			paths = append(paths, src.ToFieldPath)
		}
		byPath[src.ToFieldPath] = append(byPath[src.ToFieldPath], picked...)
	}
	merged := map[string]any{}
	for _, path := range paths {
		for _, c := range byPath[path] {
			data := map[string]any{}
			if path != "" {
				if err := fieldpath.Pave(data).SetValue(path, c["data"]); err != nil {
					return nil, fmt.Errorf("cannot merge environment data: cannot get data from environment config %s into path %q", name(c), path)
				}
			} else if d, ok := c["data"].(map[string]any); ok {
				data = d
			}
			merged = mergeMaps(merged, data)
		}
	}
	return merged, nil
}

func name(o map[string]any) string {
	m, _ := o["metadata"].(map[string]any)
	n, _ := m["name"].(string)
	return n
}

func bySelector(s *Selector, got []resource.Required) ([]map[string]any, error) {
	switch s.mode() {
	case "Single":
		if len(got) != 1 {
			return nil, fmt.Errorf("expected exactly one required resource, got %d", len(got))
		}
		return []map[string]any{got[0].Resource.Object}, nil
	case "Multiple":
		if s.MinMatch != nil && uint64(len(got)) < *s.MinMatch {
			return nil, fmt.Errorf("expected at least %d required resources, got %d", *s.MinMatch, len(got))
		}
		sorted, err := sortByFieldPath(got, s.sortBy())
		if err != nil {
			return nil, err
		}
		if s.MaxMatch != nil && uint64(len(sorted)) > *s.MaxMatch {
			sorted = sorted[:*s.MaxMatch]
		}
		return sorted, nil
	default:
		return nil, fmt.Errorf("unknown selector mode %q", s.Mode)
	}
}

// sortByFieldPath orders the configs by the value at path: strings or
// numbers of one type; a config without the value sorts as that type's zero.
func sortByFieldPath(got []resource.Required, path string) ([]map[string]any, error) {
	type keyed struct {
		obj map[string]any
		val any
	}
	ks := make([]keyed, len(got))
	var typ reflect.Type
	for i, r := range got {
		v, err := fieldpath.Pave(r.Resource.Object).GetValue(path)
		if err != nil && !fieldpath.IsNotFound(err) {
			return nil, err
		}
		ks[i] = keyed{obj: r.Resource.Object, val: v}
		if v == nil {
			continue
		}
		if typ == nil {
			typ = reflect.TypeOf(v)
		} else if typ != reflect.TypeOf(v) {
			return nil, fmt.Errorf("cannot sort values of different types %q and %q", typ, reflect.TypeOf(v))
		}
	}
	if typ != nil && typ.Kind() != reflect.String && typ.Kind() != reflect.Float64 && typ.Kind() != reflect.Int64 {
		return nil, fmt.Errorf("unsupported type %q for sorting", typ.Kind())
	}
	zero := func(v any) any {
		if v == nil && typ != nil {
			return reflect.Zero(typ).Interface()
		}
		return v
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		switch av := zero(a.val).(type) {
		case string:
			return cmp.Compare(av, zero(b.val).(string))
		case float64:
			return cmp.Compare(av, zero(b.val).(float64))
		case int64:
			return cmp.Compare(av, zero(b.val).(int64))
		}
		return 0
	})
	out := make([]map[string]any, len(ks))
	for i, k := range ks {
		out[i] = k.obj
	}
	return out, nil
}

// mergeMaps returns a with b merged over it: maps deep-merged, anything else
// replaced.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
