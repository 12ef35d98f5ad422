package libcontainer

import (
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/runo-project/runo/internal/wire"
	"github.com/runo-project/runo/specconv"
)

// fill sets every field reachable from v to a value of its own: pointers, slices and maps
// non-nil with two elements. A field that a new runtime-spec adds is filled too, so that
// TestInitConfigWire notices when the wire encoding leaves it out.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.String:
		v.SetString("s" + strconv.Itoa(*n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n % 100))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n % 100))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			fill(k, n)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, n)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	}
}

// TestInitConfigWire: what init decodes equals what the parent sent, every field filled, less
// the parts of the spec that only the parent applies.
func TestInitConfigWire(t *testing.T) {
	var sent initConfig
	n := 0
	fill(reflect.ValueOf(&sent).Elem(), &n)
	want := initView(sent)
	got, err := decodeInitConfig(encodeInitConfig(&sent))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("init decoded a config that differs from the one sent:\ngot  %+v\nwant %+v", got.Spec, want.Spec)
	}

	// Nil and empty stay apart; the default spec makes the trip whole.
	example := initConfig{Spec: specconv.Example(), Rootfs: "/r"}
	example.Spec.Process.Env = []string{}
	want = initView(example)
	if got, err := decodeInitConfig(encodeInitConfig(&example)); err != nil || !reflect.DeepEqual(got, &want) {
		t.Errorf("the example spec: got %+v, %v", got.Spec.Linux, err)
	}
}

// initView is cfg less the parts of its spec that only the parent applies.
func initView(cfg initConfig) initConfig {
	spec, linux := *cfg.Spec, *cfg.Spec.Linux
	spec.Solaris, spec.Windows, spec.VM, spec.ZOS, spec.FreeBSD = nil, nil, nil, nil, nil
	linux.Resources, linux.NetDevices, linux.IntelRdt, linux.MemoryPolicy, linux.Seccomp = nil, nil, nil, nil, nil
	spec.Linux = &linux
	cfg.Spec = &spec
	return cfg
}

// TestExecDetailsWire: exec reads back the process, namespaces and filter a create wrote, every
// field filled; and a state that has no encoded details (a runo from before them) still has
// its details, from their JSON.
func TestExecDetailsWire(t *testing.T) {
	var sent execDetails
	n := 0
	fill(reflect.ValueOf(&sent).Elem(), &n)
	sent.Seccomp = nil // the legacy profile is not encoded: a state that has it has no Exec
	got, err := decodeExecDetails(encodeExecDetails(&sent))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, &sent) {
		t.Errorf("exec decoded details that differ from the ones written:\ngot  %+v\nwant %+v", got, &sent)
	}

	dir := t.TempDir()
	details := &stateDetails{Process: sent.Process, Namespaces: sent.Namespaces, SeccompFilter: sent.SeccompFilter}
	for _, encoded := range []bool{true, false} {
		details.Exec = nil
		if encoded {
			details.Exec = encodeExecDetails(&sent)
			details.Process = nil // proves the encoded form is what exec read
		}
		if err := writeDetails(dir, details); err != nil {
			t.Fatal(err)
		}
		c := &Container{id: "c", dir: dir, state: &savedState{}}
		got, err := c.execDetails()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, &sent) {
			t.Errorf("encoded %v: execDetails() = %+v, want %+v", encoded, got, &sent)
		}
		details.Process = sent.Process
	}
}

func TestInitConfigWireCorrupt(t *testing.T) {
	data := encodeInitConfig(&initConfig{Spec: specconv.Example(), Rootfs: "/r"})
	for _, b := range [][]byte{data[:len(data)-1], append(data[:len(data):len(data)], 0), data[:3], {2}} {
		if _, err := decodeInitConfig(b); !errors.Is(err, wire.ErrCorrupt) {
			t.Errorf("decode of %d corrupt bytes: %v, want ErrCorrupt", len(b), err)
		}
	}
}
