package objects

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"
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

func (e *encodeState) value(v reflect.Value, dropNulls bool) *structpb.Value {
	return encoderOf(v.Type())(e, v, dropNulls)
}

func encoderOf(t reflect.Type) encoderFunc {
	if f, ok := encoders.Load(t); ok {
		return f.(encoderFunc)
	}
	// A recursive type reaches itself while its encoder is being built:
	// give it an indirect one until the real one is stored.
	var (
		wg sync.WaitGroup
		f  encoderFunc
	)
	wg.Add(1)
	fi, loaded := encoders.LoadOrStore(t, encoderFunc(func(e *encodeState, v reflect.Value, d bool) *structpb.Value {
		wg.Wait()
		return f(e, v, d)
	}))
	if loaded {
		return fi.(encoderFunc)
	}
	f = newEncoder(t, true)
	wg.Done()
	encoders.Store(t, f)
	return f
}

// newEncoder builds the encoder of a type; allowAddr says whether a
// json.Marshaler on the pointer may be used when the value is addressable.
func newEncoder(t reflect.Type, allowAddr bool) encoderFunc {
	if t.Kind() != reflect.Pointer && allowAddr && reflect.PointerTo(t).Implements(marshalerType) {
		return condAddrEncoder(addrMarshalerEncoder, newEncoder(t, false))
	}
	if t.Implements(marshalerType) {
		return marshalerEncoder
	}
	if t.Kind() != reflect.Pointer && allowAddr && reflect.PointerTo(t).Implements(textMarshalerType) {
		return condAddrEncoder(addrTextMarshalerEncoder, newEncoder(t, false))
	}
	if t.Implements(textMarshalerType) {
		return textMarshalerEncoder
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(e *encodeState, v reflect.Value, _ bool) *structpb.Value { return e.boolean(v.Bool()) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
			return e.num(float64(v.Int()))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
			return e.num(float64(v.Uint()))
		}
	case reflect.Float32:
		// encoding/json writes a float32 with float32 precision, which then
		// reads back as the float64 nearest to that text.
		return func(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
			f, err := strconv.ParseFloat(strconv.FormatFloat(v.Float(), 'g', -1, 32), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return e.fail(fmt.Errorf("unsupported value: %v", v.Float()))
			}
			return e.num(f)
		}
	case reflect.Float64:
		return func(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
			f := v.Float()
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return e.fail(fmt.Errorf("json: unsupported value: %v", f))
			}
			return e.num(f)
		}
	case reflect.String:
		return func(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
			return e.str(validUTF8(v.String()))
		}
	case reflect.Interface:
		return func(e *encodeState, v reflect.Value, d bool) *structpb.Value {
			if v.IsNil() {
				return nullValue
			}
			return e.value(v.Elem(), d)
		}
	case reflect.Struct:
		return newStructEncoder(t)
	case reflect.Map:
		return newMapEncoder(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			p := reflect.PointerTo(t.Elem())
			if !p.Implements(marshalerType) && !p.Implements(textMarshalerType) {
				return func(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
					if v.IsNil() {
						return nullValue
					}
					return e.str(base64.StdEncoding.EncodeToString(v.Bytes()))
				}
			}
		}
		arr := newArrayEncoder(t)
		return func(e *encodeState, v reflect.Value, d bool) *structpb.Value {
			if v.IsNil() {
				return nullValue
			}
			return arr(e, v, d)
		}
	case reflect.Array:
		return newArrayEncoder(t)
	case reflect.Pointer:
		elem := encoderOf(t.Elem())
		return func(e *encodeState, v reflect.Value, d bool) *structpb.Value {
			if v.IsNil() {
				return nullValue
			}
			return elem(e, v.Elem(), d)
		}
	default:
		return func(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
			return e.fail(fmt.Errorf("json: unsupported type: %s", v.Type()))
		}
	}
}

func condAddrEncoder(addr, plain encoderFunc) encoderFunc {
	return func(e *encodeState, v reflect.Value, d bool) *structpb.Value {
		if v.CanAddr() {
			return addr(e, v, d)
		}
		return plain(e, v, d)
	}
}

func marshalerEncoder(e *encodeState, v reflect.Value, d bool) *structpb.Value {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return nullValue
	}
	var m json.Marshaler
	var ok bool
	if v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface && v.CanAddr() {
		// Through the pointer, which has the value's methods: boxing a
		// pointer does not copy the value.
		m, ok = v.Addr().Interface().(json.Marshaler)
	} else {
		m, ok = v.Interface().(json.Marshaler)
	}
	if !ok { // a nil interface
		return nullValue
	}
	return e.marshaled(m, v.Type(), d)
}

func addrMarshalerEncoder(e *encodeState, v reflect.Value, d bool) *structpb.Value {
	return e.marshaled(v.Addr().Interface().(json.Marshaler), v.Addr().Type(), d)
}

func textMarshalerEncoder(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return nullValue
	}
	m, ok := v.Interface().(encoding.TextMarshaler)
	if !ok { // a nil interface
		return nullValue
	}
	return e.text(m, v.Type())
}

func addrTextMarshalerEncoder(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
	return e.text(v.Addr().Interface().(encoding.TextMarshaler), v.Addr().Type())
}

func (e *encodeState) text(m encoding.TextMarshaler, t reflect.Type) *structpb.Value {
	b, err := m.MarshalText()
	if err != nil {
		return e.fail(fmt.Errorf("json: error calling MarshalText for type %s: %w", t, err))
	}
	return e.str(validUTF8(string(b)))
}

// marshaled turns what a json.Marshaler writes into a value. The common
// outputs (a quantity's or a time's string, an IntOrString's number) are
// read directly; anything else is parsed as JSON.
func (e *encodeState) marshaled(m json.Marshaler, t reflect.Type, d bool) *structpb.Value {
	b, err := m.MarshalJSON()
	if err != nil {
		return e.fail(fmt.Errorf("json: error calling MarshalJSON for type %s: %w", t, err))
	}
	switch {
	case len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && simpleString(b[1:len(b)-1]):
		return e.str(string(b[1 : len(b)-1]))
	case string(b) == "null":
		return nullValue
	case string(b) == "true", string(b) == "false":
		return e.boolean(string(b) == "true")
	case jsonNumber(b):
		if f, err := strconv.ParseFloat(string(b), 64); err == nil {
			return e.num(f)
		}
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return e.fail(fmt.Errorf("json: error calling MarshalJSON for type %s: %w", t, err))
	}
	return e.generic(x, d)
}

// jsonNumber says whether b is made of what a JSON number is made of and
// starts as one; strconv.ParseFloat then reads it as encoding/json would.
func jsonNumber(b []byte) bool {
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			return false
		}
	}
	return true
}

// simpleString says whether JSON string contents need no unescaping.
func simpleString(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c == '"' || c < 0x20 || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// generic encodes a value decoded from JSON (nil, bool, float64, string,
// []any, map[string]any).
func (e *encodeState) generic(x any, dropNulls bool) *structpb.Value {
	switch t := x.(type) {
	case nil:
		return e.null()
	case bool:
		return e.boolean(t)
	case float64:
		return e.num(t)
	case string:
		return e.str(t)
	case []any:
		l := e.newList(len(t))
		for i, el := range t {
			_, list := el.([]any)
			l.Values[i] = e.generic(el, !list && dropNulls)
		}
		return e.list(l)
	case map[string]any:
		s := e.newStruct(len(t))
		for k, el := range t {
			if el == nil && dropNulls {
				continue
			}
			if el == nil {
				s.Fields[k] = e.null()
				continue
			}
			s.Fields[k] = e.generic(el, true)
		}
		return e.object(s)
	}
	return e.fail(fmt.Errorf("json: unexpected %T", x))
}

// validUTF8 replaces each byte of an invalid UTF-8 sequence with U+FFFD, as
// encoding/json does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func newArrayEncoder(t reflect.Type) encoderFunc {
	elem := encoderOf(t.Elem())
	kind := elemKindOf(t.Elem())
	return func(e *encodeState, v reflect.Value, d bool) *structpb.Value {
		n := v.Len()
		l := e.newList(n)
		for i := range n {
			el := elem(e, v.Index(i), d && kind == objectElem)
			if el == nil {
				return nil
			}
			if el == nullValue {
				el = e.null()
			}
			if d && kind == dynamicElem {
				if s := el.GetStructValue(); s != nil {
					dropNullFields(s)
				}
			}
			l.Values[i] = el
		}
		return e.list(l)
	}
}

// What a list element encodes to, for leaving nulls out: nulls are left out
// of objects in lists, not of objects in lists in lists.
const (
	objectElem  = iota // an object, a scalar or null
	listElem           // a list
	dynamicElem        // known only from the value: an interface or a json.Marshaler
)

func elemKindOf(t reflect.Type) int {
	switch {
	case t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) || t.Kind() == reflect.Interface:
		return dynamicElem
	case t.Kind() == reflect.Pointer:
		return elemKindOf(t.Elem())
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return listElem
	}
	return objectElem
}

// dropNullFields leaves nulls out of an object, of the objects in it, and
// of the objects in its lists.
func dropNullFields(s *structpb.Struct) {
	for k, v := range s.Fields {
		switch x := v.Kind.(type) {
		case *structpb.Value_NullValue:
			delete(s.Fields, k)
		case *structpb.Value_StructValue:
			dropNullFields(x.StructValue)
		case *structpb.Value_ListValue:
			for _, el := range x.ListValue.GetValues() {
				if es := el.GetStructValue(); es != nil {
					dropNullFields(es)
				}
			}
		}
	}
}

func newMapEncoder(t reflect.Type) encoderFunc {
	key, ok := mapKeyFunc(t.Key())
	if !ok {
		return func(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
			return e.fail(fmt.Errorf("json: unsupported type: %s", v.Type()))
		}
	}
	if t == reflect.TypeFor[map[string]string]() {
		// Labels, annotations and selectors: no reflection per entry.
		return func(e *encodeState, v reflect.Value, _ bool) *structpb.Value {
			if v.IsNil() {
				return nullValue
			}
			m := v.Interface().(map[string]string) //nolint:forcetypeassert // The type is checked above.
			s := e.newStruct(len(m))
			for k, el := range m {
				s.Fields[validUTF8(k)] = e.str(validUTF8(el))
			}
			return e.object(s)
		}
	}
	elem := encoderOf(t.Elem())
	// Map values are not addressable, so encoding/json never calls a
	// marshaler on their pointer; for such types the value is read as a
	// copy the iterator makes, for the others into one reused Value.
	onPointer := func(i reflect.Type) bool { return reflect.PointerTo(t.Elem()).Implements(i) && !t.Elem().Implements(i) }
	copies := onPointer(marshalerType) || onPointer(textMarshalerType)
	return func(e *encodeState, v reflect.Value, d bool) *structpb.Value {
		if v.IsNil() {
			return nullValue
		}
		s := e.newStruct(v.Len())
		kv, ev := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		it := v.MapRange()
		for it.Next() {
			kv.SetIterKey(it)
			k, err := key(kv)
			if err != nil {
				return e.fail(err)
			}
			val := ev
			if copies {
				val = it.Value()
			} else {
				ev.SetIterValue(it)
			}
			el := elem(e, val, true)
			if el == nil {
				return nil
			}
			if el == nullValue {
				if d {
					continue
				}
				el = e.null()
			}
			s.Fields[k] = el
		}
		return e.object(s)
	}
}

// mapKeyFunc returns how encoding/json names a map key of the type.
func mapKeyFunc(t reflect.Type) (func(reflect.Value) (string, error), bool) {
	switch {
	case t.Kind() == reflect.String:
		return func(k reflect.Value) (string, error) { return validUTF8(k.String()), nil }, true
	case t.Implements(textMarshalerType):
		return func(k reflect.Value) (string, error) {
			if k.Kind() == reflect.Pointer && k.IsNil() {
				return "", nil
			}
			b, err := k.Interface().(encoding.TextMarshaler).MarshalText()
			if err != nil {
				return "", fmt.Errorf("json: error calling MarshalText for type %s: %w", k.Type(), err)
			}
			return validUTF8(string(b)), nil
		}, true
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(k reflect.Value) (string, error) { return strconv.FormatInt(k.Int(), 10), nil }, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(k reflect.Value) (string, error) { return strconv.FormatUint(k.Uint(), 10), nil }, true
	}
	return nil, false
}

// field is one JSON member of a struct.
type field struct {
	name      string
	index     []int
	tagged    bool
	omitEmpty bool
	omitZero  func(reflect.Value) bool
	quoted    bool
	enc       encoderFunc
}

func newStructEncoder(t reflect.Type) encoderFunc {
	fields := structFields(t)
	return func(e *encodeState, v reflect.Value, d bool) *structpb.Value {
		// The members go on a shared stack first, so the map is made with
		// room for what is set rather than for every field.
		base := len(e.members)
		e.depth++
		ok := e.structMembers(fields, v, d)
		e.depth--
		if !ok {
			e.members = e.members[:base]
			return nil
		}
		s := e.newStruct(len(e.members) - base)
		for _, m := range e.members[base:] {
			s.Fields[m.name] = m.val
		}
		e.members = e.members[:base]
		return e.object(s)
	}
}

// structMembers pushes the members of a struct onto e.members; false when
// a member cannot be encoded.
func (e *encodeState) structMembers(fields []field, v reflect.Value, d bool) bool {
next:
	for i := range fields {
		f := &fields[i]
		if e.depth == 1 && e.dropStatus && f.name == "status" {
			continue
		}
		fv := v
		for _, idx := range f.index {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue next
				}
				fv = fv.Elem()
			}
			fv = fv.Field(idx)
		}
		if f.omitEmpty && isEmpty(fv) {
			continue
		}
		if f.omitZero != nil && f.omitZero(fv) {
			continue
		}
		var val *structpb.Value
		if f.quoted {
			val = e.quoted(fv)
		} else {
			val = f.enc(e, fv, d)
		}
		if val == nil {
			return false
		}
		if val == nullValue {
			if d {
				continue
			}
			val = e.null()
		}
		e.members = append(e.members, member{f.name, val})
	}
	return true
}

// quoted encodes a field tagged ",string": its JSON text as a string.
func (e *encodeState) quoted(v reflect.Value) *structpb.Value {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nullValue
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Bool:
		return e.str(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return e.str(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return e.str(strconv.FormatUint(v.Uint(), 10))
	case reflect.String:
		b, err := json.Marshal(v.String())
		if err != nil {
			return e.fail(err)
		}
		return e.str(string(b))
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return e.fail(err)
	}
	return e.str(string(b))
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

func zeroFunc(t reflect.Type) func(reflect.Value) bool {
	type zeroer interface{ IsZero() bool }
	zt := reflect.TypeFor[zeroer]()
	switch {
	case t.Kind() == reflect.Interface && t.Implements(zt):
		return func(v reflect.Value) bool {
			return v.IsNil() || (v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil()) || v.Interface().(zeroer).IsZero()
		}
	case t.Kind() == reflect.Pointer && t.Implements(zt):
		return func(v reflect.Value) bool { return v.IsNil() || v.Interface().(zeroer).IsZero() }
	case t.Implements(zt):
		return func(v reflect.Value) bool { return v.Interface().(zeroer).IsZero() }
	case reflect.PointerTo(t).Implements(zt):
		return func(v reflect.Value) bool {
			if !v.CanAddr() {
				c := reflect.New(v.Type()).Elem()
				c.Set(v)
				v = c
			}
			return v.Addr().Interface().(zeroer).IsZero()
		}
	}
	return reflect.Value.IsZero
}

// structFields lists a struct's JSON members as encoding/json does: fields
// of embedded structs promoted, and of several with one name the shallowest
// wins, then the tagged one; a tie at the same depth leaves the name out.
func structFields(t reflect.Type) []field {
	type queued struct {
		typ   reflect.Type
		index []int
	}
	current, next := []queued{}, []queued{{typ: t}}
	var count map[reflect.Type]int
	nextCount := map[reflect.Type]int{}
	visited := map[reflect.Type]bool{}
	var fields []field
	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, q := range current {
			if visited[q.typ] {
				continue
			}
			visited[q.typ] = true
			for i := range q.typ.NumField() {
				sf := q.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTag(name) {
					name = ""
				}
				index := append(slices.Clone(q.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				quoted := false
				if hasOpt(opts, "string") {
					switch ft.Kind() {
					case reflect.Bool,
						reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64, reflect.String:
						quoted = true
					}
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					f := field{
						name:      name,
						index:     index,
						tagged:    name != "",
						omitEmpty: hasOpt(opts, "omitempty"),
						quoted:    quoted,
					}
					if f.name == "" {
						f.name = sf.Name
					}
					if hasOpt(opts, "omitzero") {
						f.omitZero = zeroFunc(sf.Type)
					}
					fields = append(fields, f)
					if count[q.typ] > 1 {
						// Two embedded structs of one type at one depth
						// annihilate each other; one copy stands for both.
						fields = append(fields, fields[len(fields)-1])
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, queued{typ: ft, index: index})
				}
			}
		}
	}
	slices.SortFunc(fields, func(a, b field) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := len(a.index) - len(b.index); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		if f, ok := dominant(fields[i:j]); ok {
			out = append(out, f)
		}
		i = j
	}
	out = slices.Clone(out)
	for i := range out {
		out[i].enc = encoderOf(fieldType(t, out[i].index))
	}
	return out
}

// fieldType is the type of the field at index (pointers to embedded
// structs followed).
func fieldType(t reflect.Type, index []int) reflect.Type {
	for _, i := range index {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		t = t.Field(i).Type
	}
	return t
}

func dominant(fs []field) (field, bool) {
	if len(fs) > 1 && len(fs[0].index) == len(fs[1].index) && fs[0].tagged == fs[1].tagged {
		return field{}, false
	}
	return fs[0], true
}

func hasOpt(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

func validTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
