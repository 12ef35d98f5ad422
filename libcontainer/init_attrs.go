package libcontainer

import (
	"fmt"
	"os"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/internal/cpuset"
)

// Scheduling policies and flags of sched_setattr(2), by the spec's names.
var (
	schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
		specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3,
		specs.SchedISO: 4, specs.SchedIdle: 5, specs.SchedDeadline: 6,
	}
	schedFlags = map[specs.LinuxSchedulerFlag]uint64{
		specs.SchedFlagResetOnFork: 0x01, specs.SchedFlagReclaim: 0x02,
		specs.SchedFlagDLOverrun: 0x04, specs.SchedFlagKeepPolicy: 0x08,
		specs.SchedFlagKeepParams: 0x10, specs.SchedFlagUtilClampMin: 0x20,
		specs.SchedFlagUtilClampMax: 0x40,
	}
	ioPriorityClasses = map[specs.IOPriorityClass]int{
		specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
	}
)

// applyProcessAttrs sets what the spec asks of the process besides its user and capabilities:
// personality, scheduler, I/O priority and the final CPU affinity. They are per thread (or
// per process) and survive execve; they need init's privileges, so they come first.
//
// Preconditions: the calling goroutine is locked to the thread that will execve.
func (p *initProcess) applyProcessAttrs() error {
	proc := p.spec.Process
	if pers := p.spec.Linux.Personality; pers != nil {
		if err := setPersonality(pers); err != nil {
			return err
		}
	}
	if s := proc.Scheduler; s != nil {
		if err := setScheduler(s); err != nil {
			return err
		}
	}
	if io := proc.IOPriority; io != nil {
		class, ok := ioPriorityClasses[io.Class]
		if !ok {
			return fmt.Errorf("process.ioPriority.class: unknown class %q", io.Class)
		}
		const whoProcess = 1
		prio := class<<13 | io.Priority
		if _, _, errno := unix.Syscall(unix.SYS_IOPRIO_SET, whoProcess, 0, uintptr(prio)); errno != 0 {
			return fmt.Errorf("set I/O priority %s %d: %w", io.Class, io.Priority, errno)
		}
	}
	if aff := proc.ExecCPUAffinity; aff != nil && aff.Final != "" {
		if err := setAffinity(aff.Final); err != nil {
			return fmt.Errorf("process.execCPUAffinity.final: %w", err)
		}
	}
	return nil
}

func setPersonality(pers *specs.LinuxPersonality) error {
	var domain uintptr
	switch pers.Domain {
	case specs.PerLinux:
		domain = 0x0000
	case specs.PerLinux32:
		domain = 0x0008
	default:
		return fmt.Errorf("linux.personality.domain: unknown domain %q", pers.Domain)
	}
	if len(pers.Flags) > 0 {
		return fmt.Errorf("linux.personality.flags: %v: no flags are supported", pers.Flags)
	}
	if _, _, errno := unix.Syscall(unix.SYS_PERSONALITY, domain, 0, 0); errno != 0 {
		return fmt.Errorf("set personality %s: %w", pers.Domain, errno)
	}
	return nil
}

func setScheduler(s *specs.Scheduler) error {
	policy, ok := schedPolicies[s.Policy]
	if !ok {
		return fmt.Errorf("process.scheduler.policy: unknown policy %q", s.Policy)
	}
	attr := &unix.SchedAttr{
		Size: unix.SizeofSchedAttr, Policy: policy, Nice: s.Nice, Priority: uint32(s.Priority),
		Runtime: s.Runtime, Deadline: s.Deadline, Period: s.Period,
	}
	for _, f := range s.Flags {
		v, ok := schedFlags[f]
		if !ok {
			return fmt.Errorf("process.scheduler.flags: unknown flag %q", f)
		}
		attr.Flags |= v
	}
	if err := unix.SchedSetAttr(0, attr, 0); err != nil {
		return fmt.Errorf("set scheduler %s: %w", s.Policy, err)
	}
	return nil
}

func setAffinity(list string) error {
	set, err := cpuset.Parse(list)
	if err != nil {
		return err
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("set cpu affinity %s: %w", list, err)
	}
	return nil
}

// applyLSMLabels asks the kernel to switch the AppArmor profile and SELinux label at execve.
// A profile or label on a host without that LSM is an error: silently running unconfined
// would be worse.
//
// Preconditions: the calling goroutine is locked to the thread that will execve.
func (p *initProcess) applyLSMLabels() error {
	proc := p.spec.Process
	if profile := proc.ApparmorProfile; profile != "" {
		enabled, _ := os.ReadFile("/sys/module/apparmor/parameters/enabled")
		if !strings.HasPrefix(string(enabled), "Y") {
			return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host", profile)
		}
		if err := p.writeThreadAttr("apparmor/exec", "exec "+profile); err != nil {
			if err2 := p.writeThreadAttr("exec", "exec "+profile); err2 != nil {
				return fmt.Errorf("apply AppArmor profile %q: %w", profile, err)
			}
		}
	}
	if label := proc.SelinuxLabel; label != "" {
		if _, err := os.Stat("/sys/fs/selinux/enforce"); err != nil {
			return fmt.Errorf("process.selinuxLabel %q: SELinux is not enabled on this host", label)
		}
		if err := p.writeThreadAttr("exec", label); err != nil {
			return fmt.Errorf("apply SELinux label %q: %w", label, err)
		}
	}
	return nil
}

// writeThreadAttr writes an LSM attribute of the calling thread (attrs are per thread), through
// runo's own procfs.
func (p *initProcess) writeThreadAttr(name, value string) error {
	proc, err := p.procfs()
	if err != nil {
		return err
	}
	return proc.write(proc.thread()+"/attr/"+name, value)
}
