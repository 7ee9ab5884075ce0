// A paged KV cache's block pool for one rank, as vLLM's block manager keeps it: `blocks`
// fixed-size blocks of `blockTokens` token slots, and per sequence a block table (its blocks in
// token order). A sequence takes a new block only when its last one is full, so at most
// blockTokens - 1 slots per sequence sit empty, against a contiguous reservation's
// (max length - length). The pool holds ids, not data: the engine that owns the K and V pools
// reads the tables (and performs the block copies that copy-on-write asks for).
//
// Running out of blocks is the scheduler's business, not an error: allocate and grow return a
// failure the scheduler answers by waiting or preempting. Misuse (an unknown sequence, a
// sequence admitted twice) is a RangeError.

export interface KvPoolOptions {
  readonly blocks: number;
  /** Token slots per block (16 by default, as vLLM). */
  readonly blockTokens?: number;
}

/** A block the engine must copy before the write: copy-on-write of a shared block. */
export interface BlockCopy {
  readonly from: number;
  readonly to: number;
}

export type GrowResult =
  | {
      readonly ok: true;
      /** The block newly appended to the table (a boundary was crossed or a copy made). */
      readonly block?: number;
      readonly copy?: BlockCopy;
    }
  | { readonly ok: false; readonly needed: number; readonly free: number };

export type AllocateResult =
  | { readonly ok: true; readonly blocks: readonly number[] }
  | { readonly ok: false; readonly needed: number; readonly free: number };

export interface KvPoolStats {
  readonly blocks_total: number;
  readonly blocks_used: number;
  readonly blocks_free: number;
  /** Token slots filled in used blocks; a block shared by a fork counts once. */
  readonly tokens_stored: number;
  /** Sum of the sequences' lengths; more than tokens_stored when forks share blocks. */
  readonly tokens_logical: number;
  /** tokens_stored / (blocks_used x blockTokens); 1 when no block is used. */
  readonly utilization: number;
  /** Internal fragmentation: the empty slots of used blocks, 1 - utilization. */
  readonly fragmentation: number;
}

interface Sequence {
  readonly table: number[];
  tokens: number;
}

export class KvPool {
  readonly blocks: number;
  readonly blockTokens: number;
  /** Free block ids; popped from the end, so block 0 goes first in a fresh pool. */
  private readonly freeList: number[] = [];
  /** How many tables hold each block (0: free). */
  private readonly refs: Uint32Array;
  /** Slots written in each block. */
  private readonly filled: Uint32Array;
  private readonly seqs = new Map<number, Sequence>();

  constructor(options: KvPoolOptions) {
    const { blocks, blockTokens = 16 } = options;
    if (!Number.isInteger(blocks) || blocks < 1 || blocks > 1 << 24) {
      throw new RangeError(
        `KV pool of ${blocks} blocks: must be a whole number from 1 to 16777216`,
      );
    }
    if (!Number.isInteger(blockTokens) || blockTokens < 1 || blockTokens > 4096) {
      throw new RangeError(
        `block size ${blockTokens} tokens must be a whole number from 1 to 4096`,
      );
    }
    this.blocks = blocks;
    this.blockTokens = blockTokens;
    this.refs = new Uint32Array(blocks);
    this.filled = new Uint32Array(blocks);
    for (let b = blocks - 1; b >= 0; b--) this.freeList.push(b);
  }

  /** Blocks that hold `tokens` tokens: ceil(tokens / blockTokens). */
  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockTokens);
  }

  get freeBlocks(): number {
    return this.freeList.length;
  }

  get usedBlocks(): number {
    return this.blocks - this.freeList.length;
  }

  /** Whether a new sequence of `tokens` tokens would fit now. */
  canAllocate(tokens: number): boolean {
    this.checkTokens(tokens);
    return this.blocksFor(tokens) <= this.freeList.length;
  }

  has(seq: number): boolean {
    return this.seqs.has(seq);
  }

  /** The sequence's length in tokens. */
  tokens(seq: number): number {
    return this.get(seq).tokens;
  }

  /** The sequence's block table: its block ids in token order. */
  table(seq: number): readonly number[] {
    return this.get(seq).table;
  }

  /** The sequences held, in admission order. */
  sequences(): number[] {
    return [...this.seqs.keys()];
  }

  /** Admits sequence `seq` with `tokens` tokens (its prompt), or says how short the pool is. */
  allocate(seq: number, tokens: number): AllocateResult {
    if (this.seqs.has(seq)) throw new RangeError(`sequence ${seq} already holds KV blocks`);
    this.checkTokens(tokens);
    const needed = this.blocksFor(tokens);
    if (needed > this.freeList.length) return { ok: false, needed, free: this.freeList.length };
    const table: number[] = [];
    for (let i = 0; i < needed; i++) {
      const b = this.take();
      this.filled[b] = Math.min(this.blockTokens, tokens - i * this.blockTokens);
      table.push(b);
    }
    this.seqs.set(seq, { table, tokens });
    return { ok: true, blocks: table };
  }

  /**
   * Appends one token's slot to `seq`: a new block only at a block boundary, or a private copy
   * when the last block is shared with a fork (copy-on-write). Without a free block it changes
   * nothing and returns ok: false.
   */
  grow(seq: number): GrowResult {
    const s = this.get(seq);
    const at = s.tokens % this.blockTokens;
    const last = s.table[s.table.length - 1];
    if (at === 0 || last === undefined) {
      if (this.freeList.length === 0) return { ok: false, needed: 1, free: 0 };
      const b = this.take();
      this.filled[b] = 1;
      s.table.push(b);
      s.tokens++;
      return { ok: true, block: b };
    }
    if ((this.refs[last] as number) > 1) {
      if (this.freeList.length === 0) return { ok: false, needed: 1, free: 0 };
      const b = this.take();
      this.refs[last] = (this.refs[last] as number) - 1;
      this.filled[b] = at + 1;
      s.table[s.table.length - 1] = b;
      s.tokens++;
      return { ok: true, block: b, copy: { from: last, to: b } };
    }
    // Sole owner of a partial block: write in place. (A fork's parent that copied away left
    // this block to the other owner, whose slot count is the one that counts.)
    this.filled[last] = at + 1;
    s.tokens++;
    return { ok: true };
  }

  /**
   * A new sequence `child` sharing all of `parent`'s blocks (a shared prefix, or beam search):
   * no block is taken until one of them writes into the shared partial last block.
   */
  fork(parent: number, child: number): void {
    const p = this.get(parent);
    if (this.seqs.has(child)) throw new RangeError(`sequence ${child} already holds KV blocks`);
    for (const b of p.table) this.refs[b] = (this.refs[b] as number) + 1;
    this.seqs.set(child, { table: [...p.table], tokens: p.tokens });
  }

  /** Releases `seq`'s blocks; a block goes back to the free list when no table holds it. */
  free(seq: number): void {
    const s = this.get(seq);
    for (const b of s.table) {
      const r = (this.refs[b] as number) - 1;
      this.refs[b] = r;
      if (r === 0) {
        this.filled[b] = 0;
        this.freeList.push(b);
      }
    }
    this.seqs.delete(seq);
  }

  /** How many tables hold block `b` (0: free). */
  refCount(b: number): number {
    if (!Number.isInteger(b) || b < 0 || b >= this.blocks) {
      throw new RangeError(`block ${b} is outside the pool of ${this.blocks}`);
    }
    return this.refs[b] as number;
  }

  stats(): KvPoolStats {
    let stored = 0;
    for (let b = 0; b < this.blocks; b++)
      if ((this.refs[b] as number) > 0) stored += this.filled[b] as number;
    let logical = 0;
    for (const s of this.seqs.values()) logical += s.tokens;
    const used = this.usedBlocks;
    const utilization = used === 0 ? 1 : stored / (used * this.blockTokens);
    return {
      blocks_total: this.blocks,
      blocks_used: used,
      blocks_free: this.freeList.length,
      tokens_stored: stored,
      tokens_logical: logical,
      utilization,
      fragmentation: 1 - utilization,
    };
  }

  private take(): number {
    const b = this.freeList.pop() as number;
    this.refs[b] = 1;
    return b;
  }

  private get(seq: number): Sequence {
    const s = this.seqs.get(seq);
    if (!s) throw new RangeError(`sequence ${seq} holds no KV blocks (${this.seqs.size} do)`);
    return s;
  }

  private checkTokens(tokens: number): void {
    if (!Number.isInteger(tokens) || tokens < 1) {
      throw new RangeError(`a sequence of ${tokens} tokens: must be a whole number >= 1`);
    }
  }
}

export interface ContiguousReservation {
  /** Slots a contiguous cache reserves: maxTokens for each sequence. */
  readonly reserved_tokens: number;
  readonly tokens: number;
  /** tokens / reserved_tokens. */
  readonly utilization: number;
}

/**
 * What a contiguous cache (one max-length region per sequence, as before paging) would use for
 * sequences of these lengths: each reserves `maxTokens` slots whatever its length, since its
 * output length is not known when it is admitted.
 */
export function contiguousReservation(
  lengths: readonly number[],
  maxTokens: number,
): ContiguousReservation {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new RangeError(`max sequence length ${maxTokens} must be a whole number >= 1`);
  }
  let tokens = 0;
  for (const n of lengths) {
    if (!Number.isInteger(n) || n < 0 || n > maxTokens) {
      throw new RangeError(
        `a sequence of ${n} tokens: must be a whole number from 0 to ${maxTokens}`,
      );
    }
    tokens += n;
  }
  const reserved = lengths.length * maxTokens;
  return {
    reserved_tokens: reserved,
    tokens,
    utilization: reserved === 0 ? 1 : tokens / reserved,
  };
}
