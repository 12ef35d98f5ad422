package specconv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/runo-project/runo/internal/fastjson"
	"github.com/runo-project/runo/internal/sysfile"
)

// Config is a validated spec with the paths runo derives from the bundle.
type Config struct {
	Spec   *specs.Spec
	Bundle string // absolute path of the bundle directory
	Rootfs string // absolute path of root.path
}

// ErrInvalid marks every validation failure of a config.json.
var ErrInvalid = errors.New("invalid configuration")

// fieldError names the config.json field at fault.
type fieldError struct {
	field string
	msg   string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }
func (e *fieldError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...)}
}

// Load reads and validates bundle/config.json.
func Load(bundle string) (*Config, error) {
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", bundle, err)
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("bundle %s: %w", abs, errors.Unwrap(err))
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("bundle %s: not a directory", abs)
	}
	path := filepath.Join(abs, "config.json")
	data, err := sysfile.Read(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, errors.Unwrap(err))
	}
	spec, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &Config{Spec: spec, Bundle: abs, Rootfs: spec.Root.Path}
	if !filepath.IsAbs(c.Rootfs) {
		c.Rootfs = filepath.Join(abs, c.Rootfs)
	}
	if fi, err := os.Stat(c.Rootfs); err != nil {
		return nil, fmt.Errorf("%s: root.path %s: %w", path, c.Rootfs, errors.Unwrap(err))
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s: root.path %s: not a directory", path, c.Rootfs)
	}
	return c, nil
}

// Parse decodes and validates a config.json document: its platform-independent and Linux
// parts. The sections of other platforms (windows, solaris, vm, zos, freebsd) are skipped
// unread, as a Linux runtime has no use for them.
func Parse(data []byte) (*specs.Spec, error) {
	// specs.Spec less the other platforms, by the same JSON names. Its name is Spec too:
	// encoding/json's errors name it ("Go struct field Spec.hostname of type string").
	type Spec struct {
		Version     string            `json:"ociVersion"`
		Process     *specs.Process    `json:"process,omitempty"`
		Root        *specs.Root       `json:"root,omitempty"`
		Hostname    string            `json:"hostname,omitempty"`
		Domainname  string            `json:"domainname,omitempty"`
		Mounts      []specs.Mount     `json:"mounts,omitempty"`
		Hooks       *specs.Hooks      `json:"hooks,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
		Linux       *specs.Linux      `json:"linux,omitempty"`
	}
	var doc Spec
	// fastjson decodes a plain config without encoding/json's per-type caches (0.8 ms of a
	// fresh process), and leaves the rest to encoding/json: same value, same errors.
	if err := fastjson.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	spec := &specs.Spec{
		Version: doc.Version, Process: doc.Process, Root: doc.Root, Hostname: doc.Hostname,
		Domainname: doc.Domainname, Mounts: doc.Mounts, Hooks: doc.Hooks,
		Annotations: doc.Annotations, Linux: doc.Linux,
	}
	if err := Validate(spec); err != nil {
		return nil, err
	}
	return spec, nil
}

// ValidateID checks a container id as runc does: letters, digits and _+-. only, so that it is
// always one safe path element under the state root.
func ValidateID(id string) error {
	if id == "" {
		return errors.New("container id cannot be empty")
	}
	if !validIDChars(id) || id == "." || id == ".." {
		return fmt.Errorf("invalid container id %q: only letters, digits and _+-. are allowed", id)
	}
	return nil
}

// validIDChars reports whether id has only the characters of runc's pattern ^[\w+.-]+$, where
// \w is ASCII: letters, digits and underscore. A loop, because package regexp would add a
// quarter of a megabyte to the binary and its initialisation to every runo process.
func validIDChars(id string) bool {
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '+', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}
