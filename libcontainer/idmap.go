package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/rootfs"
	"github.com/runo-project/runo/internal/selfexe"
	"github.com/runo-project/runo/nsenter"
)

// Idmapped mounts are made here, in the parent, and attached by init (see internal/rootfs,
// idmap.go, for why):
//
//	runo create (host namespaces)                      runo init
//	for each idmapped mount i:
//	  user namespace with the mappings  (helper, once per distinct mappings)
//	  open_tree(source, CLONE) + mount_setattr(IDMAP, userns)
//	fds of the detached mounts ----- ExtraFiles, _RUNO_MOUNT_FDS=i:fd,... ---> rootfs.Prepare:
//	close our copies                                     move_mount(fd, destination)
//
// A detached mount lives only as long as a descriptor of it: if create fails before init
// attaches it, closing the descriptors leaves nothing on the host.

// envMountFDs tells init which of its fds holds the detached mount of which mount, as
// "index:fd" pairs separated by commas.
const envMountFDs = "_RUNO_MOUNT_FDS"

// openIDMappedMounts validates every mount's id mapping and makes the detached, idmapped mount
// of each mount that has one. The result has one entry per spec mount, nil for the others; the
// caller closes the files (closeFiles) once init holds them.
func openIDMappedMounts(spec *specs.Spec, bundle string) (files []*os.File, err error) {
	var maps []*rootfs.IDMapping
	mapped := false
	for i, m := range spec.Mounts {
		idm, err := rootfs.MountIDMapping(i, m, spec.Linux)
		if err != nil {
			return nil, err
		}
		maps = append(maps, idm)
		mapped = mapped || idm != nil
	}
	if !mapped {
		return nil, nil
	}
	if os.Geteuid() != 0 {
		// The kernel idmaps a mount only for a caller privileged over the source's file system.
		return nil, errors.New("idmapped mounts are not supported for rootless containers")
	}
	files = make([]*os.File, len(spec.Mounts))
	users := usernsCache{}
	defer users.close()
	defer func() {
		if err != nil {
			closeFiles(files)
		}
	}()
	for i, idm := range maps {
		if idm == nil {
			continue
		}
		m := spec.Mounts[i]
		userns, err := users.get(idm)
		if err != nil {
			return nil, fmt.Errorf("mounts[%d]: user namespace for idmapped mount: %w", i, err)
		}
		source := m.Source
		if !filepath.IsAbs(source) {
			// As init resolves bind sources: against the bundle.
			source = filepath.Join(bundle, source)
		}
		opts, _ := rootfs.ParseMountOptions(m.Options) // MountIDMapping parsed them already
		if files[i], err = rootfs.OpenIDMapped(source, opts.Flags&unix.MS_REC != 0, idm, userns); err != nil {
			return nil, fmt.Errorf("mounts[%d]: %w", i, err)
		}
	}
	return files, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

// usernsCache holds one user namespace per distinct mappings (engines usually give every
// idmapped mount the container's own), as open /proc/<pid>/ns/user files.
type usernsCache map[string]*os.File

func (c usernsCache) get(idm *rootfs.IDMapping) (*os.File, error) {
	key := "maps:" + fmt.Sprint(idm.UIDMappings, idm.GIDMappings)
	if idm.UserNSPath != "" {
		key = "path:" + idm.UserNSPath
	}
	if f, ok := c[key]; ok {
		return f, nil
	}
	var f *os.File
	var err error
	if idm.UserNSPath != "" {
		f, err = os.Open(idm.UserNSPath)
	} else {
		f, err = newUserNS(idm.UIDMappings, idm.GIDMappings)
	}
	if err != nil {
		return nil, err
	}
	c[key] = f
	return f, nil
}

func (c usernsCache) close() {
	for _, f := range c {
		f.Close()
	}
}

// newUserNS returns a user namespace with the given mappings, which outlives the process that
// made it as long as the file is open. The process is runo itself, started by nsenter in a new
// user namespace as `runo init` with a pipe for its sync socket: init reads its config from the
// pipe before doing anything, so it blocks there until it is killed (or sees end of file, should
// runo die first). It never gets a config, so it never touches anything.
func newUserNS(uidMap, gidMap []specs.LinuxIDMapping) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("make pipe: %w", err)
	}
	defer w.Close()
	exe, err := selfexe.Open()
	if err != nil {
		r.Close()
		return nil, err
	}
	defer exe.Close()
	proc, err := nsenter.Start(&nsenter.Config{
		Binary:      exe,
		Path:        "/proc/self/exe",
		Args:        []string{"runo", "init"},
		Env:         []string{initGoEnv, envSyncFD + "=3"},
		ExtraFiles:  []*os.File{r},
		Namespaces:  []specs.LinuxNamespace{{Type: specs.UserNamespace}},
		UIDMappings: uidMap,
		GIDMappings: gidMap,
	})
	r.Close()
	if err != nil {
		return nil, fmt.Errorf("start user namespace holder: %w", err)
	}
	defer func() {
		proc.Kill()
		proc.Wait()
	}()
	// nsenter.Start returns once the maps are written and the process has exec'd; it cannot
	// have exited since it waits on the pipe we hold.
	path := "/proc/" + strconv.Itoa(proc.Pid) + "/ns/user"
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return f, nil
}

// mountFDsEnv appends the detached mounts to extra, as fds first, first+1, ... of init, and
// returns the _RUNO_MOUNT_FDS entry naming them ("" when there are none).
func mountFDsEnv(files []*os.File, first int, extra *[]*os.File) string {
	var pairs []string
	for i, f := range files {
		if f == nil {
			continue
		}
		pairs = append(pairs, strconv.Itoa(i)+":"+strconv.Itoa(first+len(pairs)))
		*extra = append(*extra, f)
	}
	if len(pairs) == 0 {
		return ""
	}
	return envMountFDs + "=" + strings.Join(pairs, ",")
}

// mountFilesFromEnv is init's side of mountFDsEnv: the detached mounts by mount index, for
// rootfs.Config.MountFiles. nil when the variable is unset.
func mountFilesFromEnv(nMounts int) ([]*os.File, error) {
	v := os.Getenv(envMountFDs)
	if v == "" {
		return nil, nil
	}
	files := make([]*os.File, nMounts)
	for _, pair := range strings.Split(v, ",") {
		is, fds, ok := strings.Cut(pair, ":")
		i, err1 := strconv.Atoi(is)
		fd, err2 := strconv.Atoi(fds)
		if !ok || err1 != nil || err2 != nil || i < 0 || i >= nMounts || fd < 3 {
			closeFiles(files)
			return nil, fmt.Errorf("runo init: %s=%q: bad entry %q", envMountFDs, v, pair)
		}
		unix.CloseOnExec(fd)
		files[i] = os.NewFile(uintptr(fd), "mount-"+is)
	}
	return files, nil
}
