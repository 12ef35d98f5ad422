package rootfs

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseMountOptionsIDMap(t *testing.T) {
	tests := []struct {
		name            string
		opts            []string
		idmap, rec      bool
		wantData, flags string
	}{
		{name: "none", opts: []string{"rbind"}},
		{name: "idmap", opts: []string{"bind", "idmap"}, idmap: true},
		{name: "ridmap", opts: []string{"rbind", "ridmap"}, idmap: true, rec: true},
		// The last of the two wins, as in runc.
		{name: "ridmap then idmap", opts: []string{"ridmap", "idmap"}, idmap: true},
		{name: "idmap then ridmap", opts: []string{"idmap", "ridmap"}, idmap: true, rec: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMountOptions(tt.opts)
			if err != nil {
				t.Fatalf("ParseMountOptions(%q) error: %v", tt.opts, err)
			}
			if got.IDMap != tt.idmap || got.IDMapRecursive != tt.rec || got.Data != "" {
				t.Errorf("ParseMountOptions(%q) = idmap %v recursive %v data %q, want %v %v \"\"",
					tt.opts, got.IDMap, got.IDMapRecursive, got.Data, tt.idmap, tt.rec)
			}
		})
	}
}

func TestMountIDMapping(t *testing.T) {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	other := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 1000}}
	userns := &specs.Linux{
		Namespaces:  []specs.LinuxNamespace{{Type: specs.UserNamespace}},
		UIDMappings: other, GIDMappings: other,
	}
	joined := &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.UserNamespace, Path: "/proc/42/ns/user"}}}
	bind := func(opts ...string) specs.Mount {
		return specs.Mount{Destination: "/d", Source: "/s", Type: "none", Options: opts}
	}
	withMaps := func(m specs.Mount, uid, gid []specs.LinuxIDMapping) specs.Mount {
		m.UIDMappings, m.GIDMappings = uid, gid
		return m
	}
	tests := []struct {
		name    string
		mount   specs.Mount
		linux   *specs.Linux
		want    *IDMapping
		wantErr error
		field   string // the error names mounts[3].<field>
	}{
		{name: "plain bind", mount: bind("rbind"), want: nil},
		{name: "mappings imply idmap", mount: withMaps(bind("bind"), maps, maps),
			want: &IDMapping{UIDMappings: maps, GIDMappings: maps}},
		{name: "type bind without bind option", mount: withMaps(specs.Mount{Destination: "/d", Source: "/s", Type: "bind"}, maps, maps),
			want: &IDMapping{UIDMappings: maps, GIDMappings: maps}},
		{name: "ridmap", mount: withMaps(bind("rbind", "ridmap"), maps, maps),
			want: &IDMapping{Recursive: true, UIDMappings: maps, GIDMappings: maps}},
		{name: "own mappings win over the container's", mount: withMaps(bind("bind", "idmap"), maps, maps), linux: userns,
			want: &IDMapping{UIDMappings: maps, GIDMappings: maps}},
		{name: "idmap takes the container's mappings", mount: bind("bind", "idmap"), linux: userns,
			want: &IDMapping{UIDMappings: other, GIDMappings: other}},
		{name: "idmap takes a joined user namespace", mount: bind("rbind", "ridmap"), linux: joined,
			want: &IDMapping{Recursive: true, UserNSPath: "/proc/42/ns/user"}},
		{name: "idmap without user namespace", mount: bind("bind", "idmap"), linux: &specs.Linux{},
			wantErr: ErrIDMapNoMappings, field: "options"},
		{name: "idmap without linux", mount: bind("bind", "idmap"),
			wantErr: ErrIDMapNoMappings, field: "options"},
		{name: "tmpfs with mappings", mount: withMaps(specs.Mount{Destination: "/d", Type: "tmpfs"}, maps, maps),
			wantErr: ErrIDMapNotBind, field: "uidMappings"},
		{name: "tmpfs with gid mappings", mount: withMaps(specs.Mount{Destination: "/d", Type: "tmpfs"}, nil, maps),
			wantErr: ErrIDMapNotBind, field: "gidMappings"},
		{name: "tmpfs with idmap", mount: specs.Mount{Destination: "/d", Type: "tmpfs", Options: []string{"idmap"}},
			wantErr: ErrIDMapNotBind, field: "options"},
		{name: "uid only", mount: withMaps(bind("bind"), maps, nil),
			wantErr: ErrIDMapIncomplete, field: "gidMappings"},
		{name: "gid only", mount: withMaps(bind("bind"), nil, maps),
			wantErr: ErrIDMapIncomplete, field: "uidMappings"},
		// An empty list is still "given" (runc tests for nil): idmapped, and incomplete.
		{name: "empty uid list", mount: withMaps(bind("bind"), []specs.LinuxIDMapping{}, maps),
			wantErr: ErrIDMapIncomplete, field: "uidMappings"},
		{name: "zero size", mount: withMaps(bind("bind"), maps, []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1}}),
			wantErr: ErrIDMapEmptyRange, field: "gidMappings[0].size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MountIDMapping(3, tt.mount, tt.linux)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.HasPrefix(err.Error(), "mounts[3]."+tt.field+": ") {
					t.Errorf("MountIDMapping() error = %v, want mounts[3].%s: %v", err, tt.field, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("MountIDMapping() error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MountIDMapping() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
