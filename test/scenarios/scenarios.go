// Package scenarios reads the render-ready examples (example/<name>/) into
// the RunFunctionRequests Crossplane would send for each of their scenarios,
// so that the function's own tests and the tests of the built binary call
// it with the same requests hack/render.sh renders.
package scenarios

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/fullstack-fn/function-fullstack/internal/database"
	"github.com/fullstack-fn/function-fullstack/test/envconfigs"
)

// The names Crossplane gives the Functions the Configuration depends on:
// the Compositions' functionRefs.
const (
	FunctionName               = "fullstack-fn-function-fullstack"
	EnvironmentConfigsFunction = "crossplane-contrib-function-environment-configs"
)

// An Example is one example/<name>/ folder and one of its scenarios.
type Example struct {
	// Name is the example's folder name.
	Name string
	// Scenario is nothing-exists, or the name of a file under observed/
	// (or environment/) of the example.
	Scenario string
	// Dir is the example's folder.
	Dir string
	// root is the repository's root.
	root string
}

// All lists every example and scenario that hack/render.sh renders, read
// from the repository at root.
func All(root string) ([]Example, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "example", "*", "xr.yaml"))
	if err != nil || len(dirs) == 0 {
		return nil, fmt.Errorf("no examples found under %s: %v", root, err)
	}
	var out []Example
	for _, x := range dirs {
		dir := filepath.Dir(x)
		s := Example{Name: filepath.Base(dir), Scenario: "nothing-exists", Dir: dir, root: root}
		out = append(out, s)
		obs, _ := filepath.Glob(filepath.Join(dir, "observed", "*.yaml"))
		for _, o := range obs {
			s.Scenario = strings.TrimSuffix(filepath.Base(o), ".yaml")
			out = append(out, s)
		}
		// An environment without observed state of its name is a scenario
		// of its own (hack/render.sh does the same).
		envs, _ := filepath.Glob(filepath.Join(dir, "environment", "*.yaml"))
		for _, e := range envs {
			if !exists(filepath.Join(dir, "observed", filepath.Base(e))) {
				s.Scenario = strings.TrimSuffix(filepath.Base(e), ".yaml")
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// Of is one scenario of the example in example/<name>/ of the repository
// at root.
func Of(root, name, scenario string) Example {
	return Example{Name: name, Scenario: scenario, Dir: filepath.Join(root, "example", name), root: root}
}

// Request builds the RunFunctionRequest Crossplane would send for the
// scenario: the XR, the Composition's input, credentials, the required
// resources Crossplane answers with, the context function-environment-configs
// leaves (played, test/envconfigs), and observed state.
func (e Example) Request() (*fnv1.RunFunctionRequest, error) {
	docs, err := ReadDocs(filepath.Join(e.Dir, "xr.yaml"))
	if err != nil {
		return nil, err
	}
	comps, err := ReadDocs(filepath.Join(e.Dir, "composition.yaml"))
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 || len(comps) == 0 {
		return nil, fmt.Errorf("%s: xr.yaml and composition.yaml must each hold an object", e.Dir)
	}
	xr := docs[0]
	steps, _, _ := unstructured.NestedSlice(comps[0].Object, "spec", "pipeline")
	var input, envInput map[string]any
	for _, s := range steps {
		step, _ := s.(map[string]any)
		in, _ := step["input"].(map[string]any)
		switch ref, _, _ := unstructured.NestedString(step, "functionRef", "name"); ref {
		case FunctionName:
			input = in
		case EnvironmentConfigsFunction:
			envInput = in
		default:
			return nil, fmt.Errorf("%s: a step of a function the examples do not run: %q", e.Dir, ref)
		}
	}

	var errs []error
	str := func(m map[string]any) *structpb.Struct {
		s, err := structpb.NewStruct(m)
		errs = append(errs, err)
		return s
	}
	req := &fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: e.Name + "/" + e.Scenario},
		Input:    str(input),
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: str(xr.Object)}},
	}
	if creds := filepath.Join(e.Dir, "credentials.yaml"); exists(creds) {
		cs, err := ReadDocs(creds)
		if err != nil {
			return nil, err
		}
		req.Credentials = map[string]*fnv1.Credentials{}
		for _, c := range cs {
			data := map[string][]byte{}
			for k, v := range database.SecretData(c.Object) {
				data[k] = v
			}
			req.Credentials[c.GetName()] = &fnv1.Credentials{Source: &fnv1.Credentials_CredentialData{CredentialData: &fnv1.CredentialData{Data: data}}}
		}
	}
	if r := filepath.Join(e.Dir, "required", e.Scenario+".yaml"); exists(r) {
		rs, err := ReadDocs(r)
		if err != nil {
			return nil, err
		}
		// As Crossplane answers the function's requirements: the password
		// Secret under one name, the CA bundle ConfigMap under the other.
		key := map[string]string{"Secret": database.RequiredPasswordSecret, "ConfigMap": database.RequiredCABundle}
		req.RequiredResources = map[string]*fnv1.Resources{}
		for _, o := range rs {
			k := key[o.GetKind()]
			if req.RequiredResources[k] == nil {
				req.RequiredResources[k] = &fnv1.Resources{}
			}
			req.RequiredResources[k].Items = append(req.RequiredResources[k].Items, &fnv1.Resource{Resource: str(o.Object)})
		}
	}
	if envInput != nil {
		// The EnvironmentConfigs hack/render.sh passes with -e.
		path := filepath.Join(e.root, "example", "install", "environmentconfig.yaml")
		if env := filepath.Join(e.Dir, "environment", e.Scenario+".yaml"); exists(env) {
			path = env
		}
		ecs, err := ReadDocs(path)
		if err != nil {
			return nil, err
		}
		if req.Context, err = Environment(envInput, xr, ecs); err != nil {
			return nil, err
		}
	}
	if observed := filepath.Join(e.Dir, "observed", e.Scenario+".yaml"); exists(observed) {
		objs, err := ReadDocs(observed)
		if err != nil {
			return nil, err
		}
		req.Observed.Resources = map[string]*fnv1.Resource{}
		for _, o := range objs {
			name := o.GetAnnotations()["crossplane.io/composition-resource-name"]
			req.Observed.Resources[name] = &fnv1.Resource{Resource: str(o.Object)}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s/%s: cannot convert to a protobuf Struct: %w", e.Name, e.Scenario, err)
	}
	return req, nil
}

// Environment runs the Compositions' first step, function-environment-configs
// (played, test/envconfigs), as Crossplane runs a step: it calls the
// function, answers its requirements from the EnvironmentConfigs in ecs,
// calls it again until they settle, and returns the context the next step
// receives.
func Environment(input map[string]any, xr *unstructured.Unstructured, ecs []*unstructured.Unstructured) (*structpb.Struct, error) {
	in, err := structpb.NewStruct(input)
	if err != nil {
		return nil, err
	}
	x, err := structpb.NewStruct(xr.Object)
	if err != nil {
		return nil, err
	}
	req := &fnv1.RunFunctionRequest{Input: in, Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: x}}}
	for range 5 {
		rsp, err := envconfigs.Function{}.RunFunction(context.Background(), req)
		if err != nil {
			return nil, err
		}
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				return nil, fmt.Errorf("function-environment-configs: %s", r.GetMessage())
			}
		}
		answer := map[string]*fnv1.Resources{}
		for name, sel := range rsp.GetRequirements().GetResources() {
			answer[name] = &fnv1.Resources{}
			for _, ec := range ecs {
				if !selects(sel, ec) {
					continue
				}
				s, err := structpb.NewStruct(ec.Object)
				if err != nil {
					return nil, err
				}
				answer[name].Items = append(answer[name].Items, &fnv1.Resource{Resource: s})
			}
		}
		if req.RequiredResources != nil && cmp.Equal(answer, req.RequiredResources, protocmp.Transform()) {
			return rsp.GetContext(), nil
		}
		req.RequiredResources = answer
	}
	return nil, errors.New("function-environment-configs: its requirements did not settle in 5 calls")
}

// selects reports whether Crossplane answers sel with o: the kind, and the
// name or every label.
func selects(sel *fnv1.ResourceSelector, o *unstructured.Unstructured) bool {
	if o.GetAPIVersion() != sel.GetApiVersion() || o.GetKind() != sel.GetKind() {
		return false
	}
	if sel.GetMatchName() != "" {
		return o.GetName() == sel.GetMatchName()
	}
	for k, v := range sel.GetMatchLabels().GetLabels() {
		if o.GetLabels()[k] != v {
			return false
		}
	}
	return true
}

// ReadDocs reads a multi-document YAML file into unstructured objects.
func ReadDocs(path string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, doc := range bytes.Split(b, []byte("\n---")) {
		m := map[string]any{}
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("cannot parse %s: %w", path, err)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
