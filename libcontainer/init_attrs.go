package libcontainer

import (
	"fmt"
	"os"
	"strings"
)

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
