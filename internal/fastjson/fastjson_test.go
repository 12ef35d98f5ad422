package fastjson

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// fill sets every field of v reachable through pointers, slices and maps to a value that is
// not its zero value (two elements per slice and map), varied by seed.
func fill(v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), seed)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed+i)
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := 0; i < 2; i++ {
			fill(s.Index(i), seed+i)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := 0; i < 2; i++ {
			k := reflect.New(v.Type().Key()).Elem()
			fill(k, seed+i)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, seed+i)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.String:
		v.SetString(strings.Repeat("s\u00e9\n\"\\/\u2028\U0001F600", seed%3+1) + string(rune('a'+seed%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-int64(seed%100) - 1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(uint64(seed%200) + 1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(seed) + 0.5)
	}
}

// same decodes doc both ways and fails unless Decode either declines or agrees with
// encoding/json, value and success alike.
func same(t *testing.T, doc []byte) (decoded bool) {
	t.Helper()
	var fast, std specs.Spec
	if !Decode(doc, &fast) {
		return false
	}
	if err := json.Unmarshal(doc, &std); err != nil {
		t.Fatalf("Decode accepted what encoding/json refuses (%v):\n%s", err, doc)
	}
	if !reflect.DeepEqual(fast, std) {
		t.Fatalf("Decode and encoding/json differ on\n%s\nfast: %+v\nstd:  %+v", doc, fast, std)
	}
	return true
}

func TestDecodeFilledSpec(t *testing.T) {
	for seed := 0; seed < 5; seed++ {
		var s specs.Spec
		fill(reflect.ValueOf(&s).Elem(), seed)
		doc, err := json.MarshalIndent(&s, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		if !same(t, doc) {
			t.Fatalf("Decode declined a spec encoding/json wrote:\n%s", doc)
		}
	}
}

func TestDecodeConfigs(t *testing.T) {
	for _, path := range []string{"../../config.json.example"} {
		doc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !same(t, doc) {
			t.Errorf("Decode declined %s", path)
		}
	}
}

// TestDecodeDeclines lists documents that Decode must leave to encoding/json, and a few it
// takes.
func TestDecodeDeclines(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		fast bool
	}{
		{`{"ociVersion":"1.0.0","hostname":"h"}`, true},
		{` {"hostname" : "h" , "unknown": [1, {"a": null}, "x\u00e9"] } `, true},
		{`{"process":null,"mounts":null,"annotations":{}}`, true},
		{`{"mounts":[]}`, true},
		{`{"hostname":null}`, true},
		{`{"Hostname":"h"}`, false},                // case-insensitive match
		{`{"hostname":"a","hostname":"b"}`, false}, // duplicate key
		{`{"hostname":1}`, false},                  // wrong type
		{`{"process":{"user":{"uid":-1}}}`, false},
		{`{"process":{"user":{"uid":4294967296}}}`, false},
		{`{"process":{"user":{"uid":1.0}}}`, false},
		{`{"process":{"user":{"uid":01}}}`, false},
		{`{"hostname":"\ud800"}`, false},   // unpaired surrogate
		{"{\"hostname\":\"\xff\"}", false}, // invalid UTF-8
		{`{"hostname":"a"} x`, false},
		{`{"hostname":"a",}`, false},
		{`[]`, false},
		{`{"x":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`, false},
		{`{"x":` + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + `}`, true},
		{``, false},
	} {
		var s specs.Spec
		got := Decode([]byte(tc.doc), &s)
		if got != tc.fast {
			t.Errorf("Decode(%q) = %v, want %v", tc.doc, got, tc.fast)
		}
		if got {
			same(t, []byte(tc.doc))
		}
	}
}

// FuzzDecode checks that whatever Decode accepts, encoding/json decodes alike.
func FuzzDecode(f *testing.F) {
	var s specs.Spec
	fill(reflect.ValueOf(&s).Elem(), 1)
	doc, _ := json.Marshal(&s)
	f.Add(doc)
	if example, err := os.ReadFile("../../config.json.example"); err == nil {
		f.Add(example)
	}
	f.Add([]byte(`{"process":{"args":["a\u0041\ud83d\ude00"],"user":{"uid":0}},"linux":{"resources":{"cpu":{"shares":1024}}}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		same(t, doc)
	})
}

type stateLike struct {
	When    time.Time         `json:"when"`
	Since   *time.Time        `json:"since,omitempty"`
	Program []byte            `json:"program,omitempty"`
	Spec    *specs.Spec       `json:"spec,omitempty"`
	Limits  map[string]*int64 `json:"limits"`
}

// TestDecodeUnmarshalerAndBytes decodes values with an UnmarshalJSON method and []byte
// fields, as encoding/json does them.
func TestDecodeUnmarshalerAndBytes(t *testing.T) {
	var filled specs.Spec
	fill(reflect.ValueOf(&filled).Elem(), 4)
	since := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	limit := int64(-7)
	in := stateLike{When: time.Date(2026, 12, 7, 20, 15, 0, 123, time.FixedZone("", -3600)), Since: &since,
		Program: []byte{0, 1, 0xff}, Spec: &filled, Limits: map[string]*int64{"a": &limit, "b": nil}}
	doc, err := json.Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{string(doc), `{"when":null,"since":null,"program":null}`,
		`{"program":"AAH/"}`, `{"program":"AA\nH/"}`} {
		var fast, std stateLike
		if !Decode([]byte(d), &fast) {
			t.Fatalf("Decode declined %s", d)
		}
		if err := json.Unmarshal([]byte(d), &std); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Errorf("Decode and encoding/json differ on %s:\n%+v\n%+v", d, fast, std)
		}
	}
	for _, d := range []string{`{"when":"yesterday"}`, `{"program":"!!"}`, `{"when":1}`} {
		var s stateLike
		if Decode([]byte(d), &s) {
			t.Errorf("Decode took %s", d)
		}
	}
}
