package nsenter

import (
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsKind is what the package knows about one namespace type.
type nsKind struct {
	flag uintptr // CLONE_NEW*
	proc string  // name under /proc/<pid>/ns
}

// kinds maps the spec's namespace types to their clone flag and /proc name. Read-only.
var kinds = map[specs.LinuxNamespaceType]nsKind{
	specs.PIDNamespace:     {unix.CLONE_NEWPID, "pid"},
	specs.NetworkNamespace: {unix.CLONE_NEWNET, "net"},
	specs.MountNamespace:   {unix.CLONE_NEWNS, "mnt"},
	specs.IPCNamespace:     {unix.CLONE_NEWIPC, "ipc"},
	specs.UTSNamespace:     {unix.CLONE_NEWUTS, "uts"},
	specs.UserNamespace:    {unix.CLONE_NEWUSER, "user"},
	specs.CgroupNamespace:  {unix.CLONE_NEWCGROUP, "cgroup"},
	specs.TimeNamespace:    {unix.CLONE_NEWTIME, "time"},
}

// order lists the namespace types in a fixed order, for messages and tests.
var order = []specs.LinuxNamespaceType{
	specs.UserNamespace, specs.MountNamespace, specs.PIDNamespace, specs.NetworkNamespace,
	specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace, specs.TimeNamespace,
}

// ProcName returns the name of a namespace type's file under /proc/<pid>/ns ("network" is
// "net", "mount" is "mnt"), so callers can build the path of a process's namespace.
func ProcName(t specs.LinuxNamespaceType) (string, error) {
	k, ok := kinds[t]
	if !ok {
		return "", fmt.Errorf("namespace type %q: %w", t, ErrUnknownNamespace)
	}
	return k.proc, nil
}

// CloneFlag returns a namespace type's CLONE_NEW* flag, for callers that unshare namespaces
// themselves.
func CloneFlag(t specs.LinuxNamespaceType) (uintptr, error) {
	k, ok := kinds[t]
	if !ok {
		return 0, fmt.Errorf("namespace type %q: %w", t, ErrUnknownNamespace)
	}
	return k.flag, nil
}

// plan says how the child gets into its namespaces. It is computed from the spec's list alone
// so that the choice can be tested without touching the host.
type plan struct {
	// cloneFlags are the namespaces the first clone creates. They are owned by the caller's
	// user namespace, so only namespaces made when no user namespace is new or joined go here.
	cloneFlags uintptr
	// joins are joined in this order: every non-user namespace, then the user namespace
	// (those owned by the caller's user namespace can no longer be joined from inside another).
	joins []specs.LinuxNamespace
	// newUser asks the child to unshare a user namespace after the joins; the parent writes
	// its id maps while the child waits.
	newUser bool
	// enterUser makes the child root (uid and gid 0) in the user namespace it created or
	// joined, so that its capabilities there survive execve.
	enterUser bool
	// unshareFlags are the namespaces the child unshares after the joins and the user step,
	// so that they are owned by the child's final user namespace.
	unshareFlags uintptr
	// newTime asks the child to make a time namespace, after the user namespace (which must
	// own it) and before it forks or execs (whose process enters it).
	newTime bool
	// fork2 asks the child to fork once more (with CLONE_PARENT) after the namespace steps:
	// unshare(CLONE_NEWPID) and setns(CLONE_NEWPID) only move the caller's future children.
	fork2 bool
}

// newPlan checks the namespace list and decides the steps.
func newPlan(namespaces []specs.LinuxNamespace) (plan, error) {
	var p plan
	var newFlags uintptr
	var user *specs.LinuxNamespace
	var pidNew, pidJoined bool
	seen := make(map[specs.LinuxNamespaceType]bool, len(namespaces))
	for i, ns := range namespaces {
		k, ok := kinds[ns.Type]
		if !ok {
			return plan{}, fmt.Errorf("namespace type %q: %w", ns.Type, ErrUnknownNamespace)
		}
		// Two entries of one type cannot both hold: a process is in one namespace per type.
		if seen[ns.Type] {
			return plan{}, fmt.Errorf("namespace type %q: %w", ns.Type, ErrDuplicateNamespace)
		}
		seen[ns.Type] = true
		switch {
		case ns.Path == "" && ns.Type == specs.TimeNamespace:
			// made by the child after the other steps, with its offsets (Config.TimeOffsets)
			p.newTime = true
		case ns.Path == "":
			newFlags |= k.flag
			pidNew = pidNew || ns.Type == specs.PIDNamespace
		case ns.Type == specs.UserNamespace:
			user = &namespaces[i]
		default:
			p.joins = append(p.joins, ns)
			pidJoined = pidJoined || ns.Type == specs.PIDNamespace
		}
	}
	if user != nil {
		p.joins = append(p.joins, *user)
	}
	p.newUser = newFlags&unix.CLONE_NEWUSER != 0
	p.enterUser = p.newUser || user != nil
	if !p.enterUser {
		// Everything stays owned by the caller's user namespace, so the first clone can make
		// the new namespaces and the child is born in its new pid namespace. The cgroup
		// namespace is unshared by the child: clone makes it from the caller's cgroup, before
		// CLONE_INTO_CGROUP moves the child (see Config.Cgroup).
		if p.newTime {
			// A new time namespace holds only processes forked after it was made (kernels
			// before 6.x do not move the execve'ing process in, and refuse it threads while
			// its namespace differs from its children's). So the child unshares everything
			// and forks the process that execs: that one is born in the new namespaces. (The
			// first clone cannot make the pid namespace: its init could not fork CLONE_PARENT.)
			p.unshareFlags = newFlags
			p.fork2 = true
			return p, nil
		}
		p.cloneFlags = newFlags &^ unix.CLONE_NEWCGROUP
		p.unshareFlags = newFlags & unix.CLONE_NEWCGROUP
		p.fork2 = pidJoined
		return p, nil
	}
	// A user namespace is new or joined: every new namespace must be owned by it, so it is
	// made after the user step. The user namespace is unshared on its own and mapped before the
	// rest, as runc does (some LSM labels, e.g. SELinux on mqueue, depend on it).
	p.unshareFlags = newFlags &^ unix.CLONE_NEWUSER
	p.fork2 = pidNew || pidJoined || p.newTime // see the time namespace above
	return p, nil
}

// mayShareMemory says whether the child may be a vfork child, sharing the caller's memory
// while the calling thread waits (see forkChild). It may not when it waits for the caller (the
// id maps of a new user namespace), nor enter a user or time namespace: the kernel refuses
// those to a process that shares its memory (EINVAL, EUSERS).
func (p plan) mayShareMemory() bool {
	if p.enterUser || p.newTime {
		return false
	}
	for _, ns := range p.joins {
		if ns.Type == specs.TimeNamespace {
			return false
		}
	}
	return true
}
