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

// stopTimeout bounds the wait for a started /bin/true to be reported stopped.
const stopTimeout = 10 * time.Second

// bench runs the measurements. It runs one runtime command at a time from one goroutine; the
// orphan reaping in reapOrphans depends on that.
type bench struct {
	ctx      context.Context
	bundle   *bundle
	runtimes []*runtime
	res      *results
	// cgroupParent is the bench-owned parent, e.g. /runo-bench-1234.
	cgroupParent string
	log          io.Writer
	seq          int
	// live holds the containers that may exist, per runtime, for the cleanup at exit.
	live map[*runtime]map[string]bool
	// shown records the runtime/step pairs whose failure was already printed with its stderr.
	shown map[string]bool
	// footnotes qualify the report, e.g. a runtime measured without cgroups.
	footnotes []string
}

func newBench(ctx context.Context, b *bundle, runtimes []*runtime, cgroupParent string, log io.Writer) *bench {
	live := make(map[*runtime]map[string]bool)
	for _, r := range runtimes {
		live[r] = make(map[string]bool)
	}
	return &bench{
		ctx: ctx, bundle: b, runtimes: runtimes, res: newResults(),
		cgroupParent: cgroupParent, log: log, live: live, shown: make(map[string]bool),
	}
}

// loop runs warmup unrecorded and n recorded iterations. Each iteration runs every runtime once
// per measurement, interleaved, so that drift (page cache, CPU frequency, other load on the host)
// hits all runtimes alike. The order cycles through every permutation: a plain rotation keeps the
// cyclic order, so each runtime would always follow the same one and inherit its after-effects
// (v1 cgroup teardown still in progress, say); that showed up as runc measuring 20% faster than
// itself. It returns early, without error, when the context is cancelled.
func (b *bench) loop(warmup, n int, progress io.Writer) {
	perms := permutations(len(b.runtimes))
	for i := -warmup; i < n; i++ {
		record := i >= 0
		if record {
			fmt.Fprintf(progress, "iteration %d/%d\n", i+1, n)
		} else {
			fmt.Fprintf(progress, "warm-up %d/%d\n", i+warmup+1, warmup)
		}
		var order []*runtime
		for _, j := range perms[(i+warmup)%len(perms)] {
			order = append(order, b.runtimes[j])
		}
		for _, r := range order {
			if b.ctx.Err() != nil {
				return
			}
			_ = b.measureRun(r, record)
		}
		for _, r := range order {
			if b.ctx.Err() != nil {
				return
			}
			b.measureLifecycle(r, record)
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

// newContainer picks an id and points config.json at a cgroup of its own below the bench parent.
func (b *bench) newContainer(r *runtime, kind string) (string, error) {
	b.seq++
	id := fmt.Sprintf("%s-%s-%d", r.name, kind, b.seq)
	if err := b.bundle.setCgroupsPath(b.cgroupParent + "/" + id); err != nil {
		return "", fmt.Errorf("prepare container %s: %w", id, err)
	}
	b.live[r][id] = true
	return id, nil
}

// measureRun times `run --bundle B id` of /bin/true. runc's run without --detach deletes the
// container itself; that is checked after the timed part, and a container left behind is
// deleted there and reported, so that it cannot leak or skew the next sample.
func (b *bench) measureRun(r *runtime, record bool) error {
	metrics := []string{mRunWall, mRunCPU, mRunRSS}
	id, err := b.newContainer(r, "run")
	if err != nil {
		b.failed(r, "run", err, record, metrics...)
		return err
	}
	out, err := r.invoke("run", "--bundle", b.bundle.dir, id)
	b.reapOrphans()
	if err != nil {
		b.failed(r, "run", err, record, metrics...)
		b.discard(r, id)
		return err
	}
	if _, err := r.output("state", id); err == nil {
		b.note(r, "run-left-behind", fmt.Sprintf("%s run left container %s behind; deleting it outside the timed part", r.name, id))
		b.discard(r, id)
	} else {
		delete(b.live[r], id)
	}
	if record {
		b.res.add(mRunWall, r.name, ms(out.wall))
		b.res.add(mRunCPU, r.name, ms(out.cpu))
		b.res.add(mRunRSS, r.name, mib(out.maxRSSKiB))
	}
	return nil
}

// measureLifecycle times create, start and delete of /bin/true separately and in total. The wait
// for the process to stop, polled through `state`, is not timed. A step that fails marks itself
// and the later steps as failed; the steps before it keep their samples.
func (b *bench) measureLifecycle(r *runtime, record bool) {
	afterStart := []string{mDeleteWall, mDeleteCPU, mLifecycleWall, mLifecycleCPU}
	afterCreate := append([]string{mStartWall, mStartCPU}, afterStart...)
	all := append([]string{mCreateWall, mCreateCPU, mCreateRSS}, afterCreate...)
	id, err := b.newContainer(r, "life")
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
		b.res.add(mCreateRSS, r.name, mib(created.maxRSSKiB))
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

// waitStopped polls `state` until it reports "stopped". Orphans are reaped between polls: the
// container's process is re-parented to this harness (a child subreaper) once `create` exits, and a
// runtime may report a zombie as running.
func (b *bench) waitStopped(r *runtime, id string) error {
	deadline := time.Now().Add(stopTimeout)
	for {
		b.reapOrphans()
		out, err := r.output("state", id)
		if err != nil {
			return fmt.Errorf("query state of %s: %w", id, err)
		}
		var st struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(out, &st); err != nil {
			return fmt.Errorf("parse state of %s: %w", id, err)
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
	for _, r := range b.runtimes {
		if b.ctx.Err() != nil {
			return
		}
		err := b.measureRun(r, false)
		if err == nil || r.name != "crun" {
			continue
		}
		r.extraArgs = []string{"--cgroup-manager=disabled"}
		if err := b.measureRun(r, false); err != nil {
			fmt.Fprintf(b.log, "crun fails with --cgroup-manager=disabled too; its measurements will show as failed\n")
			r.extraArgs = nil
			continue
		}
		note := "NOTE: crun runs with --cgroup-manager=disabled: its numbers exclude cgroup setup"
		fmt.Fprintln(b.log, note)
		b.footnotes = append(b.footnotes, note)
	}
}
