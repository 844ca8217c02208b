package encode_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/fullstack-fn/function-fullstack/apis/v1alpha1"
	"github.com/fullstack-fn/function-fullstack/internal/encode"
	"github.com/fullstack-fn/function-fullstack/internal/names"
	"github.com/fullstack-fn/function-fullstack/internal/objects"
	"github.com/fullstack-fn/function-fullstack/internal/resolve"
)

// viaJSON is the road Struct replaces: encoding/json's output decoded into
// a map, nulls dropped from objects (and from objects in lists), the
// top-level status dropped when asked, then a Struct. Struct must give the
// same Struct for every value.
func viaJSON(v any, dropStatus bool) (*structpb.Struct, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	var drop func(map[string]any)
	drop = func(m map[string]any) {
		for k, v := range m {
			switch t := v.(type) {
			case nil:
				delete(m, k)
			case map[string]any:
				drop(t)
			case []any:
				for _, e := range t {
					if em, ok := e.(map[string]any); ok {
						drop(em)
					}
				}
			}
		}
	}
	drop(m)
	if dropStatus {
		delete(m, "status")
	}
	return structpb.NewStruct(m)
}

// Types that reach every rule of encoding/json the encoder follows.
type (
	inner struct {
		A string `json:"a,omitempty"`
		B int    `json:"b"`
	}
	Inner2 struct {
		A string `json:"a"`
		C bool
		D string `json:"d"`
	}
	Deeper struct {
		D string `json:"d"`
		E string `json:"e"`
	}
	Outer struct {
		Deeper
		E string `json:"e"`
	}
	ptrMarshaler struct{ N int }
	valMarshaler struct{ S string }
	textM        struct{ S string }
	textKey      string
	zeroer       struct{ N int }
	edge         struct {
		metav1.TypeMeta `json:",inline"`
		*inner
		Inner2
		Outer
		Named      string                  `json:"named,string"`
		Num        *int                    `json:",string,omitempty"`
		Flag       bool                    `json:"flag,string"`
		Time       metav1.Time             `json:"time,omitzero"`
		TimeEmpty  metav1.Time             `json:"timeEmpty,omitempty"`
		Zeroer     zeroer                  `json:"zeroer,omitzero"`
		ZeroerPtr  *zeroer                 `json:"zeroerPtr,omitzero"`
		Raw        runtime.RawExtension    `json:"raw,omitempty"`
		Q          resource.Quantity       `json:"q"`
		QPtr       *resource.Quantity      `json:"qPtr,omitempty"`
		IS         intstr.IntOrString      `json:"is"`
		Dur        metav1.Duration         `json:"dur"`
		Bytes      []byte                  `json:"bytes"`
		NilBytes   []byte                  `json:"nilBytes"`
		IntKeys    map[int]string          `json:"intKeys"`
		TextKeys   map[textKey]int         `json:"textKeys"`
		F32        float32                 `json:"f32"`
		F64        float64                 `json:"f64,omitempty"`
		U8         uint8                   `json:"u8"`
		Any        any                     `json:"any"`
		AnyNil     any                     `json:"anyNil"`
		Lists      [][]map[string]*string  `json:"lists"`
		PtrList    []*string               `json:"ptrList"`
		Arr        [2]int                  `json:"arr"`
		Status     struct{ X int }         `json:"status"`
		Dash       string                  `json:"-,"` //nolint:staticcheck // encoding/json names it "-"; so must Struct.
		Skip       string                  `json:"-"`
		unexported string                  //nolint:unused // encoding/json leaves it out; so must Struct.
		PM         ptrMarshaler            `json:"pm"`
		PMs        []ptrMarshaler          `json:"pms"`
		PMMap      map[string]ptrMarshaler `json:"pmMap"`
		VM         valMarshaler            `json:"vm"`
		VMPtr      *valMarshaler           `json:"vmPtr"`
		TM         textM                   `json:"tm"`
		BadTag     string                  `json:"a\"b"` //nolint:staticcheck // an invalid name: encoding/json uses the Go name; so must Struct.
		Untagged   int
		Nested     map[string]map[string]any     `json:"nested"`
		Empty      struct{}                      `json:"empty,omitempty"`
		Secret     map[string][]byte             `json:"secret"`
		Resources  corev1.ResourceList           `json:"resources"`
		Labels     map[string]string             `json:"labels,omitempty"`
		Ints       []int                         `json:"ints,omitempty"`
		Nils       map[string]*ptrMarshaler      `json:"nils"`
		Iface      json.Marshaler                `json:"iface"`
		Strs       map[string]intstr.IntOrString `json:"strs"`
	}
)

func (p *ptrMarshaler) MarshalJSON() ([]byte, error) {
	if p.N < 0 {
		return nil, errors.New("negative")
	}
	return json.Marshal(map[string]any{"n": p.N, "null": nil, "list": []any{nil, map[string]any{"x": nil}}})
}

func (v valMarshaler) MarshalJSON() ([]byte, error) {
	if v.S == "" {
		return []byte("null"), nil
	}
	return json.Marshal(v.S)
}

func (t textM) MarshalText() ([]byte, error)   { return []byte("text:" + t.S), nil }
func (k textKey) MarshalText() ([]byte, error) { return []byte("key:" + string(k)), nil }
func (z zeroer) IsZero() bool                  { return z.N == 42 }

func edgeValue() *edge {
	e := &edge{
		inner:     &inner{A: "inner", B: 7},
		Inner2:    Inner2{A: "inner2", C: true, D: "conflict"},
		Outer:     Outer{Deeper: Deeper{D: "deeper", E: "shadowed"}, E: "outer"},
		Named:     "quoted \"name\" <&>",
		Num:       ptr.To(12),
		Time:      metav1.NewTime(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)),
		Zeroer:    zeroer{N: 42},
		ZeroerPtr: &zeroer{N: 1},
		Raw:       runtime.RawExtension{Raw: []byte(`{"a":null,"b":[1,null,{"c":null}],"d":"\u00e9\n"}`)},
		Q:         resource.MustParse("1500m"),
		QPtr:      ptr.To(resource.MustParse("10Gi")),
		IS:        intstr.FromInt32(8080),
		Dur:       metav1.Duration{Duration: 90 * time.Second},
		Bytes:     []byte("password\x00\xff"),
		IntKeys:   map[int]string{-1: "minus", 2: "two"},
		TextKeys:  map[textKey]int{"a": 1},
		F32:       0.1,
		F64:       1e21,
		U8:        255,
		Any:       map[string]any{"k": []any{1.5, "s", nil, true}, "n": nil},
		Lists:     [][]map[string]*string{{{"x": nil, "y": ptr.To("y")}}, nil},
		PtrList:   []*string{nil, ptr.To("p")},
		Arr:       [2]int{1, 2},
		Dash:      "dash",
		Skip:      "skip",
		PM:        ptrMarshaler{N: 3},
		PMs:       []ptrMarshaler{{N: 4}},
		PMMap:     map[string]ptrMarshaler{"m": {N: 5}},
		VM:        valMarshaler{S: "vm"},
		VMPtr:     &valMarshaler{},
		TM:        textM{S: "tm"},
		BadTag:    "bad",
		Untagged:  9,
		Nested:    map[string]map[string]any{"a": {"b": nil, "c": "\xffbad utf8"}, "nil": nil},
		Secret:    map[string][]byte{"password": []byte("s3cr3t"), "empty": {}, "nil": nil},
		Resources: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
		Nils:      map[string]*ptrMarshaler{"nil": nil, "set": {N: 6}},
		Iface:     valMarshaler{S: "iface"},
		Strs:      map[string]intstr.IntOrString{"port": intstr.FromString("http"), "n": intstr.FromInt32(-3)},
	}
	e.Kind, e.APIVersion = "Edge", "test.fullstack.io/v1"
	return e
}

func TestStructMatchesEncodingJSON(t *testing.T) {
	m := shopMeta()
	w := apiWorkload()
	deploy := objects.Deployment(m, objects.ComponentBackend, "shop-backend", w, objects.Wiring{})
	cases := map[string]struct {
		v          any
		dropStatus bool
	}{
		"Every rule":                      {v: edgeValue()},
		"Every rule, status dropped":      {v: edgeValue(), dropStatus: true},
		"Zero value":                      {v: &edge{}},
		"Struct passed by value":          {v: *edgeValue()},
		"Invalid UTF-8 in strings":        {v: &corev1.ConfigMap{Data: map[string]string{"\xffkey": "v\xc3\x28al\xed\xa0\x80"}, BinaryData: map[string][]byte{"b": {0xff}}}},
		"Deployment":                      {v: deploy, dropStatus: true},
		"Deployment with status":          {v: &appsv1.Deployment{Status: appsv1.DeploymentStatus{Replicas: 3}}, dropStatus: true},
		"Service":                         {v: objects.Service(m, objects.ComponentFrontend, "shop-frontend", []resolve.Port{{Name: "grpc", Number: 9090}}), dropStatus: true},
		"Secret":                          {v: &corev1.Secret{Data: map[string][]byte{"password": []byte("p")}, StringData: map[string]string{"a": "b"}}, dropStatus: true},
		"Job":                             {v: &batchv1.Job{Spec: batchv1.JobSpec{BackoffLimit: ptr.To[int32](0), Template: deploy.Spec.Template}}, dropStatus: true},
		"CronJob":                         {v: objects.ScheduleCronJob(m, resolve.Schedule{Name: "nightly", Pods: apiWorkload(), Schedule: "0 3 * * *", TimeZone: "Europe/Berlin", ConcurrencyPolicy: "Forbid", TimeoutSeconds: 600}, objects.Wiring{}), dropStatus: true},
		"ServiceAccount":                  {v: objects.ServiceAccount(m), dropStatus: true},
		"HorizontalPodAutoscaler":         {v: &autoscalingv2.HorizontalPodAutoscaler{Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 4, Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](70)}}}}}}, dropStatus: true},
		"PodDisruptionBudget":             {v: &policyv1.PodDisruptionBudget{Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromString("25%"))}}, dropStatus: true},
		"NetworkPolicy with empty peers":  {v: &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}}, PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}, dropStatus: true},
		"Rollout (local struct)":          {v: &objects.Rollout{APIVersion: objects.RolloutAPIVersion, Kind: "Rollout", Spec: objects.RolloutSpec{Template: deploy.Spec.Template}}},
		"Managed resource (generic type)": {v: &objects.Managed[objects.RDSInstanceParameters]{APIVersion: "rds.aws.upbound.io/v1beta1", Kind: "Instance"}},
	}
	// One Encoder encodes every case too, as a plan's objects are: each
	// must come out as on its own, and stay so while later ones are
	// encoded from the same chunks.
	shared := new(encode.Encoder)
	sharedGot := map[string]*structpb.Struct{}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want, wantErr := viaJSON(tc.v, tc.dropStatus)
			got, err := encode.Struct(tc.v, tc.dropStatus)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("Struct(...): error %v, encoding/json's road: error %v", err, wantErr)
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("Struct(...): -encoding/json's road, +got:\n%s", diff)
			}
			got, err = shared.Struct(tc.v, tc.dropStatus)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("Encoder.Struct(...): error %v, encoding/json's road: error %v", err, wantErr)
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("Encoder.Struct(...): -encoding/json's road, +got:\n%s", diff)
			}
			sharedGot[name] = got
		})
	}
	for name, got := range sharedGot {
		want, _ := viaJSON(cases[name].v, cases[name].dropStatus)
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("%s, after every case went through the same Encoder: -encoding/json's road, +got:\n%s", name, diff)
		}
	}
}

func TestStructRefuses(t *testing.T) {
	cases := map[string]struct {
		v    any
		want string
	}{
		"A failing MarshalJSON": {v: &edge{PM: ptrMarshaler{N: -1}}, want: "json: error calling MarshalJSON for type *encode_test.ptrMarshaler: negative"},
		"A channel":             {v: &struct{ C chan int }{C: make(chan int)}, want: "json: unsupported type: chan int"},
		"Not a struct":          {v: ptr.To("s"), want: "cannot encode string as an object"},
		"A nil pointer":         {v: (*edge)(nil), want: "cannot encode a nil *encode_test.edge"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := encode.Struct(tc.v, false)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Struct(...): want error %q, got %v", tc.want, err)
			}
			if _, jerr := viaJSON(tc.v, false); jerr == nil && !strings.HasPrefix(tc.want, "cannot encode") {
				t.Errorf("encoding/json accepts what Struct refuses")
			}
		})
	}
}

// FuzzStruct decodes arbitrary JSON into the types the function composes
// (and the type that reaches every rule) and checks Struct against
// encoding/json's road for each.
func FuzzStruct(f *testing.F) {
	for _, v := range []any{edgeValue(), objects.Deployment(shopMeta(), objects.ComponentBackend, "shop-backend", apiWorkload(), objects.Wiring{}), objects.Service(shopMeta(), objects.ComponentFrontend, "shop-frontend", nil)} {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"spec":{"template":{"metadata":{"creationTimestamp":null}}},"status":{"replicas":1}}`))
	f.Add([]byte(`{"raw":{"a":[[{"b":null}],null]},"any":[[null,{"c":null}]],"nested":{"x":{"y":[null]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		targets := []any{
			&edge{}, &appsv1.Deployment{}, &corev1.Service{}, &corev1.Secret{}, &batchv1.Job{}, &batchv1.CronJob{}, &corev1.ServiceAccount{},
			&networkingv1.NetworkPolicy{}, &networkingv1.Ingress{}, &autoscalingv2.HorizontalPodAutoscaler{},
			&policyv1.PodDisruptionBudget{}, &objects.Rollout{}, &objects.AnalysisTemplate{}, &objects.CNPGCluster{},
			&objects.ServiceMonitor{}, &objects.Managed[objects.CloudSQLInstanceParameters]{},
		}
		for _, v := range targets {
			if json.Unmarshal(data, v) != nil {
				continue
			}
			for _, dropStatus := range []bool{false, true} {
				want, wantErr := viaJSON(v, dropStatus)
				got, err := encode.Struct(v, dropStatus)
				if (err != nil) != (wantErr != nil) {
					t.Fatalf("%T: Struct error %v, encoding/json's road error %v", v, err, wantErr)
				}
				if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
					t.Fatalf("%T: -encoding/json's road, +Struct:\n%s", v, diff)
				}
			}
		}
	})
}

// viaConverter is the road before the encoder (a48c171): apimachinery's
// unstructured converter, the same nulls and status dropped, then
// structpb.NewStruct.
func viaConverter(v any, dropStatus bool) (*structpb.Struct, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(v)
	if err != nil {
		return nil, err
	}
	if dropStatus {
		delete(m, "status")
	}
	dropNulls(m)
	return structpb.NewStruct(m)
}

func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if x == nil {
				delete(v, k)
				continue
			}
			dropNulls(x)
		}
	case []any:
		for _, x := range v {
			dropNulls(x)
		}
	}
}

// BenchmarkStruct compares the encoder with the two roads it replaced, on
// a typed object (the API's Deployment) and a local CRD struct (a canary
// Rollout with its pod template); each road must give the same Struct.
func BenchmarkStruct(b *testing.B) {
	d := objects.Deployment(shopMeta(), objects.ComponentBackend, "shop-backend", apiWorkload(), objects.Wiring{})
	r := &objects.Rollout{APIVersion: objects.RolloutAPIVersion, Kind: "Rollout", Metadata: objects.CRDMeta{Name: "shop-backend", Namespace: "shop"},
		Spec: objects.RolloutSpec{Replicas: d.Spec.Replicas, Template: d.Spec.Template}}
	roads := []struct {
		name string
		fn   func(any, bool) (*structpb.Struct, error)
	}{
		{"Struct", encode.Struct},
		{"converter+structpb", viaConverter},
		{"encoding/json", viaJSON},
	}
	for _, obj := range []struct {
		name       string
		v          any
		dropStatus bool
	}{{"Deployment", d, true}, {"Rollout", r, false}} {
		want, err := encode.Struct(obj.v, obj.dropStatus)
		if err != nil {
			b.Fatal(err)
		}
		for _, road := range roads {
			got, err := road.fn(obj.v, obj.dropStatus)
			if err != nil {
				b.Fatal(err)
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				b.Fatalf("%s by %s: -Struct, +got:\n%s", obj.name, road.name, diff)
			}
			b.Run(obj.name+"/"+road.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := road.fn(obj.v, obj.dropStatus); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func shopMeta() objects.Meta {
	return objects.Meta{Names: names.For("shop"), Namespace: "shop", Composite: "shop", Environment: "production", Owner: "team-shop"}
}

func apiWorkload() resolve.Workload {
	return resolve.Workload{
		Image: "ghcr.io/acme/api:1", Port: 3001, Replicas: 2, HealthPath: "/healthz",
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
		Env: []v1alpha1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}},
	}
}
