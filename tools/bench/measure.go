package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// stopTimeout bounds the wait for a container's process to be reported stopped.
const stopTimeout = 10 * time.Second

// Phases, for -only. The loop phases run interleaved in every iteration of -n; crowd and parallel
// run after them with their own counts.
const (
	phaseRun       = "run"
	phaseLifecycle = "lifecycle"
	phaseCreated   = "created"
	phaseExec      = "exec"
	phaseState     = "state"
	phaseList      = "list"
	phaseKill      = "kill"
	phaseMemory    = "memory"
	phaseCrowd     = "crowd"
	phaseParallel  = "parallel"
)

// phaseNames lists every phase in the order the harness runs them.
func phaseNames() []string {
	return []string{phaseRun, phaseLifecycle, phaseCreated, phaseExec, phaseState, phaseList,
		phaseKill, phaseMemory, phaseCrowd, phaseParallel}
}

// bench runs the measurements. Outside the parallel phase it runs one runtime command at a time
// from one goroutine; the orphan reaping in reapOrphans depends on that.
type bench struct {
	ctx      context.Context
	bundle   *bundle
	runtimes []*runtime
	res      *results
	// scratch is the work directory, for the parallel phase's bundles and stderr files.
	scratch string
	// cgroupParent is the bench-owned parent, e.g. /runo-bench-1234.
	cgroupParent string
	log          io.Writer
	seq          int
	// live holds the containers that may exist, per runtime, for the cleanup at exit.
	live map[*runtime]map[string]bool
	// sleepers holds each runtime's long-running container that exec, state and list use; it
	// stays until the cleanup at exit.
	sleepers map[*runtime]string
	// shown records the runtime/step pairs whose failure was already printed with its stderr.
	shown map[string]bool
	// footnotes qualify the report, e.g. a runtime measured without cgroups.
	footnotes []string
}

func newBench(ctx context.Context, b *bundle, runtimes []*runtime, scratch, cgroupParent string, log io.Writer) *bench {
	live := make(map[*runtime]map[string]bool)
	for _, r := range runtimes {
		live[r] = make(map[string]bool)
	}
	return &bench{
		ctx: ctx, bundle: b, runtimes: runtimes, res: newResults(), scratch: scratch,
		cgroupParent: cgroupParent, log: log, live: live, sleepers: make(map[*runtime]string),
		shown: make(map[string]bool),
	}
}

// step is one measurement: it measures one runtime once, recording the samples when record is
// set, and leaves behind no container it created, the runtime's sleeper aside.
type step struct {
	phase   string
	measure func(r *runtime, record bool)
}

// loopSteps returns the measurements of the main loop, in the order of the report.
func (b *bench) loopSteps() []step {
	run := runProbe{step: "run", config: trueProcess(), wall: mRunWall, cpu: mRunCPU, rss: mRunRSS}
	return []step{
		{phaseRun, func(r *runtime, record bool) { _ = b.measureRun(r, run, record) }},
		{phaseLifecycle, b.measureLifecycle},
		{phaseCreated, b.measureCreated},
		{phaseExec, b.measureExec},
		{phaseState, b.measureState},
		{phaseList, b.measureList},
		{phaseKill, b.measureKill},
		{phaseMemory, b.measureMemoryLimits},
	}
}

// iterate runs warmup unrecorded and n recorded iterations of steps over runtimes. Each iteration
// runs every step once per runtime, interleaved, so that drift (page cache, CPU frequency, other
// load on the host) hits all runtimes alike. The order cycles through every permutation: a plain
// rotation keeps the cyclic order, so each runtime would always follow the same one and inherit its
// after-effects (v1 cgroup teardown still in progress, say); that showed up as runc measuring 20%
// faster than itself. It returns early, without error, when the context is cancelled.
func (b *bench) iterate(phase string, runtimes []*runtime, steps []step, warmup, n int, progress io.Writer) {
	perms := permutations(len(runtimes))
	for i := -warmup; i < n; i++ {
		if i >= 0 {
			fmt.Fprintf(progress, "%s: iteration %d/%d\n", phase, i+1, n)
		} else {
			fmt.Fprintf(progress, "%s: warm-up %d/%d\n", phase, i+warmup+1, warmup)
		}
		var order []*runtime
		for _, j := range perms[(i+warmup)%len(perms)] {
			order = append(order, runtimes[j])
		}
		for _, s := range steps {
			for _, r := range order {
				if b.ctx.Err() != nil {
					return
				}
				s.measure(r, i >= 0)
			}
		}
	}
}

// permutations returns every order of 0..n-1, in lexicographic order.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, rest := range permutations(n - 1) {
		// Insert n-1 at every position of each order of 0..n-2.
		for pos := 0; pos <= len(rest); pos++ {
			p := make([]int, 0, n)
			p = append(p, rest[:pos]...)
			p = append(p, n-1)
			p = append(p, rest[pos:]...)
			out = append(out, p)
		}
	}
	slices.SortFunc(out, slices.Compare)
	return out
}

// newContainer picks an id and writes dir/config.json for it: cfg, in a cgroup of its own below
// the bench parent.
func (b *bench) newContainer(r *runtime, kind, dir string, cfg containerConfig) (string, error) {
	b.seq++
	id := fmt.Sprintf("%s-%s-%d", r.name, kind, b.seq)
	if err := b.bundle.writeConfig(dir, b.cgroupParent+"/"+id, cfg); err != nil {
		return "", fmt.Errorf("prepare container %s: %w", id, err)
	}
	b.live[r][id] = true
	return id, nil
}

// createUntimed creates a container of cfg outside the timed part.
func (b *bench) createUntimed(r *runtime, kind string, cfg containerConfig) (string, error) {
	id, err := b.newContainer(r, kind, b.bundle.dir, cfg)
	if err != nil {
		return "", err
	}
	if _, err := r.invoke("create", "--bundle", b.bundle.dir, id); err != nil {
		b.discard(r, id)
		return "", err
	}
	return id, nil
}

// startUntimed creates and starts a container of cfg outside the timed part.
func (b *bench) startUntimed(r *runtime, kind string, cfg containerConfig) (string, error) {
	id, err := b.createUntimed(r, kind, cfg)
	if err != nil {
		return "", err
	}
	if _, err := r.invoke("start", id); err != nil {
		b.discard(r, id)
		return "", err
	}
	return id, nil
}

// runProbe is one kind of timed `run`: what the container asks for and which metrics it records.
type runProbe struct {
	// step names it in failure messages.
	step   string
	config containerConfig
	// Metric names; an empty one is not recorded.
	wall, cpu, rss string
}

func (p runProbe) metrics() []string {
	return slices.DeleteFunc([]string{p.wall, p.cpu, p.rss}, func(m string) bool { return m == "" })
}

// measureRun times `run --bundle B id`. runc's run without --detach deletes the container itself;
// that is checked after the timed part, and a container left behind is deleted there and
// reported, so that it cannot leak or skew the next sample.
func (b *bench) measureRun(r *runtime, p runProbe, record bool) error {
	id, err := b.newContainer(r, "run", b.bundle.dir, p.config)
	if err != nil {
		b.failed(r, p.step, err, record, p.metrics()...)
		return err
	}
	out, err := r.invoke("run", "--bundle", b.bundle.dir, id)
	b.reapOrphans()
	if err != nil {
		b.failed(r, p.step, err, record, p.metrics()...)
		b.discard(r, id)
		return err
	}
	b.settleRun(r, id)
	if !record {
		return nil
	}
	if p.wall != "" {
		b.res.add(p.wall, r.name, ms(out.wall))
	}
	if p.cpu != "" {
		b.res.add(p.cpu, r.name, ms(out.cpu))
	}
	if p.rss != "" {
		b.addMaxRSS(p.rss, r, out)
	}
	return nil
}

// addMaxRSS records the maxrss of out under metric and counts a sample that may be the harness's
// own resident set, for the report to call an upper bound.
func (b *bench) addMaxRSS(metric string, r *runtime, out outcome) {
	b.res.add(metric, r.name, mib(out.maxRSSKiB))
	if out.maxRSSAtFloor() {
		b.res.get(metric, r.name).atFloor++
	}
}

// settleRun deletes a container that a successful foreground `run` left behind, and says so once.
func (b *bench) settleRun(r *runtime, id string) {
	if _, err := r.output("state", id); err != nil {
		delete(b.live[r], id)
		return
	}
	b.note(r, "run-left-behind", fmt.Sprintf("%s run left container %s behind; deleting it outside the timed part", r.name, id))
	b.discard(r, id)
}

// measureLifecycle times create, start and delete of /bin/true separately and in total. The wait
// for the process to stop, polled through `state`, is not timed. A step that fails marks itself
// and the later steps as failed; the steps before it keep their samples.
func (b *bench) measureLifecycle(r *runtime, record bool) {
	afterStart := []string{mDeleteWall, mDeleteCPU, mLifecycleWall, mLifecycleCPU}
	afterCreate := append([]string{mStartWall, mStartCPU}, afterStart...)
	all := append([]string{mCreateWall, mCreateCPU, mCreateRSS}, afterCreate...)
	id, err := b.newContainer(r, "life", b.bundle.dir, trueProcess())
	if err != nil {
		b.failed(r, "create", err, record, all...)
		return
	}
	created, err := r.invoke("create", "--bundle", b.bundle.dir, id)
	if err != nil {
		b.failed(r, "create", err, record, all...)
		b.discard(r, id)
		return
	}
	if record {
		b.res.add(mCreateWall, r.name, ms(created.wall))
		b.res.add(mCreateCPU, r.name, ms(created.cpu))
		b.addMaxRSS(mCreateRSS, r, created)
	}
	started, err := r.invoke("start", id)
	if err != nil {
		b.failed(r, "start", err, record, afterCreate...)
		b.discard(r, id)
		return
	}
	if record {
		b.res.add(mStartWall, r.name, ms(started.wall))
		b.res.add(mStartCPU, r.name, ms(started.cpu))
	}
	if err := b.waitStopped(r, id); err != nil {
		b.failed(r, "wait for stopped", err, record, afterStart...)
		b.discard(r, id)
		return
	}
	deleted, err := r.invoke("delete", id)
	b.reapOrphans()
	if err != nil {
		b.failed(r, "delete", err, record, afterStart...)
		b.discard(r, id)
		return
	}
	delete(b.live[r], id)
	if record {
		b.res.add(mDeleteWall, r.name, ms(deleted.wall))
		b.res.add(mDeleteCPU, r.name, ms(deleted.cpu))
		b.res.add(mLifecycleWall, r.name, ms(created.wall+started.wall+deleted.wall))
		b.res.add(mLifecycleCPU, r.name, ms(created.cpu+started.cpu+deleted.cpu))
	}
}

// containerState is what the harness reads from `state`.
type containerState struct {
	Status string `json:"status"`
	Pid    int    `json:"pid"`
}

// state queries a container's state, untimed.
func (b *bench) state(r *runtime, id string) (containerState, error) {
	out, err := r.output("state", id)
	if err != nil {
		return containerState{}, fmt.Errorf("query state of %s: %w", id, err)
	}
	var st containerState
	if err := json.Unmarshal(out, &st); err != nil {
		return containerState{}, fmt.Errorf("parse state of %s: %w", id, err)
	}
	return st, nil
}

// waitStopped polls `state` until it reports "stopped". Orphans are reaped between polls: the
// container's process is re-parented to this harness (a child subreaper) once `create` exits, and a
// runtime may report a zombie as running.
func (b *bench) waitStopped(r *runtime, id string) error {
	deadline := time.Now().Add(stopTimeout)
	for {
		b.reapOrphans()
		st, err := b.state(r, id)
		if err != nil {
			return err
		}
		if st.Status == "stopped" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %s still %q after %v", id, st.Status, stopTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// discard force-deletes a container outside the timed part; one that refuses stays listed as
// live so that the final cleanup tries again and reports it.
func (b *bench) discard(r *runtime, id string) {
	_, err := r.output("delete", "--force", id)
	b.reapOrphans()
	if err == nil {
		delete(b.live[r], id)
		return
	}
	// A container that never came to exist is not a leak.
	if _, serr := r.output("state", id); serr != nil {
		delete(b.live[r], id)
	}
}

// reapOrphans collects exited processes re-parented to the harness.
// Preconditions: no exec.Cmd of this process is running, or its exit status could be stolen.
func (b *bench) reapOrphans() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// failed marks metrics as failed when recording and prints the first failure of each runtime and
// step with the runtime's stderr; later ones only count, so a broken runtime cannot flood the
// output.
func (b *bench) failed(r *runtime, step string, err error, record bool, metrics ...string) {
	if record {
		b.res.fail(r.name, metrics...)
	}
	key := r.name + "/" + step
	if b.shown[key] {
		return
	}
	b.shown[key] = true
	fmt.Fprintf(b.log, "%s %s failed (shown once, later failures are counted in ok/n): %v\n", r.name, step, err)
	if ie := (*invokeError)(nil); errors.As(err, &ie) && ie.stderr != "" {
		fmt.Fprint(b.log, firstLines(ie.stderr, 20))
	}
}

// note prints msg once per runtime and key.
func (b *bench) note(r *runtime, key, msg string) {
	k := r.name + "/" + key
	if !b.shown[k] {
		b.shown[k] = true
		fmt.Fprintln(b.log, msg)
	}
}

// cleanup force-deletes every container that may still exist and returns what it could not.
func (b *bench) cleanup() []error {
	var errs []error
	for _, r := range b.runtimes {
		for id := range b.live[r] {
			b.discard(r, id)
			if b.live[r][id] {
				errs = append(errs, fmt.Errorf("delete --force %s with %s: container remains", id, r.name))
			}
		}
	}
	return errs
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mib(kib int64) float64 { return float64(kib) / 1024 }

// preflight runs each runtime once, unrecorded. crun 1.8 may still refuse the host's cgroups;
// it is then retried with --cgroup-manager=disabled, which the report states, because its numbers
// then exclude cgroup setup.
func (b *bench) preflight() {
	run := runProbe{step: "preflight run", config: trueProcess()}
	for _, r := range b.runtimes {
		if b.ctx.Err() != nil {
			return
		}
		err := b.measureRun(r, run, false)
		if err == nil || r.name != "crun" {
			continue
		}
		r.extraArgs = []string{"--cgroup-manager=disabled"}
		if err := b.measureRun(r, run, false); err != nil {
			fmt.Fprintf(b.log, "crun fails with --cgroup-manager=disabled too; its measurements will show as failed\n")
			r.extraArgs = nil
			continue
		}
		note := "NOTE: crun runs with --cgroup-manager=disabled: its numbers exclude cgroup setup"
		fmt.Fprintln(b.log, note)
		b.footnotes = append(b.footnotes, note)
	}
}
