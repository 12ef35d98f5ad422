// Package devices owns a container's device access rules under cgroup v2: the rules runc allows
// for every container, their composition with the spec's rules, and the eBPF
// BPF_PROG_TYPE_CGROUP_DEVICE program that enforces them on a cgroup directory.
//
// Semantics: rules are applied in the listed order (the spec: "The runtime MUST apply entries in
// the listed order") and the last rule that matches a device decides, bit by bit, for each of the
// requested accesses r, w and m; an access no rule decides gets the default. A rule of type "a"
// (or no type) resets everything before it and sets the default to its allow, whatever its
// access, major and minor, as cgroup v1's devices.allow/deny and runc's emulator do. Without
// such a rule the default is deny.
//
// The package does not touch cgroup v1 files, and it detaches only programs it attached itself
// (recognised by their name), so a program installed by systemd or an administrator stays.
package devices
