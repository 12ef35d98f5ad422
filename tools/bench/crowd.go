package main

import (
	"fmt"
	"io"
)

// crowd measures list, state and create with size created containers in every runtime's --root
// besides the sleeper, so that the report shows whether their cost grows with the containers a
// host holds: the rows to compare with are the main loop's, taken with the sleeper alone. The
// containers are created once, untimed, and deleted at the end of the phase.
func (b *bench) crowd(size, warmup, n int, progress io.Writer) {
	steps := b.crowdSteps(size)
	crowds := make(map[*runtime][]string)
	var ready []*runtime
	for _, r := range b.runtimes {
		if b.ctx.Err() != nil {
			break
		}
		fmt.Fprintf(progress, "%s: creating %d containers with %s\n", phaseCrowd, size, r.name)
		ids, err := b.populate(r, size)
		crowds[r] = ids
		if err != nil {
			if b.ctx.Err() == nil {
				b.failed(r, "create the crowd", err, true, newCrowdMetrics(size).all()...)
			}
			continue
		}
		ready = append(ready, r)
	}
	if len(ready) > 0 {
		b.iterate(phaseCrowd, ready, steps, warmup, n, progress)
	}
	for r, ids := range crowds {
		for _, id := range ids {
			b.discard(r, id)
		}
	}
}

// crowdSteps returns the crowd phase's measurements; state and list run against the sleeper.
func (b *bench) crowdSteps(size int) []step {
	m := newCrowdMetrics(size)
	list := func(string) []string { return []string{"list"} }
	state := func(id string) []string { return []string{"state", id} }
	return []step{
		{phaseCrowd, func(r *runtime, record bool) { b.timeOnSleeper(r, record, m.listWall, m.listCPU, list) }},
		{phaseCrowd, func(r *runtime, record bool) { b.timeOnSleeper(r, record, m.stateWall, m.stateCPU, state) }},
		{phaseCrowd, func(r *runtime, record bool) { b.measureCrowdedCreate(r, m.createWall, m.createCPU, record) }},
	}
}

// crowdMetrics names the crowd phase's metrics, which carry the root's size.
type crowdMetrics struct {
	listWall, listCPU, stateWall, stateCPU, createWall, createCPU string
}

func newCrowdMetrics(size int) crowdMetrics {
	return crowdMetrics{
		listWall: crowdMetric("list wall", size), listCPU: crowdMetric("list cpu user+sys", size),
		stateWall: crowdMetric("state wall", size), stateCPU: crowdMetric("state cpu user+sys", size),
		createWall: crowdMetric("create wall", size), createCPU: crowdMetric("create cpu user+sys", size),
	}
}

func (m crowdMetrics) all() []string {
	return []string{m.listWall, m.listCPU, m.stateWall, m.stateCPU, m.createWall, m.createCPU}
}

// populate creates size containers of /bin/true, untimed, and returns their ids: all of them, or
// those it created before the first error.
func (b *bench) populate(r *runtime, size int) ([]string, error) {
	var ids []string
	for range size {
		if err := b.ctx.Err(); err != nil {
			return ids, fmt.Errorf("interrupted: %w", err)
		}
		id, err := b.createUntimed(r, "crowd", trueProcess())
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// measureCrowdedCreate times `create` of one more container into the crowded root and deletes it
// untimed.
func (b *bench) measureCrowdedCreate(r *runtime, wall, cpu string, record bool) {
	id, err := b.newContainer(r, "crowded", b.bundle.dir, trueProcess())
	if err != nil {
		b.failed(r, "create in a crowded root", err, record, wall, cpu)
		return
	}
	created, err := r.invoke("create", "--bundle", b.bundle.dir, id)
	b.discard(r, id)
	if err != nil {
		b.failed(r, "create in a crowded root", err, record, wall, cpu)
		return
	}
	if record {
		b.res.add(wall, r.name, ms(created.wall))
		b.res.add(cpu, r.name, ms(created.cpu))
	}
}
