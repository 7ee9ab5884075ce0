// What a serving run leaves behind, and what it is given: the options of a run, a record per
// completed request, one per iteration (what the page animates) and the KV cache's summary.
import type { KvPool } from './kv-pool.ts';

export type SchedulerName = 'static' | 'continuous';

export interface SimOptions {
  /** KV blocks in the pool (of one rank: every rank holds the same blocks for its heads). */
  readonly blocks: number;
  readonly blockTokens?: number;
  /** Batch slots: most sequences running at once. */
  readonly maxBatch: number;
  /**
   * The length a contiguous cache would reserve per sequence, for the paged-vs-contiguous
   * comparison; default the workload's longest prompt + output - 1, the least any contiguous
   * cache sized for this workload reserves.
   */
  readonly maxSeqTokens?: number;
  /** Called after every iteration (the page animates from it). */
  readonly onIteration?: (it: IterationRecord, pool: KvPool) => void;
}

export interface RequestRecord {
  readonly id: number;
  readonly arrival_s: number;
  readonly prompt_tokens: number;
  readonly output_tokens: number;
  readonly first_token_s: number;
  readonly finish_s: number;
  readonly preemptions: number;
}

export interface IterationRecord {
  readonly start_s: number;
  readonly prefill_s: number;
  readonly decode_s: number;
  /** Ids admitted (prefilled), decoded, preempted and finished in this iteration. */
  readonly admitted: readonly number[];
  readonly decoded: readonly number[];
  readonly preempted: readonly number[];
  readonly finished: readonly number[];
  readonly waiting: number;
  /** The pool as the passes saw it (after admission and growth). */
  readonly blocks_used: number;
  readonly tokens_stored: number;
  /** tokens_stored / (blocks_used x block tokens). */
  readonly utilization: number;
  /** The same tokens in contiguous max-length regions: tokens / (running x maxSeqTokens). */
  readonly contiguous_utilization: number;
}

export interface KvSummary {
  readonly blocks_total: number;
  readonly block_tokens: number;
  readonly peak_blocks_used: number;
  /** Paged utilization, averaged over time (each iteration weighted by its duration). */
  readonly utilization: number;
  /** A contiguous max-length reservation's utilization, averaged the same way. */
  readonly contiguous_utilization: number;
  readonly max_seq_tokens: number;
}

export interface SimResult {
  readonly scheduler: SchedulerName;
  readonly requests: readonly RequestRecord[];
  readonly iterations: readonly IterationRecord[];
  readonly kv: KvSummary;
  readonly preemptions: number;
}
