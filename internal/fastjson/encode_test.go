package fastjson

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// sameEncoding fails unless Encode either declines v or writes what json.Marshal writes.
func sameEncoding(t *testing.T, v any) (encoded bool) {
	t.Helper()
	fast, ok := Encode(v)
	std, err := json.Marshal(v)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("Encode encoded what json.Marshal refuses (%v): %+v", err, v)
	}
	if string(fast) != string(std) {
		t.Fatalf("Encode and json.Marshal differ:\nfast: %s\nstd:  %s", fast, std)
	}
	return true
}

// pointerMarshaler has MarshalJSON on its pointer only; encoding/json calls it where the
// value can be addressed.
type pointerMarshaler struct{ N int }

func (p *pointerMarshaler) MarshalJSON() ([]byte, error) {
	return []byte(`{ "n" : "<` + string(rune('0'+p.N)) + `>" }`), nil
}

type details struct {
	Spec     *specs.Spec       `json:"spec,omitempty"`
	Program  []byte            `json:"program"`
	Empty    []byte            `json:"empty,omitempty"`
	When     time.Time         `json:"when"`
	ByPtr    *pointerMarshaler `json:"byPtr,omitempty"`
	ByValue  pointerMarshaler  `json:"byValue"`
	Counts   map[string]uint64 `json:"counts"`
	NilMap   map[string]int    `json:"nilMap"`
	NilSlice []string          `json:"nilSlice"`
	Text     string            `json:"text,omitempty"`
	Hidden   string            `json:"-"`
	untagged int
	Untagged int
}

func TestMarshalLikeEncodingJSON(t *testing.T) {
	for seed := 0; seed < 5; seed++ {
		var s specs.Spec
		fill(reflect.ValueOf(&s).Elem(), seed)
		if !sameEncoding(t, &s) {
			t.Fatal("Encode declined a filled spec")
		}
	}
	var zero specs.Spec
	if !sameEncoding(t, &zero) || !sameEncoding(t, zero) {
		t.Error("Encode declined the zero spec")
	}
	var filled specs.Spec
	fill(reflect.ValueOf(&filled).Elem(), 3)
	d := &details{
		Spec: &filled, Program: []byte{0, 1, 2, 0xff, 0xfe}, Empty: []byte{},
		When:  time.Date(2026, 12, 7, 20, 15, 0, 123456789, time.FixedZone("x", 3600)),
		ByPtr: &pointerMarshaler{N: 1}, ByValue: pointerMarshaler{N: 2},
		Counts: map[string]uint64{"b": 2, "a": 1, "<&>": 3, "\u2028": 4},
		Text:   "a<b>&c\u2029\x7f\x00\xff\"\\/", Hidden: "h", untagged: 1, Untagged: 2,
	}
	if !sameEncoding(t, d) {
		t.Error("Encode declined the details")
	}
	// Reached through a pointer, ByValue is addressable; in a plain value it is not, and
	// encoding/json then encodes the struct's fields instead: Marshal declines.
	if _, ok := Encode(*d); ok {
		t.Error("Encode encoded a pointer-receiver MarshalJSON on a value it cannot address")
	}
	for _, v := range []any{nil, 1.5, []any{1}, map[int]string{1: "a"}, [2]int{}} {
		if sameEncoding(t, v) && v != nil {
			t.Errorf("Encode encoded %#v, which it should leave to encoding/json", v)
		}
	}
}

// FuzzMarshalString checks the string escaping against encoding/json's.
func FuzzMarshalString(f *testing.F) {
	for _, s := range []string{"", "plain", "<>&\"\\/", "\x00\x01\x1f\x7f", "\xff\xfe", "\u2028\u2029é😀", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sameEncoding(t, s)
		sameEncoding(t, map[string]string{s: s})
	})
}

// FuzzMarshalSpec encodes whatever config encoding/json decodes, both ways.
func FuzzMarshalSpec(f *testing.F) {
	var s specs.Spec
	fill(reflect.ValueOf(&s).Elem(), 2)
	doc, _ := json.Marshal(&s)
	f.Add(doc)
	f.Add([]byte(`{"process":{"args":["<a>"],"env":[]},"linux":{"resources":{"unified":{"b":"2","a":"1"}}}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var s specs.Spec
		if json.Unmarshal(doc, &s) != nil {
			return
		}
		if !sameEncoding(t, &s) {
			t.Fatalf("Encode declined a spec: %s", doc)
		}
	})
}

func TestMarshalAPI(t *testing.T) {
	var s specs.Spec
	fill(reflect.ValueOf(&s).Elem(), 7)
	for _, v := range []any{&s, 1.5, map[string]any{"a": []any{1, "<"}}} {
		fast, err1 := Marshal(v)
		std, err2 := json.Marshal(v)
		if string(fast) != string(std) || (err1 == nil) != (err2 == nil) {
			t.Errorf("Marshal(%T) = %s, %v; json.Marshal: %s, %v", v, fast, err1, std, err2)
		}
		fast, err1 = MarshalIndent(v, "", "  ")
		std, err2 = json.MarshalIndent(v, "", "  ")
		if string(fast) != string(std) || (err1 == nil) != (err2 == nil) {
			t.Errorf("MarshalIndent(%T) differs from json.MarshalIndent", v)
		}
	}
	doc, _ := json.Marshal(&s)
	var fast, std specs.Spec
	if err := Unmarshal(doc, &fast); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(doc, &std)
	if !reflect.DeepEqual(fast, std) {
		t.Error("Unmarshal differs from json.Unmarshal")
	}
	// Into a value that holds something: encoding/json merges, and so does Unmarshal.
	merged := specs.Spec{Hostname: "kept"}
	if err := Unmarshal([]byte(`{"domainname":"d"}`), &merged); err != nil || merged.Hostname != "kept" || merged.Domainname != "d" {
		t.Errorf("Unmarshal into a set value: %+v, %v", merged, err)
	}
	var bad specs.Spec
	err1 := Unmarshal([]byte(`{"hostname":1}`), &bad)
	err2 := json.Unmarshal([]byte(`{"hostname":1}`), &specs.Spec{})
	if err1 == nil || err1.Error() != err2.Error() {
		t.Errorf("Unmarshal error %v, json.Unmarshal %v", err1, err2)
	}
}
