package pipeline

import (
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestSettings(t *testing.T) {
	type aws struct {
		Region  string `json:"region,omitempty"`
		Network string `json:"network,omitempty"`
	}
	type settings struct {
		APIVersion string   `json:"apiVersion,omitempty"`
		Kind       string   `json:"kind,omitempty"`
		Domain     string   `json:"domain,omitempty"`
		Registry   string   `json:"imageRegistry,omitempty"`
		Zones      []string `json:"zones,omitempty"`
		Databases  struct {
			AWS aws `json:"aws"`
		} `json:"databases"`
	}
	input := map[string]any{
		"apiVersion": "fullstack.fn.crossplane.io/v1beta1", "kind": "Input",
		"domain": "apps.example.com", "imageRegistry": "ghcr.io/acme", "zones": []any{"a", "b"},
		"databases": map[string]any{"aws": map[string]any{"region": "eu-west-1", "network": "vpc-1"}},
	}
	environment := func(fullstack map[string]any) map[string]any {
		return map[string]any{EnvironmentKey: map[string]any{"other-function": map[string]any{"x": 1}, SettingsKey: fullstack}}
	}
	fromInput := settings{APIVersion: "fullstack.fn.crossplane.io/v1beta1", Kind: "Input", Domain: "apps.example.com", Registry: "ghcr.io/acme", Zones: []string{"a", "b"}}
	fromInput.Databases.AWS = aws{Region: "eu-west-1", Network: "vpc-1"}

	cases := map[string]struct {
		input, context map[string]any
		want           settings
		wantEnv        bool
		wantErr        bool
	}{
		"InputOnly": {input: input, want: fromInput},
		"AnEnvironmentWithoutSettings": {
			input: input, context: map[string]any{EnvironmentKey: map[string]any{"other-function": map[string]any{"x": 1}}}, want: fromInput,
		},
		"TheEnvironmentOverridesFieldByField": {
			input:   input,
			context: environment(map[string]any{"domain": "shop.example.org", "zones": []any{"c"}, "databases": map[string]any{"aws": map[string]any{"region": "us-east-1"}}}),
			want: func() settings {
				s := fromInput
				s.Domain, s.Zones = "shop.example.org", []string{"c"}
				s.Databases.AWS.Region = "us-east-1"
				return s
			}(),
			wantEnv: true,
		},
		"TheEnvironmentWithoutAnInput": {
			context: environment(map[string]any{"domain": "shop.example.org"}),
			want:    settings{Domain: "shop.example.org"},
			wantEnv: true,
		},
		"AnUnknownFieldInTheEnvironment": {
			input: input, context: environment(map[string]any{"domian": "shop.example.org"}), wantEnv: true, wantErr: true,
		},
		"AWrongTypeInTheEnvironment": {
			input: input, context: environment(map[string]any{"databases": "aws"}), wantEnv: true, wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{}
			if tc.input != nil {
				req.Input = mustNewStruct(t, tc.input)
			}
			if tc.context != nil {
				req.Context = mustNewStruct(t, tc.context)
			}
			before := &fnv1.RunFunctionRequest{Input: req.GetInput(), Context: req.GetContext()}
			before = cloneRequest(before)
			var got settings
			fromEnv, err := Settings(req, &got)
			if fromEnv != tc.wantEnv || (err != nil) != tc.wantErr {
				t.Fatalf("Settings(...): fromEnvironment %v, error %v; want %v, error: %v", fromEnv, err, tc.wantEnv, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); !tc.wantErr && diff != "" {
				t.Errorf("Settings(...): -want, +got:\n%s", diff)
			}
			if diff := cmp.Diff(before, &fnv1.RunFunctionRequest{Input: req.GetInput(), Context: req.GetContext()}, protocmp.Transform()); diff != "" {
				t.Errorf("Settings(...) changed the request: -before, +after:\n%s", diff)
			}
		})
	}
}

func mustNewStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func cloneRequest(r *fnv1.RunFunctionRequest) *fnv1.RunFunctionRequest {
	return proto.Clone(r).(*fnv1.RunFunctionRequest)
}

// TestDecodeErrorsAreStable checks that a refused Input is worded the same
// on every call (the JSON library varies its own wording on purpose), with
// the path of what is wrong.
func TestDecodeErrorsAreStable(t *testing.T) {
	type inner struct {
		Region string `json:"region"`
	}
	type settings struct {
		Domain    string `json:"domain"`
		Databases struct {
			AWS inner `json:"aws"`
		} `json:"databases"`
		Zones []string `json:"zones"`
	}
	cases := map[string]struct {
		json string
		want string
	}{
		"UnknownTopLevelName": {json: `{"domian":"x"}`, want: `domian: unknown field`},
		"UnknownNestedName":   {json: `{"databases":{"aws":{"regoin":"x"}}}`, want: `databases.aws.regoin: unknown field`},
		"WrongType":           {json: `{"databases":{"aws":{"region":1}}}`, want: `databases.aws.region: a JSON number where a string belongs`},
		"WrongTypeInAList":    {json: `{"zones":["a",true]}`, want: `zones.1: a JSON true where a string belongs`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			seen := map[string]bool{}
			for range 20 {
				var out settings
				if err := decode([]byte(tc.json), &out); err != nil {
					seen[err.Error()] = true
				}
			}
			if diff := cmp.Diff(map[string]bool{tc.want: true}, seen); diff != "" {
				t.Errorf("decode errors over 20 calls: -want, +got:\n%s", diff)
			}
		})
	}
}
