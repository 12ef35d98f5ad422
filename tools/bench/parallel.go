package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// parallelSteps returns one measurement per lane count: lanes goroutines `run` /bin/true back to
// back until total containers have run, and the batch is timed as a whole. It shows what a
// runtime's locks and its cpu cost do to throughput when an engine starts containers
// concurrently, which the one-at-a-time phases cannot.
func (b *bench) parallelSteps(laneCounts []int, total int) []step {
	var steps []step
	for _, lanes := range laneCounts {
		steps = append(steps, step{phaseParallel, func(r *runtime, record bool) {
			b.measureParallel(r, lanes, total, record)
		}})
	}
	return steps
}

// job is one container of a parallel batch, with a bundle directory of its own: concurrent
// containers cannot share one config.json, since each names its own cgroup.
type job struct {
	id, dir string
}

// measureParallel times one batch of total runs on lanes lanes. Everything but the runs (the
// config files, the stderr files, the check that `run` removed its containers) happens outside
// the timed part. A batch with a failed run records no sample: its rate would be meaningless.
func (b *bench) measureParallel(r *runtime, lanes, total int, record bool) {
	rate, cpu := parallelRateMetric(lanes), parallelCPUMetric(lanes)
	jobs, err := b.prepareJobs(r, total)
	if err != nil {
		b.failed(r, "prepare parallel run", err, record, rate, cpu)
		b.discardJobs(r, jobs)
		return
	}
	logs, err := laneLogs(b.scratch, r.name, lanes)
	defer closeLogs(logs)
	if err != nil {
		b.failed(r, "prepare parallel run", err, record, rate, cpu)
		b.discardJobs(r, jobs)
		return
	}
	start := time.Now()
	used, err := runLanes(b.ctx, r, jobs, logs)
	wall := time.Since(start)
	// Only now, with no exec.Cmd left running, may orphans be reaped.
	b.reapOrphans()
	if err != nil {
		if b.ctx.Err() == nil {
			b.failed(r, fmt.Sprintf("parallel run, %d lanes", lanes), err, record, rate, cpu)
		}
		b.discardJobs(r, jobs)
		return
	}
	for _, j := range jobs {
		b.settleRun(r, j.id)
	}
	if record {
		b.res.add(rate, r.name, float64(total)/wall.Seconds())
		b.res.add(cpu, r.name, ms(used)/float64(total))
	}
}

// prepareJobs writes the config of total containers, each into its own directory. It returns
// the jobs prepared so far also on error, so that the caller can forget them.
func (b *bench) prepareJobs(r *runtime, total int) ([]job, error) {
	var jobs []job
	for i := range total {
		dir := filepath.Join(b.scratch, "parallel", strconv.Itoa(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return jobs, fmt.Errorf("create bundle directory %s: %w", dir, err)
		}
		id, err := b.newContainer(r, "par", dir, trueProcess())
		if err != nil {
			return jobs, err
		}
		jobs = append(jobs, job{id: id, dir: dir})
	}
	return jobs, nil
}

// discardJobs force-deletes whatever a failed or interrupted batch left behind.
func (b *bench) discardJobs(r *runtime, jobs []job) {
	for _, j := range jobs {
		b.discard(r, j.id)
	}
}

// laneLogs creates one stderr file per lane in dir: invokeLogged truncates the file it writes to.
// It returns the files created so far also on error, so that the caller can close them.
func laneLogs(dir, runtimeName string, lanes int) ([]*os.File, error) {
	var logs []*os.File
	for range lanes {
		f, err := os.CreateTemp(dir, runtimeName+"-lane-*.stderr")
		if err != nil {
			return logs, fmt.Errorf("create lane stderr file in %s: %w", dir, err)
		}
		logs = append(logs, f)
	}
	return logs, nil
}

func closeLogs(logs []*os.File) {
	for _, f := range logs {
		f.Close()
		os.Remove(f.Name())
	}
}

// runLanes runs the jobs on len(logs) concurrent lanes, lane i taking jobs i, i+lanes, ... in
// turn. A lane stops at its first error or when ctx is cancelled. It returns the cpu of all runs
// together and the first error.
func runLanes(ctx context.Context, r *runtime, jobs []job, logs []*os.File) (time.Duration, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		used     time.Duration
		firstErr error
	)
	report := func(cpu time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		used += cpu
		if firstErr == nil {
			firstErr = err
		}
	}
	for lane, log := range logs {
		wg.Go(func() {
			for i := lane; i < len(jobs); i += len(logs) {
				if err := ctx.Err(); err != nil {
					report(0, err)
					return
				}
				out, err := r.invokeLogged(log, "run", "--bundle", jobs[i].dir, jobs[i].id)
				report(out.cpu, err)
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return used, firstErr
}
