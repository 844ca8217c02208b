package main

import (
	"testing"

	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/response"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/fullstack-fn/function-fullstack/input/v1beta1"
	"github.com/fullstack-fn/function-fullstack/internal/database"
	"github.com/fullstack-fn/function-fullstack/internal/pipeline"
)

// TestPipelineMatchesSDK reads every example request with package pipeline
// and with function-sdk-go's request package, and writes results and
// conditions with both, and compares: the function reads and writes what
// the SDK would, without the SDK's dependencies in the binary.
func TestPipelineMatchesSDK(t *testing.T) {
	for _, e := range examples(t) {
		t.Run(e.Name+"/"+e.Scenario, func(t *testing.T) {
			req := e.request(t)

			xr, err := request.GetObservedCompositeResource(req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(xr.Resource.Object, pipeline.ObservedComposite(req).Object); diff != "" {
				t.Errorf("observed XR: -SDK, +pipeline:\n%s", diff)
			}

			observed, err := request.GetObservedComposedResources(req)
			if err != nil {
				t.Fatal(err)
			}
			got := pipeline.ObservedComposed(req)
			if len(got) != len(observed) {
				t.Errorf("observed composed resources: SDK %d, pipeline %d", len(observed), len(got))
			}
			for name, o := range observed {
				if diff := cmp.Diff(o.Resource.Object, got[pipeline.Name(name)].Object); diff != "" {
					t.Errorf("observed %s: -SDK, +pipeline:\n%s", name, diff)
				}
			}

			required, err := request.GetRequiredResources(req)
			if err != nil {
				t.Fatal(err)
			}
			gotRequired := pipeline.Required(req)
			if len(gotRequired) != len(required) {
				t.Errorf("required resources: SDK %d, pipeline %d", len(required), len(gotRequired))
			}
			for name, rs := range required {
				want := make([]map[string]any, 0, len(rs))
				for _, r := range rs {
					want = append(want, r.Resource.Object)
				}
				have := make([]map[string]any, 0, len(gotRequired[name]))
				for _, r := range gotRequired[name] {
					have = append(have, r.Object)
				}
				if diff := cmp.Diff(want, have); diff != "" {
					t.Errorf("required %s: -SDK, +pipeline:\n%s", name, diff)
				}
			}

			var seed []byte
			if c, err := request.GetCredentials(req, database.PasswordSeedCredential); err == nil {
				seed = c.Data["seed"]
			}
			if diff := cmp.Diff(seed, pipeline.CredentialData(req, database.PasswordSeedCredential)["seed"]); diff != "" {
				t.Errorf("credentials: -SDK, +pipeline:\n%s", diff)
			}

			if req.GetInput() != nil {
				want, have := &v1beta1.Input{}, &v1beta1.Input{}
				if err := request.GetInput(req, want); err != nil {
					t.Fatal(err)
				}
				if err := pipeline.DecodeInput(req, have); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, have); diff != "" {
					t.Errorf("input: -SDK, +pipeline:\n%s", diff)
				}
			}

			sdk := response.To(req, response.DefaultTTL)
			response.Fatal(sdk, errString("refused"))
			response.Warning(sdk, errString("careful")).TargetCompositeAndClaim()
			response.ConditionTrue(sdk, "ResourcesReady", "AllReady").WithMessage("all 3").TargetCompositeAndClaim()
			response.ConditionFalse(sdk, "Migrated", "Migrating").WithMessage("running").TargetCompositeAndClaim()
			ours := pipeline.To(req, pipeline.DefaultTTL)
			pipeline.Fatal(ours, "refused")
			pipeline.Warning(ours, "careful")
			pipeline.Condition(ours, "ResourcesReady", true, "AllReady", "all 3")
			pipeline.Condition(ours, "Migrated", false, "Migrating", "running")
			if diff := cmp.Diff(sdk, ours, protocmp.Transform()); diff != "" {
				t.Errorf("response: -SDK, +pipeline:\n%s", diff)
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }
