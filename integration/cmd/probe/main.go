// Command probe runs inside a container under test and reports what it sees.
//
// It is built static (CGO_ENABLED=0) and copied into the test rootfs as /bin/probe.
// Subcommands:
//
//	probe facts             print the process's view of itself as one JSON object
//	probe sleep [DIR]       wait for a signal; print its name on stdout and, with DIR,
//	                        write DIR/ready once the handler is installed and DIR/signal
//	                        with the name when one arrives; exit 0
//	probe write PATH TEXT   write TEXT to PATH (exit 1 with the error on stderr)
//	probe stat PATH         print {"mode","rdev_major","rdev_minor","size"} of PATH
//	probe owner PATH        print {"uid","gid"} of PATH (not following a final symlink)
//	probe exit N            exit with status N
//	probe hog MIB           allocate and touch MIB MiB of memory, then exit 0 (for OOM tests)
//	probe reopen-exe PID DIR  open /proc/PID/exe O_PATH, write DIR/ready, wait for DIR/go,
//	                        then try to reopen it for writing and write the outcome to DIR/result
//	                        ("opened" or the error): the CVE-2019-5736 attack, minus the write
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe facts|sleep [DIR]|write PATH TEXT|stat PATH|exit N")
	}
	switch cmd, args := os.Args[1], os.Args[2:]; {
	case cmd == "facts":
		printJSON(gatherFacts())
	case cmd == "sleep" && len(args) <= 1:
		sleep(args)
	case cmd == "write" && len(args) == 2:
		if err := os.WriteFile(args[0], []byte(args[1]), 0o644); err != nil {
			fail(err.Error())
		}
	case cmd == "stat" && len(args) == 1:
		printJSON(statPath(args[0]))
	case cmd == "owner" && len(args) == 1:
		var st unix.Stat_t
		if err := unix.Lstat(args[0], &st); err != nil {
			fail(err.Error())
		}
		printJSON(map[string]uint32{"uid": st.Uid, "gid": st.Gid})
	case cmd == "hog" && len(args) == 1:
		mib, err := strconv.Atoi(args[0])
		if err != nil {
			fail(err.Error())
		}
		hog(mib)
	case cmd == "reopen-exe" && len(args) == 2:
		reopenExe(args[0], args[1])
	case cmd == "exit" && len(args) == 1:
		n, err := strconv.Atoi(args[0])
		if err != nil {
			fail(err.Error())
		}
		os.Exit(n)
	default:
		fail("probe: bad arguments: " + strings.Join(os.Args[1:], " "))
	}
}

// Facts is what `probe facts` prints.
type Facts struct {
	Pid         int               `json:"pid"`
	Ppid        int               `json:"ppid"`
	Hostname    string            `json:"hostname"`
	Domainname  string            `json:"domainname"`
	UID         int               `json:"uid"`
	GID         int               `json:"gid"`
	EUID        int               `json:"euid"`
	EGID        int               `json:"egid"`
	Groups      []int             `json:"groups"`
	Umask       int               `json:"umask"`
	Cwd         string            `json:"cwd"`
	Env         []string          `json:"env"`
	Caps        map[string]string `json:"caps"` // CapInh, CapPrm, CapEff, CapBnd, CapAmb as hex
	NoNewPrivs  int               `json:"no_new_privs"`
	OOMScoreAdj int               `json:"oom_score_adj"`
	TimerSlack  int               `json:"timer_slack"` // PR_GET_TIMERSLACK, in ns
	Rlimits     map[string]Rlimit `json:"rlimits"`
	Mounts      []Mount           `json:"mounts"`
	Processes   []Process         `json:"processes"`
	Namespaces  map[string]string `json:"namespaces"` // readlink of /proc/self/ns/*
	UIDMap      string            `json:"uid_map"`
	GIDMap      string            `json:"gid_map"`
	Uptime      float64           `json:"uptime"` // first field of /proc/uptime
	// Keyring is the serial of the session keyring (KEYCTL_GET_KEYRING_ID without create:
	// the user session keyring when the process has none of its own).
	Keyring int      `json:"keyring"`
	Errors  []string `json:"errors,omitempty"`
}

type Rlimit struct {
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

type Mount struct {
	Point   string `json:"point"`
	FSType  string `json:"fstype"`
	Options string `json:"options"` // per-mount options, then super block options
}

type Process struct {
	Pid  int    `json:"pid"`
	Comm string `json:"comm"`
}

func gatherFacts() Facts {
	f := Facts{
		Pid:  os.Getpid(),
		Ppid: os.Getppid(),
		UID:  os.Getuid(), GID: os.Getgid(), EUID: os.Geteuid(), EGID: os.Getegid(),
		Env: os.Environ(),
	}
	note := func(err error) {
		if err != nil {
			f.Errors = append(f.Errors, err.Error())
		}
	}
	var uts unix.Utsname
	note(unix.Uname(&uts))
	f.Hostname, f.Domainname = unix.ByteSliceToString(uts.Nodename[:]), unix.ByteSliceToString(uts.Domainname[:])
	groups, err := os.Getgroups()
	note(err)
	f.Groups = append([]int{}, groups...) // [] rather than null when there are none
	f.TimerSlack, err = unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	note(err)
	f.Umask = syscall.Umask(0)
	syscall.Umask(f.Umask)
	f.Cwd, err = os.Getwd()
	note(err)

	status, err := os.ReadFile("/proc/self/status")
	note(err)
	f.Caps = map[string]string{}
	for _, line := range strings.Split(string(status), "\n") {
		key, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch {
		case !ok:
		case strings.HasPrefix(key, "Cap"):
			f.Caps[key] = value
		case key == "NoNewPrivs":
			f.NoNewPrivs, _ = strconv.Atoi(value)
		}
	}
	adj, err := os.ReadFile("/proc/self/oom_score_adj")
	note(err)
	f.OOMScoreAdj, _ = strconv.Atoi(strings.TrimSpace(string(adj)))

	// Go raises the soft RLIMIT_NOFILE to the hard limit at start-up; /proc/self/limits shows
	// the raised value too, so tests that care about the soft limit use the shell's ulimit.
	f.Rlimits = map[string]Rlimit{}
	for name, res := range map[string]int{"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_CORE": unix.RLIMIT_CORE} {
		var rl unix.Rlimit
		note(unix.Getrlimit(res, &rl))
		f.Rlimits[name] = Rlimit{Soft: rl.Cur, Hard: rl.Max}
	}

	f.Mounts, err = mounts()
	note(err)
	f.Processes, err = processes()
	note(err)
	f.Namespaces = map[string]string{}
	for _, ns := range []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"} {
		if link, err := os.Readlink("/proc/self/ns/" + ns); err == nil {
			f.Namespaces[ns] = link
		}
	}
	uidMap, _ := os.ReadFile("/proc/self/uid_map")
	gidMap, _ := os.ReadFile("/proc/self/gid_map")
	f.UIDMap, f.GIDMap = string(uidMap), string(gidMap)
	f.Keyring, err = unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	note(err)
	uptime, err := os.ReadFile("/proc/uptime")
	note(err)
	if fields := strings.Fields(string(uptime)); len(fields) > 0 {
		f.Uptime, _ = strconv.ParseFloat(fields[0], 64)
	}
	return f
}

// mounts parses /proc/self/mountinfo (proc(5)).
func mounts() ([]Mount, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var ms []Mount
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fields := strings.Fields(line)
		sep := -1
		for i, field := range fields {
			if field == "-" {
				sep = i
				break
			}
		}
		if sep < 6 || len(fields) < sep+4 {
			return nil, fmt.Errorf("bad mountinfo line %q", line)
		}
		ms = append(ms, Mount{
			Point:   unescape(fields[4]),
			FSType:  fields[sep+1],
			Options: fields[5] + "," + fields[sep+3],
		})
	}
	return ms, nil
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func processes() ([]Process, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var ps []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		ps = append(ps, Process{Pid: pid, Comm: strings.TrimSpace(string(comm))})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Pid < ps[j].Pid })
	return ps, nil
}

// sigRTMin3 is SIGRTMIN+3 (34 + 3 on Linux), the signal that stops systemd as a container's
// init: a real-time signal, which runo forwards as well.
const sigRTMin3 = syscall.Signal(37)

func sleep(args []string) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGUSR2, sigRTMin3)
	if len(args) == 1 {
		writeAtomic(filepath.Join(args[0], "ready"), strconv.Itoa(os.Getpid()))
	}
	sig := <-sigs
	name := unix.SignalName(sig.(syscall.Signal))
	if sig == sigRTMin3 {
		name = "SIGRTMIN+3"
	}
	fmt.Println(name)
	if len(args) == 1 {
		writeAtomic(filepath.Join(args[0], "signal"), name)
	}
}

// writeAtomic writes path by rename, so that a test polling for it never reads it half-written.
func writeAtomic(path, content string) {
	if err := os.WriteFile(path+".tmp", []byte(content), 0o644); err != nil {
		fail(err.Error())
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		fail(err.Error())
	}
}

func statPath(path string) map[string]any {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		fail(err.Error())
	}
	return map[string]any{
		"mode":       fmt.Sprintf("%#o", st.Mode),
		"rdev_major": unix.Major(st.Rdev),
		"rdev_minor": unix.Minor(st.Rdev),
		"size":       st.Size,
	}
}

func printJSON(v any) {
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(v); err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(1)
}

// hog allocates mib MiB one MiB at a time and writes every page, so the memory is really used.
func hog(mib int) {
	chunks := make([][]byte, 0, mib)
	for i := 0; i < mib; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		chunks = append(chunks, b)
	}
	fmt.Println(len(chunks))
}

// reopenExe keeps a handle on another process's executable and, when told, tries to reopen it
// for writing. It never writes: a test that sees "opened" has found the hole, not used it.
func reopenExe(pid, dir string) {
	fd, err := unix.Open("/proc/"+pid+"/exe", unix.O_PATH, 0)
	if err != nil {
		fail(err.Error())
	}
	if err := os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644); err != nil {
		fail(err.Error())
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			break
		}
		unix.Nanosleep(&unix.Timespec{Nsec: 10_000_000}, nil)
	}
	outcome := "opened"
	w, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_WRONLY, 0)
	if err != nil {
		outcome = err.Error()
	} else {
		unix.Close(w)
	}
	writeAtomic(filepath.Join(dir, "result"), outcome)
}
