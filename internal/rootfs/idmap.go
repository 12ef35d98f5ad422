package rootfs

import (
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Idmapped mounts (runtime-spec: a mount's uidMappings/gidMappings, options
// "idmap"/"ridmap"). The mappings read as a user namespace's: a file that the
// source file system stores as id containerID is seen through the mount as
// id hostID, and a write by hostID is stored as containerID. A container
// whose user namespace has the same mappings therefore sees the source's ids
// unchanged, which is how engines share host files with such a container.
//
// As in runc 1.2, the runtime's parent, still privileged in the host's
// namespaces, makes each such mount detached (OpenIDMapped): open_tree(2)
// clones the source, mount_setattr(2) sets MOUNT_ATTR_IDMAP with a user
// namespace that carries the mappings. The init receives the mount as a file
// descriptor (Config.MountFiles) and only attaches it with move_mount(2):
// inside a user namespace the init could not idmap a host file system. A
// detached mount that is never attached disappears with its last descriptor,
// so nothing is left on the host whatever happens.

// IDMapping is how one idmapped mount is mapped.
type IDMapping struct {
	// Recursive is "ridmap": every mount of an rbind tree gets the mapping.
	Recursive bool
	// UserNSPath, when set, names the user namespace whose mappings to use
	// (the container joins it and the mount gave none of its own).
	UserNSPath string
	// UIDMappings and GIDMappings are used when UserNSPath is empty; both
	// are set.
	UIDMappings []specs.LinuxIDMapping
	GIDMappings []specs.LinuxIDMapping
}

// MountIDMapping returns the mapping of mounts[index] = m, or nil when it is
// not idmapped. A mount is idmapped when it has the option idmap or ridmap,
// or uidMappings or gidMappings (runc ≥ 1.2: mappings alone imply "idmap").
// An idmap option without mappings takes the container's user namespace
// (linux may be nil): its path when the container joins one, else its
// mappings. Errors name the field at fault.
func MountIDMapping(index int, m specs.Mount, linux *specs.Linux) (*IDMapping, error) {
	opts, err := ParseMountOptions(m.Options)
	if err != nil {
		return nil, fmt.Errorf("mounts[%d].options: %w", index, err)
	}
	hasMaps := m.UIDMappings != nil || m.GIDMappings != nil
	if !opts.IDMap && !hasMaps {
		return nil, nil
	}
	field := func(name string) string { return fmt.Sprintf("mounts[%d].%s", index, name) }
	// runc's rule: only a bind has a source tree to clone and map.
	if !opts.isBind() && m.Type != "bind" {
		name := "options"
		if m.UIDMappings != nil {
			name = "uidMappings"
		} else if m.GIDMappings != nil {
			name = "gidMappings"
		}
		return nil, fmt.Errorf("%s: %w", field(name), ErrIDMapNotBind)
	}
	idm := &IDMapping{Recursive: opts.IDMapRecursive}
	if hasMaps {
		if len(m.UIDMappings) == 0 {
			return nil, fmt.Errorf("%s: %w", field("uidMappings"), ErrIDMapIncomplete)
		}
		if len(m.GIDMappings) == 0 {
			return nil, fmt.Errorf("%s: %w", field("gidMappings"), ErrIDMapIncomplete)
		}
		idm.UIDMappings, idm.GIDMappings = m.UIDMappings, m.GIDMappings
		return idm, checkIDMappings(field, idm)
	}
	// "idmap" alone: the container's user namespace.
	if linux != nil {
		for _, ns := range linux.Namespaces {
			if ns.Type != specs.UserNamespace {
				continue
			}
			if ns.Path != "" {
				idm.UserNSPath = ns.Path
				return idm, nil
			}
			if len(linux.UIDMappings) > 0 && len(linux.GIDMappings) > 0 {
				idm.UIDMappings, idm.GIDMappings = linux.UIDMappings, linux.GIDMappings
				return idm, checkIDMappings(field, idm)
			}
		}
	}
	return nil, fmt.Errorf("%s: %w", field("options"), ErrIDMapNoMappings)
}

// checkIDMappings refuses empty ranges, which the kernel would refuse later
// with a bare EINVAL from a helper process.
func checkIDMappings(field func(string) string, idm *IDMapping) error {
	for name, maps := range map[string][]specs.LinuxIDMapping{"uidMappings": idm.UIDMappings, "gidMappings": idm.GIDMappings} {
		for i, r := range maps {
			if r.Size == 0 {
				return fmt.Errorf("%s[%d].size: %w", field(name), i, ErrIDMapEmptyRange)
			}
		}
	}
	return nil
}

// OpenIDMapped makes the detached, idmapped clone of source that the init
// attaches in place of mounts[i]: open_tree(OPEN_TREE_CLONE), recursive for
// an rbind, then MOUNT_ATTR_IDMAP with the user namespace userns (an open
// /proc/<pid>/ns/user), recursive for ridmap. The flags of the other options
// are applied by the init after the move, as for any bind.
//
// Unlike the rest of the package it runs in the runtime's parent, in the
// host's namespaces: the kernel idmaps a mount only for a caller privileged
// over the source's file system.
func OpenIDMapped(source string, recBind bool, idm *IDMapping, userns *os.File) (*os.File, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if recBind {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := openTree(source, flags)
	if err != nil {
		return nil, &os.PathError{Op: "open_tree", Path: source, Err: err}
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns.Fd())}
	setFlags := unix.AT_EMPTY_PATH
	if idm.Recursive {
		setFlags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(fd, "", uint(setFlags), &attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("idmap mount of %s: mount_setattr: %w", source, err)
	}
	return os.NewFile(uintptr(fd), "idmapped:"+source), nil
}

func openTree(path string, flags uint) (int, error) {
	for {
		fd, err := unix.OpenTree(unix.AT_FDCWD, path, flags)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}
