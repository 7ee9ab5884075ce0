// `fleetlab serve` options, all checked before the GPU starts: the workload is generated and
// every request is checked against the pool and the decoder's positions here.
import { checkDecoder, DEFAULT_DECODER, type DecoderConfig } from '../exec/decoder/model.ts';
import type { SchedulerName } from '../serving/records.ts';
import { generateWorkload, type Request, type WorkloadOptions } from '../serving/workload.ts';
import { UsageError } from './args.ts';
import { traceFileOf } from './run-flags.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';

const TOKENS = { kind: 'number', min: 1, max: 4096 } as const;

export const SERVE_SCHEMA = {
  name: 'serve',
  about:
    'A seeded workload served by a small decoder on this GPU (tensor-parallel ranks, paged KV ' +
    'cache), batched statically or continuously; prints TTFT, TPOT, tokens/s, KV utilization, ' +
    "preemptions, and the textbook's decode-step model calibrated on this GPU beside the " +
    'measured passes. Prompt and output lengths are capped at 4 times their means.',
  flags: {
    scheduler: {
      kind: 'choice',
      choices: ['static', 'continuous'],
      default: 'continuous',
      help: 'how requests are batched',
      meta: 'S',
    },
    ranks: {
      kind: 'count',
      min: 1,
      max: 64,
      default: '1',
      help: 'tensor-parallel ranks (1 or 2 with the default 2 KV heads)',
    },
    requests: { kind: 'count', min: 1, max: 100_000, default: '32', help: 'requests' },
    rate: {
      kind: 'number',
      min: 0,
      max: 1e9,
      inf: true,
      default: '20',
      help: "Poisson arrivals, requests per second; 0 or 'inf': all at once (as the page's 0)",
      meta: 'L',
    },
    cv: {
      kind: 'number',
      min: 0,
      max: 10,
      default: '1',
      help: 'coefficient of variation of output lengths',
      meta: 'C',
    },
    'prompt-mean': { ...TOKENS, default: '32', help: 'mean prompt tokens (CV 0.5)', meta: 'P' },
    'output-mean': { ...TOKENS, default: '32', help: 'mean output tokens', meta: 'O' },
    'max-batch': { kind: 'count', min: 1, max: 256, default: '8', help: 'batch slots', meta: 'B' },
    blocks: {
      kind: 'count',
      min: 1,
      max: 1 << 20,
      default: '64',
      help: "KV blocks in each rank's pool",
      meta: 'K',
    },
    'block-tokens': {
      kind: 'count',
      min: 1,
      max: 4096,
      default: '16',
      help: 'tokens per KV block',
      meta: 'T',
    },
    layers: {
      kind: 'count',
      min: 1,
      max: 64,
      default: String(DEFAULT_DECODER.layers),
      help: 'decoder layers',
      meta: 'L',
    },
    'd-model': {
      kind: 'count',
      min: 1,
      max: 4096,
      default: String(DEFAULT_DECODER.dModel),
      help: 'model width (head dim = D / heads)',
      meta: 'D',
    },
    heads: {
      kind: 'count',
      min: 1,
      max: 256,
      default: String(DEFAULT_DECODER.qHeads),
      help: 'query heads',
      meta: 'H',
    },
    'kv-heads': {
      kind: 'count',
      min: 1,
      max: 256,
      default: String(DEFAULT_DECODER.kvHeads),
      help: 'KV heads',
      meta: 'G',
    },
    'slo-ttft': {
      kind: 'time',
      min: 1e-9,
      max: 1e6,
      default: '1s',
      help: 'time-to-first-token SLO for goodput',
      meta: 'T',
    },
    'slo-tpot': {
      kind: 'time',
      min: 1e-9,
      max: 1e6,
      default: '100ms',
      help: 'time-per-output-token SLO for goodput',
      meta: 'T',
    },
    seed: {
      kind: 'count',
      min: 0,
      max: 2 ** 32 - 1,
      default: '1',
      help: 'seed of the workload, prompts and weights',
      meta: 'S',
    },
    json: { kind: 'text', help: 'also write the metrics as JSON (- for stdout)', meta: 'FILE' },
    trace: {
      kind: 'text',
      help:
        'write a Chrome trace (ui.perfetto.dev) of the run on its clock of measured pass times: ' +
        'a slice per scheduler iteration and per GPU pass, KV blocks and queue as counters, a ' +
        'thread per request',
      meta: 'FILE',
    },
  },
} as const satisfies CommandSchema;

export const SERVE_USAGE = usage(SERVE_SCHEMA);

export interface ServeArgs {
  readonly scheduler: SchedulerName;
  readonly ranks: number;
  readonly workload: WorkloadOptions;
  readonly requests: readonly Request[];
  readonly decoder: DecoderConfig;
  readonly maxBatch: number;
  readonly blocks: number;
  readonly blockTokens: number;
  readonly slo: { readonly ttft_s: number; readonly tpot_s: number };
  readonly seed: number;
  readonly json?: string;
  /** --trace FILE, checked writable (src/cli/run-flags.ts traceFileOf). */
  readonly trace?: string;
}

export function parseServeArgs(argv: string[]): ServeArgs {
  const { values } = parseCommand(SERVE_SCHEMA, argv);
  const { scheduler, heads, 'd-model': dModel, ranks, seed } = values;
  if (dModel % heads !== 0) {
    throw new UsageError(
      `--d-model ${dModel} must be a multiple of --heads ${heads} (head dim = d / heads)`,
    );
  }
  const { 'prompt-mean': promptMean, 'output-mean': outputMean } = values;
  // Lengths are capped at 4 means so the position table stays small; the cap is stated.
  const maxPrompt = Math.ceil(4 * promptMean);
  const maxOutput = Math.ceil(4 * outputMean);
  const decoder: DecoderConfig = {
    layers: values.layers,
    dModel,
    qHeads: heads,
    kvHeads: values['kv-heads'],
    headDim: dModel / heads,
    vocab: DEFAULT_DECODER.vocab,
    maxPositions: maxPrompt + maxOutput,
  };
  try {
    checkDecoder(decoder, ranks);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const workload: WorkloadOptions = {
    requests: values.requests,
    // 0, as the page writes it, and 'inf' both mean every request arrives at once.
    rate_per_s: values.rate === 0 ? Number.POSITIVE_INFINITY : values.rate,
    promptMean,
    promptCv: 0.5,
    outputMean,
    outputCv: values.cv,
    seed,
    maxPromptTokens: maxPrompt,
    maxOutputTokens: maxOutput,
  };
  const { blocks, 'block-tokens': blockTokens } = values;
  const requests = generateWorkload(workload);
  const longest = Math.max(...requests.map((r) => r.prompt_tokens + r.output_tokens - 1));
  if (Math.ceil(longest / blockTokens) > blocks) {
    throw new UsageError(
      `--blocks ${blocks}: the longest request (${longest} tokens) needs ${Math.ceil(longest / blockTokens)} blocks of ${blockTokens}`,
    );
  }
  return {
    scheduler,
    ranks,
    workload,
    requests,
    decoder,
    maxBatch: values['max-batch'],
    blocks,
    blockTokens,
    slo: { ttft_s: values['slo-ttft'], tpot_s: values['slo-tpot'] },
    seed,
    ...(values.json === undefined ? {} : { json: values.json }),
    ...(values.trace === undefined ? {} : { trace: traceFileOf(values.trace) as string }),
  };
}
