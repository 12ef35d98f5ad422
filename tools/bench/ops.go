package main

import (
	"fmt"
	"os"
)

// measureCreated creates a container untimed, reads the resident set of its init while it waits
// for start, and times plain `delete` of it: runo, runc and crun all delete a created container
// without --force, killing the waiting init.
func (b *bench) measureCreated(r *runtime, record bool) {
	rssMetrics := []string{mInitRSS, mInitRSSAnon}
	deleteMetrics := []string{mDeleteCreatedWall, mDeleteCreatedCPU}
	id, err := b.createUntimed(r, "created", trueProcess())
	if err != nil {
		b.failed(r, "create", err, record, append(rssMetrics, deleteMetrics...)...)
		return
	}
	use, err := b.initMemory(r, id)
	switch {
	case err != nil:
		b.failed(r, "read waiting init rss", err, record, rssMetrics...)
	case record:
		b.res.add(mInitRSS, r.name, mib(use.rssKiB))
		b.res.add(mInitRSSAnon, r.name, mib(use.anonKiB))
	}
	deleted, err := r.invoke("delete", id)
	b.reapOrphans()
	if err != nil {
		b.failed(r, "delete created", err, record, deleteMetrics...)
		b.discard(r, id)
		return
	}
	delete(b.live[r], id)
	if record {
		b.res.add(mDeleteCreatedWall, r.name, ms(deleted.wall))
		b.res.add(mDeleteCreatedCPU, r.name, ms(deleted.cpu))
	}
}

// initMemory reads the resident set of a container's init, found through `state`.
func (b *bench) initMemory(r *runtime, id string) (memoryUse, error) {
	st, err := b.state(r, id)
	if err != nil {
		return memoryUse{}, err
	}
	if st.Pid <= 0 {
		return memoryUse{}, fmt.Errorf("state of %s has no init pid", id)
	}
	path := fmt.Sprintf("/proc/%d/status", st.Pid)
	raw, err := os.ReadFile(path)
	if err != nil {
		return memoryUse{}, fmt.Errorf("read %s: %w", path, err)
	}
	use, err := parseProcStatus(string(raw))
	if err != nil {
		return memoryUse{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return use, nil
}

// sleeper returns the runtime's long-running container, creating and starting it, untimed, on
// first use. It stays for the whole run so that exec, state and list measure a root holding one
// running container; the cleanup at exit deletes it.
func (b *bench) sleeper(r *runtime) (string, error) {
	if id, ok := b.sleepers[r]; ok {
		return id, nil
	}
	id, err := b.startUntimed(r, "sleeper", sleepProcess())
	if err != nil {
		return "", fmt.Errorf("start long-running container: %w", err)
	}
	b.sleepers[r] = id
	return id, nil
}

// measureExec times `exec <id> /bin/true` into the running sleeper.
func (b *bench) measureExec(r *runtime, record bool) {
	metrics := []string{mExecWall, mExecCPU, mExecRSS}
	id, err := b.sleeper(r)
	if err != nil {
		b.failed(r, "start sleeper", err, record, metrics...)
		return
	}
	out, err := r.invoke("exec", id, "/bin/true")
	b.reapOrphans()
	if err != nil {
		b.failed(r, "exec", err, record, metrics...)
		return
	}
	if record {
		b.res.add(mExecWall, r.name, ms(out.wall))
		b.res.add(mExecCPU, r.name, ms(out.cpu))
		b.addMaxRSS(mExecRSS, r, out)
	}
}

// measureState times `state <id>` of the running sleeper.
func (b *bench) measureState(r *runtime, record bool) {
	b.timeOnSleeper(r, record, mStateWall, mStateCPU, func(id string) []string { return []string{"state", id} })
}

// measureList times `list`, table format, with the sleeper alone in the root.
func (b *bench) measureList(r *runtime, record bool) {
	b.timeOnSleeper(r, record, mListWall, mListCPU, func(string) []string { return []string{"list"} })
}

// timeOnSleeper makes sure the sleeper exists and times the runtime with the arguments that args
// returns for the sleeper's id.
func (b *bench) timeOnSleeper(r *runtime, record bool, wall, cpu string, args func(id string) []string) {
	id, err := b.sleeper(r)
	if err != nil {
		b.failed(r, "start sleeper", err, record, wall, cpu)
		return
	}
	cmd := args(id)
	out, err := r.invoke(cmd...)
	if err != nil {
		b.failed(r, cmd[0], err, record, wall, cpu)
		return
	}
	if record {
		b.res.add(wall, r.name, ms(out.wall))
		b.res.add(cpu, r.name, ms(out.cpu))
	}
}

// measureKill times `kill <id> KILL` of a running sleep; creating, starting, the wait for stopped
// and the delete are not timed. KILL rather than TERM: sleep as PID 1 of its namespace ignores
// TERM, which would measure a timeout instead of the runtime.
func (b *bench) measureKill(r *runtime, record bool) {
	metrics := []string{mKillWall, mKillCPU}
	id, err := b.startUntimed(r, "kill", sleepProcess())
	if err != nil {
		b.failed(r, "create and start", err, record, metrics...)
		return
	}
	killed, err := r.invoke("kill", id, "KILL")
	if err != nil {
		b.failed(r, "kill", err, record, metrics...)
		b.discard(r, id)
		return
	}
	if err := b.waitStopped(r, id); err != nil {
		b.failed(r, "wait for stopped after kill", err, record, metrics...)
		b.discard(r, id)
		return
	}
	b.discard(r, id)
	if record {
		b.res.add(mKillWall, r.name, ms(killed.wall))
		b.res.add(mKillCPU, r.name, ms(killed.cpu))
	}
}

// measureMemoryLimits runs /bin/true under a 2 MiB and a 4 MiB memory limit. Only wall time is
// recorded: the point is ok/n, whether the runtime's own process, which runs in the container's
// cgroup before it executes /bin/true, fits; 2 MiB is tight for a Go init, 4 MiB is the control.
func (b *bench) measureMemoryLimits(r *runtime, record bool) {
	for _, limit := range []int64{2 << 20, 4 << 20} {
		metric := memoryLimitMetric(limit)
		cfg := trueProcess()
		cfg.memoryLimit = limit
		_ = b.measureRun(r, runProbe{step: metric, config: cfg, wall: metric}, record)
	}
}
