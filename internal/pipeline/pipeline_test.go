package pipeline

import (
	"testing"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestValue(t *testing.T) {
	obj := map[string]any{
		"spec": map[string]any{
			"template": map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"image": "ghcr.io/acme/api:1", "ports": []any{float64(3001)}},
				map[string]any{"image": 7.0},
			}}},
			"matrix":   []any{[]any{"a", "b"}, []any{"c"}},
			"policies": []any{"Observe", "Create"},
			"mixed":    []any{"Observe", 1.0},
			"port":     float64(5432),
			"big":      int64(1) << 40,
			"flag":     true,
		},
	}
	cases := map[string]struct {
		path string
		want any
		ok   bool
	}{
		"Nested string":            {path: "spec.template.spec.containers[0].image", want: "ghcr.io/acme/api:1", ok: true},
		"Index then index":         {path: "spec.template.spec.containers[0].ports[0]", want: float64(3001), ok: true},
		"List of lists":            {path: "spec.matrix[1][0]", want: "c", ok: true},
		"Index past the end":       {path: "spec.template.spec.containers[2].image", ok: false},
		"Negative index":           {path: "spec.matrix[-1]", ok: false},
		"Index into an object":     {path: "spec.template[0]", ok: false},
		"Field of a list":          {path: "spec.matrix.a", ok: false},
		"Missing field":            {path: "spec.nothing", ok: false},
		"Field of a string":        {path: "spec.template.spec.containers[0].image.tag", ok: false},
		"Unclosed bracket":         {path: "spec.matrix[0", ok: false},
		"Not a number in brackets": {path: "spec.matrix[x]", ok: false},
		"Whole object":             {path: "spec.flag", want: true, ok: true},
		"Top level":                {path: "spec.port", want: float64(5432), ok: true},
		"Empty path":               {path: "", ok: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := Value(obj, tc.path)
			if ok != tc.ok {
				t.Fatalf("Value(%q): ok %v, want %v", tc.path, ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); ok && diff != "" {
				t.Errorf("Value(%q): -want, +got:\n%s", tc.path, diff)
			}
		})
	}

	if got := String(obj, "spec.template.spec.containers[1].image"); got != "" {
		t.Errorf("String of a number: got %q, want \"\"", got)
	}
	for path, want := range map[string]int64{"spec.port": 5432, "spec.big": 1 << 40} {
		if got, ok := Int(obj, path); !ok || got != want {
			t.Errorf("Int(%q): got %d, %v; want %d, true", path, got, ok, want)
		}
	}
	if _, ok := Int(obj, "spec.flag"); ok {
		t.Error("Int of a bool: ok")
	}
	if got, ok := Strings(obj, "spec.policies"); !ok || !cmp.Equal(got, []string{"Observe", "Create"}) {
		t.Errorf("Strings: got %v, %v", got, ok)
	}
	if _, ok := Strings(obj, "spec.mixed"); ok {
		t.Error("Strings of a list holding a number: ok")
	}
	if !Bool(obj, "spec.flag") || Bool(obj, "spec.port") {
		t.Error("Bool: wrong")
	}
}

func TestInput(t *testing.T) {
	type input struct {
		IngressClassName string `json:"ingressClassName,omitempty"`
		Nested           struct {
			Enabled *bool `json:"enabled,omitempty"`
		} `json:"nested"`
	}
	cases := map[string]struct {
		input   map[string]any
		want    input
		wantErr bool
	}{
		"Known fields": {input: map[string]any{"ingressClassName": "nginx", "nested": map[string]any{"enabled": false}}, want: input{IngressClassName: "nginx", Nested: struct {
			Enabled *bool `json:"enabled,omitempty"`
		}{Enabled: new(bool)}}},
		"An unknown field":          {input: map[string]any{"ingressClassNmae": "nginx"}, wantErr: true},
		"A field in the wrong case": {input: map[string]any{"IngressClassName": "nginx"}, wantErr: true},
		"A nested unknown field":    {input: map[string]any{"nested": map[string]any{"enabled": true, "x": 1}}, wantErr: true},
		"A wrong type":              {input: map[string]any{"ingressClassName": 1}, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := structpb.NewStruct(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			var got input
			err = DecodeInput(&fnv1.RunFunctionRequest{Input: s}, &got)
			if (err != nil) != tc.wantErr {
				t.Fatalf("DecodeInput(...): error %v, want error: %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); !tc.wantErr && diff != "" {
				t.Errorf("DecodeInput(...): -want, +got:\n%s", diff)
			}
		})
	}
}
