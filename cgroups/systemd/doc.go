// Package systemd is the systemd cgroup driver (--systemd-cgroup): the container's cgroup is a
// transient systemd unit, a scope by default, that systemd creates over D-Bus with the
// container's init as its only process. As runc's systemd driver does, it asks systemd for
// every limit systemd can express (so that systemd, which rewrites a unit's cgroup files
// whenever it reloads, keeps them) and then hands the unit's directories to the fs (cgroup v1,
// hybrid) or fs2 (cgroup v2) driver for the rest: the files systemd has no property for, the
// device eBPF program, freezing, process lists and statistics.
//
// linux.cgroupsPath takes the form "slice:prefix:name": "system.slice:runo:abc" is the unit
// runo-abc.scope in system.slice, whose cgroup is /system.slice/runo-abc.scope in each
// hierarchy. Paths are computed, not asked for, so that a Manager can report its directories
// (Saved) before systemd has created them, and a later runo command can rebuild it without a
// D-Bus connection until it needs one.
//
// The package talks to the system instance of systemd only: through the D-Bus system bus, or
// systemd's private socket when no bus daemon runs. It holds no package-level state; each
// Manager opens its connection on first use.
package systemd
