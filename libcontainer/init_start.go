package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/runo-project/runo/cgroups"
	"github.com/runo-project/runo/internal/selfexe"
	"github.com/runo-project/runo/internal/sysprog"
	"github.com/runo-project/runo/nsenter"
)

// initFiles lays out the fds of a `runo init`: the caller's preserved fds from 3 on, then the
// files init needs, whose numbers it learns from its environment.
type initFiles struct {
	extra []*os.File
	env   []string
}

func newInitFiles(preserveFDs int) *initFiles {
	f := &initFiles{env: []string{initGoEnv}}
	for fd := 3; fd < 3+preserveFDs; fd++ {
		f.extra = append(f.extra, os.NewFile(uintptr(fd), "preserved-"+strconv.Itoa(fd)))
	}
	return f
}

// add passes file as the next fd, named to init by the environment variable name.
func (f *initFiles) add(name string, file *os.File) {
	f.env = append(f.env, name+"="+strconv.Itoa(3+len(f.extra)))
	f.extra = append(f.extra, file)
}

// initTimerSlack is the timer slack, in nanoseconds, that `runo init` starts with. Its Go
// runtime's monitor thread (sysmon), made before any of runo's code runs, wakes every 20 us
// while the process is busy, and init's blocking calls keep it busy: with the default 50 us
// of slack that is some 40 wake-ups per container start, and a tenth of init's CPU. With
// 5 ms they coalesce into a few. The monitor keeps it; InitThread gives init's main thread,
// and so the threads it makes, the container's process and its hooks, the slack runo had.
const initTimerSlack = 5_000_000

// startRunoInit starts `runo init` through nsenter (cfg says where: namespaces, stdio, id
// maps), from runo's binary protected against overwriting (internal/selfexe), with the sync
// socket as envSyncFD. A non-nil cg is the cgroup init enters as it starts. cfg.Early is
// startRunoInit's own (initTimerSlack). It returns the process and the parent's end of the
// socket.
func startRunoInit(files *initFiles, cg *cgroups.Entrance, cfg nsenter.Config) (*os.Process, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("create sync socket: %w", err)
	}
	parent := os.NewFile(uintptr(fds[0]), "sync-parent")
	child := os.NewFile(uintptr(fds[1]), "sync-child")
	defer child.Close()
	files.add(envSyncFD, child)
	exe, err := selfexe.Open()
	if err != nil {
		parent.Close()
		return nil, nil, err
	}
	defer exe.Close()
	cfg.Binary, cfg.Path, cfg.Args = exe, "/proc/self/exe", []string{"runo", "init"}
	cfg.Env, cfg.ExtraFiles = files.env, files.extra
	if cg != nil {
		cfg.CgroupTasks, cfg.Cgroup = cg.Tasks, cg.Dir
	}
	cfg.Early = &sysprog.Program{}
	cfg.Early.Add(sysprog.Step{Trap: unix.SYS_PRCTL, Args: [6]uintptr{unix.PR_SET_TIMERSLACK, initTimerSlack}})
	if err := cfg.Early.Prepare(); err != nil {
		parent.Close()
		return nil, nil, err
	}
	start := func() (*os.Process, error) { return nsenter.Start(&cfg) }
	proc, err := withRunoTimerSlack(start)
	if errors.Is(err, nsenter.ErrNoCloneIntoCgroup) {
		// A kernel before 5.7: start outside the cgroup2 directory and move init there.
		cfg.Cgroup = nil
		if proc, err = withRunoTimerSlack(start); err == nil {
			if err = cgroups.AddPid(cg.Dir.Name(), proc.Pid); err != nil {
				proc.Kill()
				proc.Wait()
			}
		}
	}
	if err != nil {
		parent.Close()
		return nil, nil, fmt.Errorf("start runo init: %w", err)
	}
	return proc, parent, nil
}
