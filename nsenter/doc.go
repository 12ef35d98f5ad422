// Package nsenter starts a process that is already in its namespaces when it runs: new ones
// created, joined ones (linux.namespaces entries with a path) joined. runc does this in C
// before the Go runtime starts; runo does it in pure Go with a raw fork.
//
// It owns: the order of joins and unshares, user namespace id maps, the process that execs.
// It must not: touch the caller's own threads' namespaces, set up mounts, cgroups or anything
// else of the container (that is init's work in libcontainer), or exit the caller.
//
// # Threading invariants
//
// A Go process is multithreaded from its start, and namespaces belong to threads, not to
// the process. What follows from that:
//
//   - setns(CLONE_NEWUSER) refuses a multithreaded caller (EINVAL), and so does setns into a
//     time namespace (EUSERS, it remaps the vDSO). No Go thread can make either call. So
//     Start does all namespace work in a child forked by a raw clone: a copy of one thread,
//     single-threaded until it execs.
//   - setns(CLONE_NEWNS) refuses a caller that shares its filesystem information (root, cwd)
//     with other threads, which every Go thread does: it needs unshare(CLONE_FS) first. The
//     raw child shares nothing (clone without CLONE_FS).
//   - setns(CLONE_NEWPID) and unshare(CLONE_NEWPID) move only the caller's future children,
//     and unshare(CLONE_NEWTIME) likewise; so a pid namespace that is not made by the first
//     clone itself needs one more fork (see fork_unsafe.go), and a new time namespace is left
//     to the child's own execve (UnshareTime).
//   - Goroutines started from a locked thread do not run on it and do not inherit its
//     namespaces: anything that must happen inside namespaces happens on the thread that
//     entered them.
//   - A thread whose namespaces or credentials changed must never be handed back to the Go
//     scheduler: it is never unlocked, and its goroutine exits locked so that the runtime
//     retires the thread. Start changes no thread of the caller; UnshareTime changes the
//     caller's main thread, which then execs.
//   - The raw child is a copy of one thread of a process whose other threads, some perhaps
//     holding runtime locks, do not exist in it. It may only make raw system calls
//     (RawSyscall, which neither allocates nor grows the stack nor yields to the scheduler):
//     an allocation, a stack growth, a write barrier or a lock could wait forever for a
//     thread that is not there. Everything it uses (argv, envp as *byte, descriptors,
//     namespace files) is prepared before the fork, as syscall.forkAndExecInChild does.
//   - The raw child execs the binary through a descriptor opened by the caller
//     (execveat(fd, "", AT_EMPTY_PATH)): after joining a mount namespace, a path such as
//     /proc/self/exe would resolve inside that namespace, which may not have it.
//   - Where it never waits for the caller and enters no user or time namespace (whose setns
//     and unshare the kernel refuses to a process sharing its memory), the raw child is a
//     vfork child on amd64: it shares the caller's memory while the calling thread waits,
//     and the kernel copies no page tables (vfork_amd64.s keeps the return address safe).
//
// # Ownership
//
// A new namespace is owned by the user namespace of the process that creates it. With no user
// namespace in the list, the first clone creates the new namespaces. With a new or joined user
// namespace, the child first joins every other namespace (the caller's privileges cover those
// owned by its own user namespace only while it is still in it), then joins or makes the user
// namespace, becomes its root, and only then unshares the new namespaces, so that the user
// namespace owns them, and the pid namespace through a second fork.
//
// Like runc's nsexec, Start does not change mount propagation of a new mount namespace and
// does not create a session; init does both as the spec asks.
package nsenter
