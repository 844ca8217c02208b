package encode

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"google.golang.org/protobuf/types/known/structpb"
)

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
