// Package rootfs builds the container's filesystem view from inside the
// container's init: root propagation, the config's mounts, /dev, the switch
// of root (pivot_root or MS_MOVE + chroot), masked and read-only paths, and
// the console bind.
//
// The init calls, in order:
//
//	Prepare(cfg)       // host's view of paths: mounts under cfg.Rootfs, /dev
//	                   // (createContainer hooks run here)
//	Enter(cfg)         // switch root, deferred read-only mounts,
//	                   // readonlyPaths, maskedPaths, root.readonly
//	MountConsole(pty)  // only with a terminal
//
// One exception runs in the runtime's parent, in the host's namespaces, before
// the init starts: OpenIDMapped makes the detached idmapped mounts (idmap.go)
// that Prepare then attaches through Config.MountFiles.
//
// Invariants:
//   - Everything runs in the container's own mount namespace; Prepare first
//     makes "/" rslave (or linux.rootfsPropagation) so nothing leaks to the
//     host. Callers must never run Prepare in the host's mount namespace.
//   - Paths from config.json are resolved inside the rootfs (securejoin,
//     pathrs-lite) and mounted through O_PATH handles, never by a path that
//     the image could swap for a symlink in between.
//   - umask is set to 0 only around node creation and restored.
//   - The package holds no state between calls; Config carries everything.
//
// It must not: fork, start goroutines that touch namespaces, or know about
// cgroups beyond mounting the container's own cgroup directories.
package rootfs
