// The state both schedulers share: virtual time, the waiting queue, the running sequences with
// their batch slots and KV blocks, and the bookkeeping that fills the records (records.ts: per
// request, per iteration, the KV cache over time). The policies (scheduler.ts) decide only who
// runs next.
import type { Batch, BatchSeq, Engine } from './engine.ts';
import { KvPool } from './kv-pool.ts';
import type {
  IterationRecord,
  RequestRecord,
  SchedulerName,
  SimOptions,
  SimResult,
} from './records.ts';
import type { Request } from './workload.ts';

/** A request while the simulation holds it. */
export interface Live {
  readonly req: Request;
  /** Output tokens produced so far. */
  generated: number;
  first_token_s: number;
  preemptions: number;
  slot: number;
}

/** Blocks a request holds at its longest: prompt + output - 1 tokens (the last token's KV is
 * never written). A recompute prefill of prompt + generated tokens is never longer. */
export function finalTokens(r: Request): number {
  return r.prompt_tokens + r.output_tokens - 1;
}

function checkRequest(r: Request): void {
  if (!(Number.isFinite(r.arrival_s) && r.arrival_s >= 0)) {
    throw new RangeError(`request ${r.id} arrives at ${r.arrival_s} s: must be a time >= 0`);
  }
  for (const [what, n] of [
    ['prompt', r.prompt_tokens],
    ['output', r.output_tokens],
  ] as const) {
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`request ${r.id}: ${what} of ${n} tokens must be a whole number >= 1`);
    }
  }
}

export class Simulation {
  t = 0;
  readonly pool: KvPool;
  readonly waiting: Live[] = [];
  readonly running: Live[] = [];
  readonly records: RequestRecord[] = [];
  readonly iterations: IterationRecord[] = [];
  readonly maxSeqTokens: number;
  private readonly arrivals: Request[];
  private next = 0;
  private readonly slots: number[] = [];
  private peak = 0;

  constructor(
    requests: readonly Request[],
    readonly options: SimOptions,
    readonly engine: Engine,
  ) {
    const { maxBatch } = options;
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 65536) {
      throw new RangeError(`batch of ${maxBatch} slots: must be a whole number from 1 to 65536`);
    }
    this.pool = new KvPool({ blocks: options.blocks, blockTokens: options.blockTokens ?? 16 });
    this.arrivals = [...requests].sort((a, b) => a.arrival_s - b.arrival_s || a.id - b.id);
    const ids = new Set<number>();
    let longest = 1;
    for (const r of this.arrivals) {
      if (ids.has(r.id)) throw new RangeError(`request id ${r.id} appears twice`);
      ids.add(r.id);
      checkRequest(r);
      const need = this.pool.blocksFor(finalTokens(r));
      // Every request must fit the pool alone, or preemption could never make room for it.
      if (need > this.pool.blocks) {
        throw new RangeError(
          `request ${r.id} needs ${need} KV blocks (${finalTokens(r)} tokens) at its longest: the pool has ${this.pool.blocks}`,
        );
      }
      longest = Math.max(longest, finalTokens(r));
    }
    this.maxSeqTokens = options.maxSeqTokens ?? longest;
    if (!Number.isInteger(this.maxSeqTokens) || this.maxSeqTokens < longest) {
      throw new RangeError(
        `contiguous reservation of ${this.maxSeqTokens} tokens: must be a whole number >= the longest request, ${longest}`,
      );
    }
    for (let s = maxBatch - 1; s >= 0; s--) this.slots.push(s);
  }

  get done(): boolean {
    return (
      this.next === this.arrivals.length && this.waiting.length === 0 && this.running.length === 0
    );
  }

  /** Moves requests that have arrived by now into the waiting queue. */
  arrive(): void {
    while (this.next < this.arrivals.length) {
      const r = this.arrivals[this.next] as Request;
      if (r.arrival_s > this.t) break;
      this.waiting.push({
        req: r,
        generated: 0,
        first_token_s: Number.NaN,
        preemptions: 0,
        slot: -1,
      });
      this.next++;
    }
  }

  /** With nothing to run, jumps virtual time to the next arrival. */
  idle(): void {
    const r = this.arrivals[this.next];
    if (r !== undefined) this.t = Math.max(this.t, r.arrival_s);
  }

  /** Takes the head of the queue into the batch if its prefill fits the pool now. */
  admitHead(): Live | undefined {
    const s = this.waiting[0];
    if (s === undefined || this.slots.length === 0) return undefined;
    if (!this.pool.allocate(s.req.id, s.req.prompt_tokens + s.generated).ok) return undefined;
    this.waiting.shift();
    s.slot = this.slots.pop() as number;
    this.running.push(s);
    return s;
  }

  /** Preemption by recompute: the blocks go, the request waits at the head of the queue. */
  preempt(s: Live): void {
    this.release(s);
    s.preemptions++;
    this.waiting.unshift(s);
  }

  /** The prefill pass over newly admitted sequences: each ends with one more output token. */
  async prefill(seqs: readonly Live[]): Promise<number> {
    if (seqs.length === 0) return 0;
    const batch: Batch = seqs.map((s) => this.entry(s, 0, s.req.prompt_tokens + s.generated));
    const dt = await this.engine.prefill(batch);
    this.t += dt;
    return dt;
  }

  /** One decode step over sequences whose KV has already grown by the token it writes. */
  async decode(seqs: readonly Live[]): Promise<number> {
    if (seqs.length === 0) return 0;
    const batch: Batch = seqs.map((s) => {
      const context = this.pool.tokens(s.req.id) - 1;
      return this.entry(s, context, 1);
    });
    const dt = await this.engine.decode(batch);
    this.t += dt;
    return dt;
  }

  /** Counts one output token for each of `seqs` at the current time; returns those finished. */
  produce(seqs: readonly Live[]): number[] {
    const finished: number[] = [];
    for (const s of seqs) {
      s.generated++;
      if (s.generated === 1) s.first_token_s = this.t;
      if (s.generated < s.req.output_tokens) continue;
      this.release(s);
      this.records.push({
        id: s.req.id,
        arrival_s: s.req.arrival_s,
        prompt_tokens: s.req.prompt_tokens,
        output_tokens: s.req.output_tokens,
        first_token_s: s.first_token_s,
        finish_s: this.t,
        preemptions: s.preemptions,
      });
      finished.push(s.req.id);
    }
    return finished;
  }

  /** The pool as the passes of this iteration see it (sampled before they run). */
  sample(): Pick<
    IterationRecord,
    'blocks_used' | 'tokens_stored' | 'utilization' | 'contiguous_utilization'
  > {
    const st = this.pool.stats();
    this.peak = Math.max(this.peak, st.blocks_used);
    const reserved = this.running.length * this.maxSeqTokens;
    return {
      blocks_used: st.blocks_used,
      tokens_stored: st.tokens_stored,
      utilization: st.utilization,
      contiguous_utilization: reserved === 0 ? 1 : st.tokens_logical / reserved,
    };
  }

  record(it: IterationRecord): void {
    this.iterations.push(it);
    this.options.onIteration?.(it, this.pool);
  }

  result(scheduler: SchedulerName): SimResult {
    let weight = 0;
    let paged = 0;
    let contiguous = 0;
    for (const it of this.iterations) {
      const dt = it.prefill_s + it.decode_s;
      weight += dt;
      paged += dt * it.utilization;
      contiguous += dt * it.contiguous_utilization;
    }
    const records = [...this.records].sort((a, b) => a.id - b.id);
    return {
      scheduler,
      requests: records,
      iterations: this.iterations,
      kv: {
        blocks_total: this.pool.blocks,
        block_tokens: this.pool.blockTokens,
        peak_blocks_used: this.peak,
        utilization: weight > 0 ? paged / weight : 1,
        contiguous_utilization: weight > 0 ? contiguous / weight : 1,
        max_seq_tokens: this.maxSeqTokens,
      },
      preemptions: records.reduce((n, r) => n + r.preemptions, 0),
    };
  }

  private entry(s: Live, context: number, tokens: number): BatchSeq {
    return { id: s.req.id, slot: s.slot, context, tokens, blocks: [...this.pool.table(s.req.id)] };
  }

  private release(s: Live): void {
    this.pool.free(s.req.id);
    this.slots.push(s.slot);
    s.slot = -1;
    const i = this.running.indexOf(s);
    if (i >= 0) this.running.splice(i, 1);
  }
}
