package pipeline

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"
)

// encodingJSON is what JSON stands in for: AsMap, then encoding/json
// without HTML escaping.
func encodingJSON(t testing.TB, s *structpb.Struct) ([]byte, error) {
	t.Helper()
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(s.AsMap()); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func TestJSON(t *testing.T) {
	obj := func(fields map[string]*structpb.Value) *structpb.Struct { return &structpb.Struct{Fields: fields} }
	cases := map[string]struct {
		in   *structpb.Struct
		want string
	}{
		"Nil":   {in: nil, want: `null`},
		"Empty": {in: obj(nil), want: `{}`},
		"Sorted members, nested": {
			in: obj(map[string]*structpb.Value{
				"zeta":  structpb.NewStringValue("z"),
				"alpha": structpb.NewStructValue(obj(map[string]*structpb.Value{"b": structpb.NewBoolValue(true), "a": structpb.NewNullValue()})),
				"mid":   structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewNumberValue(1), structpb.NewStringValue("x"), structpb.NewListValue(&structpb.ListValue{})}}),
			}),
			want: `{"alpha":{"a":null,"b":true},"mid":[1,"x",[]],"zeta":"z"}`,
		},
		"A value with no kind is null": {in: obj(map[string]*structpb.Value{"a": {}}), want: `{"a":null}`},
		"Numbers as encoding/json writes float64": {
			in: obj(map[string]*structpb.Value{
				"a": structpb.NewNumberValue(1000000), "b": structpb.NewNumberValue(0.5), "c": structpb.NewNumberValue(-3),
				"d": structpb.NewNumberValue(1e21), "e": structpb.NewNumberValue(1e-7), "f": structpb.NewNumberValue(123456789e-15),
				"g": structpb.NewNumberValue(0), "h": structpb.NewNumberValue(math.MaxFloat64), "i": structpb.NewNumberValue(2.5e-6),
			}),
			want: `{"a":1000000,"b":0.5,"c":-3,"d":1e+21,"e":1e-7,"f":1.23456789e-7,"g":0,"h":1.7976931348623157e+308,"i":0.0000025}`,
		},
		"Strings escaped": {
			in:   obj(map[string]*structpb.Value{"q\"k": structpb.NewStringValue("a\"b\\c\n\r\t\b\f\x01<>&\u2028\u2029é\xffz")}),
			want: `{"q\"k":"a\"b\\c\n\r\t\b\f\u0001<>&\u2028\u2029é\ufffdz"}`,
		},
		"NaN and infinities as AsMap's strings": {
			in: obj(map[string]*structpb.Value{"a": structpb.NewNumberValue(math.NaN()), "b": structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{
				structpb.NewNumberValue(math.Inf(-1)), structpb.NewNumberValue(math.Inf(1)),
			}})}),
			want: `{"a":"NaN","b":["-Infinity","Infinity"]}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := JSON(tc.in)
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("JSON(...): -want, +got:\n%s", diff)
			}
			if tc.in == nil {
				return
			}
			std, err := encodingJSON(t, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(std), string(got)); diff != "" {
				t.Errorf("JSON(...) differs from encoding/json on AsMap: -encoding/json, +JSON:\n%s", diff)
			}
		})
	}
}

// FuzzJSON checks JSON against encoding/json on AsMap for any JSON object
// protobuf's Struct can hold.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1,"b":[true,null,"x"],"c":{"d":1e-7,"e":"\u2028<&>"}}`,
		`{"spec":{"frontend":{"replicas":3,"image":"ghcr.io/acme/web:1.2"},"database":{"size":"large"}}}`,
		`{"n":[1e21,123456789012345678,-0.000001,0.1,5e-324]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &structpb.Struct{}
		if err := s.UnmarshalJSON(in); err != nil {
			return
		}
		got := JSON(s)
		want, err := encodingJSON(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("JSON(%s):\n got %s\nwant %s", in, got, want)
		}
	})
}

func BenchmarkJSON(b *testing.B) {
	s := &structpb.Struct{}
	if err := s.UnmarshalJSON([]byte(`{"spec":{"environment":"prod","owner":"team-a","frontend":{"image":"ghcr.io/acme/web:1.2","replicas":3,"env":[{"name":"A","value":"1"},{"name":"B","value":"two"}]},"database":{"size":"large","provider":"aws","version":"17"},"crossplane":{"compositionRef":{"name":"x"}}}}`)); err != nil {
		b.Fatal(err)
	}
	b.Run("JSON", func(b *testing.B) {
		for b.Loop() {
			JSON(s)
		}
	})
	b.Run("AsMap+encoding/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(s.AsMap()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
