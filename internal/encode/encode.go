// Package encode turns typed Go values into the protobuf Structs of a
// function's response, following encoding/json's rules without writing or
// parsing JSON.
package encode

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/runtime"
)

// Struct encodes a struct, or a pointer to one, straight into the protobuf
// Struct Crossplane reads, with encoding/json's rules (field names and
// omitempty/omitzero from json tags, embedded structs promoted,
// json.Marshaler and encoding.TextMarshaler honoured, []byte as base64) and
// without writing or parsing JSON, except for what a json.Marshaler writes.
//
// The result is what encoding/json's output decoded into a map and then
// into a Struct would be, with two changes desired state needs: null values
// are left out of objects (a JSON null in desired state would be an
// opinion: metadata.creationTimestamp: null), and, with dropStatus, the
// top-level status (it belongs to the object's controller).
//
// Each type's encoder is worked out once and cached, so a call does no
// more reflection than reading the fields.
func Struct(v any, dropStatus bool) (*structpb.Struct, error) {
	return new(Encoder).Struct(v, dropStatus)
}

// Encoder encodes the objects of one response, as Struct does. Their
// values come from chunks it shares across them: they live and die
// together with the response, and one encoding's unused chunk tail is the
// next one's start. Its zero value is ready; it is not for concurrent use.
type Encoder struct {
	e encodeState
}

// Struct encodes v as the package's Struct does.
func (enc *Encoder) Struct(v any, dropStatus bool) (*structpb.Struct, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, fmt.Errorf("cannot encode a nil %s", rv.Type())
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("cannot encode %s as an object", rv.Type())
	}
	e := &enc.e
	e.dropStatus, e.err, e.depth, e.members = dropStatus, nil, 0, e.members[:0]
	val := e.value(rv, true)
	if e.err != nil {
		return nil, e.err
	}
	s := val.GetStructValue()
	if s == nil {
		return nil, fmt.Errorf("%s does not encode to a JSON object", rv.Type())
	}
	return s, nil
}

// encodeState carries one call's options and first error.
type encodeState struct {
	dropStatus bool
	err        error
	// depth counts objects entered; the top-level object is 1.
	depth int

	// members holds the members of the objects being encoded.
	members []member

	// Chunks of values not yet handed out, and the size of the last chunk
	// of each kind.
	values                                    []structpb.Value
	strs                                      []structpb.Value_StringValue
	nums                                      []structpb.Value_NumberValue
	objects                                   []structpb.Value_StructValue
	structs                                   []structpb.Struct
	nValues, nStrs, nNums, nObjects, nStructs int
}

// The values of an Encoder are allocated in chunks, a few allocations for
// hundreds of values: they live and die together with the response.
const (
	firstChunk = 16
	maxChunk   = 512
)

func chunk[T any](c *[]T, n *int) *T {
	if len(*c) == 0 {
		*n = min(max(*n*2, firstChunk), maxChunk)
		*c = make([]T, *n)
	}
	x := &(*c)[0]
	*c = (*c)[1:]
	return x
}

func (e *encodeState) newValue() *structpb.Value { return chunk(&e.values, &e.nValues) }

func (e *encodeState) str(s string) *structpb.Value {
	k := chunk(&e.strs, &e.nStrs)
	k.StringValue = s
	v := e.newValue()
	v.Kind = k
	return v
}

func (e *encodeState) num(f float64) *structpb.Value {
	k := chunk(&e.nums, &e.nNums)
	k.NumberValue = f
	v := e.newValue()
	v.Kind = k
	return v
}

func (e *encodeState) boolean(b bool) *structpb.Value {
	v := e.newValue()
	v.Kind = &structpb.Value_BoolValue{BoolValue: b}
	return v
}

func (e *encodeState) null() *structpb.Value {
	v := e.newValue()
	v.Kind = &structpb.Value_NullValue{}
	return v
}

func (e *encodeState) object(s *structpb.Struct) *structpb.Value {
	k := chunk(&e.objects, &e.nObjects)
	k.StructValue = s
	v := e.newValue()
	v.Kind = k
	return v
}

func (e *encodeState) newStruct(n int) *structpb.Struct {
	s := chunk(&e.structs, &e.nStructs)
	s.Fields = make(map[string]*structpb.Value, n)
	return s
}

func (e *encodeState) list(l *structpb.ListValue) *structpb.Value {
	v := e.newValue()
	v.Kind = &structpb.Value_ListValue{ListValue: l}
	return v
}

func (e *encodeState) newList(n int) *structpb.ListValue {
	return &structpb.ListValue{Values: make([]*structpb.Value, n)}
}

func (e *encodeState) fail(err error) *structpb.Value {
	if e.err == nil {
		e.err = err
	}
	return nil
}

type member struct {
	name string
	val  *structpb.Value
}

// encoderFunc encodes one value. dropNulls says whether nulls are left out
// of the objects it holds (true everywhere except inside lists of lists,
// as the JSON path this replaces had it).
type encoderFunc func(e *encodeState, v reflect.Value, dropNulls bool) *structpb.Value

var encoders sync.Map // reflect.Type -> encoderFunc

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	nullValue         = structpb.NewNullValue()
)

// Typed converts a typed Kubernetes object into the Struct of a composed
// resource.
//
// It follows encoding/json (see Struct), so omitempty works as everywhere
// else in Kubernetes: zero integers and false booleans are left out rather
// than sent as an opinion (the SDK's composed.From would send
// successThreshold: 0 and hostPort: 0, and drop emptyDir: {}). What
// encoding/json adds that no one asked for, null values such as
// metadata.creationTimestamp and the zero status struct, is left out:
// status belongs to the object's controller; desired state has none.
func (enc *Encoder) Typed(o runtime.Object) (*structpb.Struct, error) {
	return enc.Struct(o, true)
}

// CRD converts a local struct of a custom resource into the Struct of a
// composed resource. The structs use pointers and omitempty throughout,
// so only what is set is sent; embedded Kubernetes types (a Rollout's pod
// template) lose their null creationTimestamps as in Typed.
func (enc *Encoder) CRD(o any) (*structpb.Struct, error) {
	return enc.Struct(o, false)
}
