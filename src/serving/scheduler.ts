// Two batching policies over the same engine, pool and workload, in virtual time.
//
// Static: a batch of up to maxBatch waiting requests is admitted together, prefilled in one
// pass, and decoded until its longest request finishes; nothing joins mid-batch, and a member
// that finishes early leaves its slot idle (its blocks are freed, but no one may take them). A
// batch takes only as many requests (first come, first served) as fit the pool at their final
// length, prompt + output - 1 tokens. That knows each output length in advance, which a real
// static server cannot (it reserves a maximum length), so it is the most generous static
// batching can be: the measured gain of continuous batching is, if anything, understated; and
// a static batch never preempts.
//
// Continuous (Orca's iteration-level scheduling, vLLM's policy): every iteration first gives
// each running sequence its next token's slot, oldest first; when the pool has no block left,
// the most recently admitted running sequence is preempted by recompute (blocks freed, back to
// the head of the queue, its prompt and output so far prefilled again when readmitted) until
// the growth fits. Then, if nothing was preempted this iteration (as vLLM, so a freed block is
// not handed straight to a newcomer and thrashing stays bounded), waiting requests are admitted
// first come, first served while a batch slot is free and their prefill fits the pool. The
// iteration runs the admitted prompts' prefill pass, then one decode step for the others.
// Every request fits the pool alone (checked before the run), so the oldest sequence can always
// grow and every request completes.
import type { Engine } from './engine.ts';
import type { SchedulerName, SimOptions, SimResult } from './records.ts';
import { finalTokens, type Live, Simulation } from './simulation.ts';
import type { Request } from './workload.ts';

const ids = (seqs: readonly Live[]) => seqs.map((s) => s.req.id);

export async function runStatic(
  requests: readonly Request[],
  options: SimOptions,
  engine: Engine,
): Promise<SimResult> {
  const sim = new Simulation(requests, options, engine);
  const { pool } = sim;
  while (!sim.done) {
    sim.arrive();
    if (sim.waiting.length === 0) {
      sim.idle();
      continue;
    }
    let budget = pool.blocks;
    const batch: Live[] = [];
    for (let head = sim.waiting[0]; head !== undefined; head = sim.waiting[0]) {
      const need = pool.blocksFor(finalTokens(head.req));
      if (batch.length === options.maxBatch || need > budget) break;
      const s = sim.admitHead();
      if (s === undefined) break;
      budget -= need;
      batch.push(s);
    }
    const start_s = sim.t;
    const kv = sim.sample();
    const prefill_s = await sim.prefill(batch);
    const finished = sim.produce(batch);
    sim.arrive();
    sim.record({
      start_s,
      prefill_s,
      decode_s: 0,
      admitted: ids(batch),
      decoded: [],
      preempted: [],
      finished,
      waiting: sim.waiting.length,
      ...kv,
    });
    while (sim.running.length > 0) {
      const decoding = [...sim.running];
      for (const s of decoding) {
        if (!pool.grow(s.req.id).ok) {
          throw new Error(`static batch: request ${s.req.id} outgrew its reservation`);
        }
      }
      const start_s = sim.t;
      const kv = sim.sample();
      const decode_s = await sim.decode(decoding);
      const finished = sim.produce(decoding);
      sim.arrive();
      sim.record({
        start_s,
        prefill_s: 0,
        decode_s,
        admitted: [],
        decoded: ids(decoding),
        preempted: [],
        finished,
        waiting: sim.waiting.length,
        ...kv,
      });
    }
  }
  return sim.result('static');
}

export async function runContinuous(
  requests: readonly Request[],
  options: SimOptions,
  engine: Engine,
): Promise<SimResult> {
  const sim = new Simulation(requests, options, engine);
  const { pool, running } = sim;
  while (!sim.done) {
    sim.arrive();
    if (running.length === 0 && sim.waiting.length === 0) {
      sim.idle();
      continue;
    }
    const start_s = sim.t;
    const preempted: number[] = [];
    const decoding: Live[] = [];
    for (let i = 0; i < running.length; i++) {
      const s = running[i] as Live;
      for (;;) {
        if (pool.grow(s.req.id).ok) {
          decoding.push(s);
          break;
        }
        // Preempting removes the victim from `running`: always its last entry, so the indices
        // before i stay put; when the victim is s itself the loop ends there.
        const victim = running[running.length - 1] as Live;
        sim.preempt(victim);
        preempted.push(victim.req.id);
        if (victim === s) break;
      }
    }
    const admitted: Live[] = [];
    if (preempted.length === 0) {
      for (let s = sim.admitHead(); s !== undefined; s = sim.admitHead()) admitted.push(s);
    }
    if (decoding.length === 0 && admitted.length === 0 && preempted.length === 0) {
      throw new Error(`continuous batching made no progress at ${sim.t} s`);
    }
    const kv = sim.sample();
    const waiting = sim.waiting.length;
    const prefill_s = await sim.prefill(admitted);
    const finished = sim.produce(admitted);
    const decode_s = await sim.decode(decoding);
    finished.push(...sim.produce(decoding));
    sim.record({
      start_s,
      prefill_s,
      decode_s,
      admitted: ids(admitted),
      decoded: ids(decoding),
      preempted,
      finished,
      waiting,
      ...kv,
    });
  }
  return sim.result('continuous');
}

export function simulate(
  scheduler: SchedulerName,
  requests: readonly Request[],
  options: SimOptions,
  engine: Engine,
): Promise<SimResult> {
  return scheduler === 'static'
    ? runStatic(requests, options, engine)
    : runContinuous(requests, options, engine);
}
