package encode

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"
)

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
