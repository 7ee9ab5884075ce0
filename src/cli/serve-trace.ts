// `fleetlab serve --trace FILE`: a serving run as a Chrome trace, on the run's own clock: the
// scheduler's virtual time, which advances by each forward pass's GPU seconds (measured by its
// timestamps) and jumps to the next arrival when nothing runs. Only the measured face: serve
// prices nothing on a fabric, so there are no emulated ranks to draw.
//
//   process "serving": a thread of scheduler iterations (a slice each: who was admitted,
//   decoded, preempted, finished; the batch, the KV blocks), a thread of GPU passes (a slice
//   each: prefill or decode, sequences, rows, KV tokens read) and counters of KV blocks used,
//   requests waiting and the batch. All tensor-parallel ranks run in each pass on this one GPU,
//   and the pass is timed whole, so the process is the GPU, not a rank.
//   process "requests": a thread per request, from arrival to its first token, then to its end.
//
// Passes carry no start time; they are placed from their iteration's start in the order they
// ran (an iteration runs its prefill passes, then its decode passes; see scheduler.ts).
import {
  type ChromeTrace,
  type MeasuredCounter,
  type MeasuredSlice,
  withMeasured,
} from '../model/chrome-trace.ts';
import type { GpuPass } from '../serving/gpu-engine.ts';
import type { IterationRecord, SchedulerName } from '../serving/records.ts';
import type { ServeRun } from '../serving/serve-run.ts';

export interface ServeTraceAbout {
  readonly scheduler: SchedulerName;
  readonly ranks: number;
  /** Rows a forward pass takes at most (the decoder's maxRows): how a decode step splits. */
  readonly maxRows: number;
}

/** A slice where its time is known; none where a dropped timestamp left it NaN. */
function sliceIf(s: MeasuredSlice): MeasuredSlice[] {
  return Number.isFinite(s.start_s) && Number.isFinite(s.seconds) && s.seconds >= 0 ? [s] : [];
}

/**
 * Each iteration's passes: its prefill passes are those whose GPU seconds, summed in order from
 * 0 as the engine sums them, make its prefill_s (a long prefill is several passes of maxRows
 * rows); its decode step is ceil(decoded / maxRows) passes (one row a sequence).
 */
export function passesByIteration(
  iterations: readonly IterationRecord[],
  passes: readonly GpuPass[],
  maxRows: number,
): { readonly prefill: GpuPass[]; readonly decode: GpuPass[] }[] {
  let next = 0;
  const out = iterations.map((it) => {
    const prefill: GpuPass[] = [];
    if (it.admitted.length > 0) {
      let sum = 0;
      do {
        const p = passes[next];
        if (p === undefined || p.kind !== 'prefill') break;
        prefill.push(p);
        sum += p.gpu_s;
        next++;
      } while (sum !== it.prefill_s);
    }
    const decode: GpuPass[] = [];
    for (let k = Math.ceil(it.decoded.length / maxRows); k > 0; k--) {
      const p = passes[next];
      if (p === undefined || p.kind !== 'decode') break;
      decode.push(p);
      next++;
    }
    return { prefill, decode };
  });
  if (next !== passes.length) {
    throw new Error(`serve trace: ${passes.length - next} GPU passes matched no iteration`);
  }
  return out;
}

export function serveTrace(run: ServeRun, about: ServeTraceAbout): ChromeTrace {
  const { iterations, requests } = run.run;
  const grouped = passesByIteration(iterations, run.passes, about.maxRows);
  const steps: MeasuredSlice[] = [];
  const passSlices: MeasuredSlice[] = [];
  const blocks: [number, number][] = [];
  const waiting: [number, number][] = [];
  const batch: [number, number][] = [];
  iterations.forEach((it, i) => {
    const running = it.admitted.length + it.decoded.length;
    steps.push(
      ...sliceIf({
        name: `iteration ${i}: ${it.admitted.length} admitted, ${it.decoded.length} decoded`,
        start_s: it.start_s,
        seconds: it.prefill_s + it.decode_s,
        cat: 'iteration',
        args: {
          iteration: i,
          batch: running,
          admitted: it.admitted,
          decoded: it.decoded,
          preempted: it.preempted,
          finished: it.finished,
          waiting: it.waiting,
          prefill_s: it.prefill_s,
          decode_s: it.decode_s,
          kv_blocks_used: it.blocks_used,
          kv_tokens_stored: it.tokens_stored,
          kv_utilization: it.utilization,
          kv_utilization_contiguous: it.contiguous_utilization,
        },
      }),
    );
    blocks.push([it.start_s, it.blocks_used]);
    waiting.push([it.start_s, it.waiting]);
    batch.push([it.start_s, running]);
    let t = it.start_s;
    const group = grouped[i] as { prefill: GpuPass[]; decode: GpuPass[] };
    for (const p of [...group.prefill, ...group.decode]) {
      passSlices.push(
        ...sliceIf({
          name: `${p.kind}: ${p.seqs} seq${p.seqs === 1 ? '' : 's'}, ${p.rows} row${p.rows === 1 ? '' : 's'}`,
          start_s: t,
          seconds: p.gpu_s,
          cat: p.kind,
          args: { iteration: i, ...p },
        }),
      );
      t += p.gpu_s;
    }
  });
  const counters: MeasuredCounter[] = [
    { name: 'KV blocks used', unit: 'blocks', points: blocks },
    { name: 'requests waiting', unit: 'requests', points: waiting },
    { name: 'batch', unit: 'sequences', points: batch },
  ];
  const byId = [...requests].sort((a, b) => a.id - b.id);
  return withMeasured(
    undefined,
    [
      {
        name: `serving (measured): ${about.ranks} tensor-parallel rank${about.ranks === 1 ? '' : 's'} on this one GPU, each pass timed whole (not per rank)`,
        threads: [
          { name: 'scheduler iterations', slices: steps },
          { name: 'GPU passes', slices: passSlices },
        ],
        counters,
      },
      {
        name: 'requests: arrival to first token, then to the last',
        threads: byId.map((r) => ({
          name: `request ${r.id}`,
          slices: [
            ...sliceIf({
              name: 'to first token',
              start_s: r.arrival_s,
              seconds: r.first_token_s - r.arrival_s,
              cat: 'request',
              args: { id: r.id, prompt_tokens: r.prompt_tokens, preemptions: r.preemptions },
            }),
            ...(r.output_tokens > 1
              ? sliceIf({
                  name: 'decoding',
                  start_s: r.first_token_s,
                  seconds: r.finish_s - r.first_token_s,
                  cat: 'request',
                  args: { id: r.id, output_tokens: r.output_tokens, preemptions: r.preemptions },
                })
              : []),
          ],
        })),
      },
    ],
    {
      command: 'serve',
      scheduler: about.scheduler,
      ranks: about.ranks,
      clock: "virtual: each pass's GPU seconds (timestamps), idle time skipped to the next arrival",
      total_s: iterations.reduce(
        (end, it) => Math.max(end, it.start_s + it.prefill_s + it.decode_s),
        0,
      ),
    },
  );
}
