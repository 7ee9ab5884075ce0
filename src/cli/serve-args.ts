// `fleetlab serve` options, all checked before the GPU starts: the workload is generated and
// every request is checked against the pool and the decoder's positions here.
import { parseArgs } from 'node:util';
import { checkDecoder, DEFAULT_DECODER, type DecoderConfig } from '../exec/decoder/model.ts';
import type { SchedulerName } from '../serving/records.ts';
import { generateWorkload, type Request, type WorkloadOptions } from '../serving/workload.ts';
import { parseNumber, parseWhole, UsageError } from './args.ts';

export const SERVE_USAGE = `usage: fleetlab serve [options]
A seeded workload served by a small decoder on this GPU (tensor-parallel ranks, paged KV cache),
batched statically or continuously; prints TTFT, TPOT, tokens/s, KV utilization, preemptions,
and the textbook's decode-step model calibrated on this GPU beside the measured passes.
  --scheduler S       static or continuous (default continuous)
  --ranks N           tensor-parallel ranks: 1 or 2 with the default 2 KV heads (default 1)
  --requests R        requests (default 32)
  --rate L            Poisson arrivals, requests per second (default 20; 'inf': all at once)
  --cv C              coefficient of variation of output lengths (default 1)
  --prompt-mean P     mean prompt tokens (default 32, CV 0.5)   --output-mean O (default 32)
  --max-batch B       batch slots (default 8)
  --blocks K          KV blocks in each rank's pool (default 64)   --block-tokens T (default 16)
  --layers L --d-model D --heads H --kv-heads G   the decoder (defaults 2, 64, 4, 2; head dim D/H)
  --slo-ttft T --slo-tpot T   an SLO for goodput, seconds (default 1 and 0.1)
  --seed S            seed of the workload, prompts and weights (default 1)
  --json FILE         also write the metrics as JSON (- for stdout)`;

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
}

export function parseServeArgs(argv: string[]): ServeArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      scheduler: { type: 'string', default: 'continuous' },
      ranks: { type: 'string', default: '1' },
      requests: { type: 'string', default: '32' },
      rate: { type: 'string', default: '20' },
      cv: { type: 'string', default: '1' },
      'prompt-mean': { type: 'string', default: '32' },
      'output-mean': { type: 'string', default: '32' },
      'max-batch': { type: 'string', default: '8' },
      blocks: { type: 'string', default: '64' },
      'block-tokens': { type: 'string', default: '16' },
      layers: { type: 'string', default: String(DEFAULT_DECODER.layers) },
      'd-model': { type: 'string', default: String(DEFAULT_DECODER.dModel) },
      heads: { type: 'string', default: String(DEFAULT_DECODER.qHeads) },
      'kv-heads': { type: 'string', default: String(DEFAULT_DECODER.kvHeads) },
      'slo-ttft': { type: 'string', default: '1' },
      'slo-tpot': { type: 'string', default: '0.1' },
      seed: { type: 'string', default: '1' },
      json: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`serve takes no positional '${positionals[0]}'`);
  const scheduler = values.scheduler;
  if (scheduler !== 'static' && scheduler !== 'continuous') {
    throw new UsageError(`--scheduler '${scheduler}' must be static or continuous`);
  }
  const heads = parseWhole('--heads', values.heads, 1, 256);
  const dModel = parseWhole('--d-model', values['d-model'], 1, 4096);
  if (dModel % heads !== 0) {
    throw new UsageError(
      `--d-model ${dModel} must be a multiple of --heads ${heads} (head dim = d / heads)`,
    );
  }
  const promptMean = parseNumber('--prompt-mean', values['prompt-mean'], 1, 4096);
  const outputMean = parseNumber('--output-mean', values['output-mean'], 1, 4096);
  // Lengths are capped at 4 means so the position table stays small; the cap is stated.
  const maxPrompt = Math.ceil(4 * promptMean);
  const maxOutput = Math.ceil(4 * outputMean);
  const decoder: DecoderConfig = {
    layers: parseWhole('--layers', values.layers, 1, 64),
    dModel,
    qHeads: heads,
    kvHeads: parseWhole('--kv-heads', values['kv-heads'], 1, 256),
    headDim: dModel / heads,
    vocab: DEFAULT_DECODER.vocab,
    maxPositions: maxPrompt + maxOutput,
  };
  const ranks = parseWhole('--ranks', values.ranks, 1, 64);
  try {
    checkDecoder(decoder, ranks);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const rate =
    values.rate === 'inf'
      ? Number.POSITIVE_INFINITY
      : parseNumber('--rate', values.rate, 1e-6, 1e9);
  const seed = parseWhole('--seed', values.seed, 0, 2 ** 32 - 1);
  const workload: WorkloadOptions = {
    requests: parseWhole('--requests', values.requests, 1, 100_000),
    rate_per_s: rate,
    promptMean,
    promptCv: 0.5,
    outputMean,
    outputCv: parseNumber('--cv', values.cv, 0, 10),
    seed,
    maxPromptTokens: maxPrompt,
    maxOutputTokens: maxOutput,
  };
  const blocks = parseWhole('--blocks', values.blocks, 1, 1 << 20);
  const blockTokens = parseWhole('--block-tokens', values['block-tokens'], 1, 4096);
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
    maxBatch: parseWhole('--max-batch', values['max-batch'], 1, 256),
    blocks,
    blockTokens,
    slo: {
      ttft_s: parseNumber('--slo-ttft', values['slo-ttft'], 1e-9, 1e6),
      tpot_s: parseNumber('--slo-tpot', values['slo-tpot'], 1e-9, 1e6),
    },
    seed,
    ...(values.json === undefined ? {} : { json: values.json }),
  };
}
