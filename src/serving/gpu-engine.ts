// The schedulers' Engine on the GPU: every prefill and decode pass is a real forward pass of
// the tensor-parallel decoder (src/exec/decoder/gpu.ts) through the paged KV cache, whose block
// tables come from the scheduler's KvPool. Prompts are seeded token ids; each pass appends the
// greedy next token of every sequence, so a preempted request re-prefills exactly the tokens
// it had. Time is the GPU's: the seconds each pass took by its timestamps.
import type { DecoderRow } from '../exec/decoder/cpu.ts';
import type { DecoderGpu } from '../exec/decoder/gpu.ts';
import { mulberry32 } from '../exec/random/rng.ts';
import type { GpuTimer } from '../gpu/timer.ts';
import type { Batch, Engine } from './engine.ts';
import type { Request } from './workload.ts';

export interface GpuPass {
  readonly kind: 'prefill' | 'decode';
  /** Sequences in the pass and tokens it ran (prefill: prompts; decode: one each). */
  readonly seqs: number;
  readonly rows: number;
  /** KV tokens the pass's attention read: each row's position + 1, summed. */
  readonly kv_tokens_read: number;
  readonly gpu_s: number;
}

export interface GpuEngine extends Engine {
  /** Every forward pass so far, in order (a prefill longer than the decoder's rows is several). */
  readonly passes: readonly GpuPass[];
  /** Request `id`'s tokens so far: its prompt, then what it generated. */
  tokens(id: number): readonly number[];
}

/** Seeded prompt token ids, the same for a request id whatever the scheduler. */
export function promptTokens(request: Request, vocab: number, seed: number): number[] {
  const next = mulberry32((seed ^ Math.imul(request.id + 1, 0x9e3779b1)) >>> 0);
  return Array.from({ length: request.prompt_tokens }, () => Math.floor(next() * vocab));
}

export function gpuEngine(
  decoder: DecoderGpu,
  timer: GpuTimer,
  requests: readonly Request[],
  seed: number,
): GpuEngine {
  const { vocab, maxPositions } = decoder.weights.config;
  const { maxSeqs, maxRows } = decoder.options;
  const byId = new Map(requests.map((r) => [r.id, r]));
  const history = new Map<number, number[]>();
  const passes: GpuPass[] = [];
  const table = new Uint32Array(maxSeqs * decoder.maxBlocks);

  const historyOf = (id: number): number[] => {
    let h = history.get(id);
    if (!h) {
      const r = byId.get(id);
      if (!r) throw new RangeError(`the engine was given no request ${id}`);
      if (r.prompt_tokens + r.output_tokens - 1 > maxPositions) {
        throw new RangeError(
          `request ${id}: ${r.prompt_tokens} + ${r.output_tokens} tokens exceed the decoder's ${maxPositions} positions`,
        );
      }
      h = promptTokens(r, vocab, seed);
      history.set(id, h);
    }
    return h;
  };

  const run = async (kind: GpuPass['kind'], batch: Batch): Promise<number> => {
    const rows: DecoderRow[] = [];
    // The row that ends each sequence: its logits give the next token.
    const lastRow = new Map<number, { id: number; row: number }>();
    for (const s of batch) {
      if (s.slot < 0 || s.slot >= maxSeqs) {
        throw new RangeError(`batch slot ${s.slot} is outside the decoder's 0..${maxSeqs - 1}`);
      }
      if (s.blocks.length > decoder.maxBlocks) {
        throw new RangeError(
          `request ${s.id} holds ${s.blocks.length} blocks, beyond ${decoder.maxBlocks}`,
        );
      }
      table.fill(0, s.slot * decoder.maxBlocks, (s.slot + 1) * decoder.maxBlocks);
      table.set(s.blocks, s.slot * decoder.maxBlocks);
      const h = historyOf(s.id);
      const end = s.context + s.tokens;
      if (h.length < end) {
        throw new RangeError(`request ${s.id} has ${h.length} tokens; the pass asks for ${end}`);
      }
      // A re-prefill after preemption recomputes the cache; what follows is regenerated.
      h.length = end;
      for (let pos = s.context; pos < end; pos++) {
        rows.push({ seq: s.slot, pos, token: h[pos] as number });
      }
      lastRow.set(s.slot, { id: s.id, row: rows.length - 1 });
    }
    let seconds = 0;
    // Passes of at most maxRows rows; a sequence's rows stay in order across passes, so a
    // later chunk attends to the keys an earlier one wrote.
    for (let from = 0; from < rows.length; from += maxRows) {
      const chunk = rows.slice(from, from + maxRows);
      const { logits, gpu_s } = await decoder.forward(chunk, table, timer);
      seconds += gpu_s;
      passes.push({
        kind,
        seqs: new Set(chunk.map((r) => r.seq)).size,
        rows: chunk.length,
        kv_tokens_read: chunk.reduce((n, r) => n + r.pos + 1, 0),
        gpu_s,
      });
      for (const { id, row } of lastRow.values()) {
        if (row < from || row >= from + chunk.length) continue;
        const base = (row - from) * vocab;
        let best = 0;
        for (let j = 1; j < vocab; j++) {
          if ((logits[base + j] as number) > (logits[base + best] as number)) best = j;
        }
        historyOf(id).push(best);
      }
    }
    return seconds;
  };

  return {
    prefill: (batch) => run('prefill', batch),
    decode: (batch) => run('decode', batch),
    passes,
    tokens: (id) => historyOf(id),
  };
}
