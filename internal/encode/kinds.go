package encode

import (
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"

	"google.golang.org/protobuf/types/known/structpb"
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
