package fastjson

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// Unmarshal is json.Unmarshal, through Decode where it can: same value, same errors.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	// Decode starts from a zero value; encoding/json merges into what v holds.
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().IsZero() {
		if Decode(data, v) {
			return nil
		}
		rv.Elem().SetZero()
	}
	return json.Unmarshal(data, v)
}

// Marshal is json.Marshal, through Encode where it can: same bytes, same errors.
func Marshal(v any) ([]byte, error) {
	if b, ok := Encode(v); ok {
		return b, nil
	}
	return json.Marshal(v)
}

// MarshalIndent is json.MarshalIndent, through Encode where it can (encoding/json indents
// what Marshal writes, as this does).
func MarshalIndent(v any, prefix, indent string) ([]byte, error) {
	b, ok := Encode(v)
	if !ok {
		return json.MarshalIndent(v, prefix, indent)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, prefix, indent); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
