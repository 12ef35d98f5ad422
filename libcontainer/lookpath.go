package libcontainer

import (
	"errors"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// lookPath finds the executable file of a container's process as exec.LookPath would inside
// the container, with its words: a name with a slash is taken as it is, relative to cwd;
// another is searched in the PATH of env. root is a directory fd of the container's root
// (its own "/" for init, /proc/<pid>/root for the parent of an exec): every path resolves
// inside it, symlinks and ".." included, so the parent can look from outside.
func lookPath(root int, cwd, file string, env []string) (string, error) {
	switch file {
	case "", ".", "..":
		return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
	}
	if strings.Contains(file, "/") {
		if err := findExecutable(root, inDir(cwd, file)); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				pe.Path = file // os.Stat's words, for the name as given
			}
			return "", &exec.Error{Name: file, Err: err}
		}
		return file, nil
	}
	for _, dir := range filepath.SplitList(envValue(env, "PATH")) {
		if dir == "" {
			dir = "." // as in a shell
		}
		path := filepath.Join(dir, file)
		if findExecutable(root, inDir(cwd, path)) == nil {
			if !filepath.IsAbs(path) {
				return path, &exec.Error{Name: file, Err: exec.ErrDot}
			}
			return path, nil
		}
	}
	return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
}

// findExecutable checks that path, inside root, is a file the caller may execute: not a
// directory, and executable by faccessat's rules (as root: any execute bit, on a mount
// without noexec).
func findExecutable(root int, path string) error {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT}
	fd, err := unix.Openat2(root, path, how)
	if err != nil {
		return &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return unix.EISDIR
	}
	err = unix.Faccessat2(fd, "", unix.X_OK, unix.AT_EACCESS|unix.AT_EMPTY_PATH)
	if err == nil || (err != unix.ENOSYS && err != unix.EPERM) {
		return err
	}
	if st.Mode&0o111 != 0 {
		return nil
	}
	return fs.ErrPermission
}

// inDir is path, taken relative to dir unless it is absolute.
func inDir(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// envValue returns the value of the last entry of key in env, as getenv would after setting
// each entry in order.
func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}
