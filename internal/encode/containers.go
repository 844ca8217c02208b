package encode

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"

	"google.golang.org/protobuf/types/known/structpb"
)

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
