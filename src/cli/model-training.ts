// `fleetlab model pipeline | zero | overlap`: the training chapter's closed forms
// (src/model/training.ts) as a calculator. No GPU: arguments in, a few lines or one JSON out.

import {
  layerOverlap,
  pipelineBubble,
  type ZeroStage,
  zeroBytesPerRank,
} from '../model/training.ts';
import { formatBytes, formatSeconds } from '../model/units.ts';
import { UsageError } from './args.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';

const sub = (name: string) => ({
  synopsis: '',
  min: 1,
  max: 1,
  choices: [name],
  extra: (what: string) => `model ${name} takes no '${what}'`,
});

export const PIPELINE_SCHEMA = {
  name: 'model pipeline',
  about:
    'The pipeline bubble of p stages and m micro-batches: (p - 1) / (p - 1 + m V), V model ' +
    'chunks a stage (interleaved 1F1B; GPipe and 1F1B: V = 1). m >= 4 (p - 1) keeps it <= 20 %.',
  positionals: sub('pipeline'),
  flags: {
    stages: { kind: 'count', min: 1, max: 1e6, help: 'pipeline stages p (required)', meta: 'P' },
    microbatches: {
      kind: 'count',
      min: 1,
      max: 1e9,
      help: 'micro-batches m a step (required)',
      meta: 'M',
    },
    virtual: { kind: 'count', min: 1, max: 1e6, default: '1', help: 'chunks a stage V', meta: 'V' },
    json: { kind: 'flag', help: 'one JSON object instead of text' },
  },
} as const satisfies CommandSchema;

export const ZERO_SCHEMA = {
  name: 'model zero',
  about:
    'Bytes a rank holds under ZeRO for P parameters over N ranks (Rajbhandari et al. 2020): of ' +
    '--bytes-per-param (16: mixed-precision Adam), 2 are weights, 2 gradients and the rest ' +
    'optimizer state; stage 1 shards the optimizer state, 2 and the gradients, 3 and the weights: ' +
    '16 P, (4 + 12/N) P, (2 + 14/N) P, 16 P / N.',
  positionals: sub('zero'),
  flags: {
    params: { kind: 'count', min: 1, max: 1e15, help: 'parameters P (required)', meta: 'P' },
    ranks: { kind: 'count', min: 1, max: 1e7, help: 'data-parallel ranks N (required)', meta: 'N' },
    stage: {
      kind: 'choice',
      choices: ['0', '1', '2', '3'],
      help: 'ZeRO stage (required)',
      meta: 'S',
    },
    'bytes-per-param': {
      kind: 'count',
      min: 4,
      max: 1024,
      default: '16',
      help: 'bytes a parameter costs in all (2 weight + 2 gradient + optimizer state)',
      meta: 'B',
    },
    json: { kind: 'flag', help: 'one JSON object instead of text' },
  },
} as const satisfies CommandSchema;

export const OVERLAP_SCHEMA = {
  name: 'model overlap',
  about:
    "L layers, each a backward pass of --backward and a gradient AllReduce of --comm; a layer's " +
    'AllReduce runs under the backward of the layers below it, one at a time: no overlap ' +
    'L (b + c), overlap b + (L - 1) max(b, c) + c (L b + c when c <= b: only the last is exposed).',
  positionals: sub('overlap'),
  flags: {
    layers: { kind: 'count', min: 1, max: 1e6, help: 'layers L (required)', meta: 'L' },
    backward: { kind: 'time', help: "one layer's backward pass (required)", meta: 'T' },
    comm: { kind: 'time', help: "one layer's gradient AllReduce (required)", meta: 'T' },
    json: { kind: 'flag', help: 'one JSON object instead of text' },
  },
} as const satisfies CommandSchema;

export const PIPELINE_USAGE = usage(PIPELINE_SCHEMA);
export const ZERO_USAGE = usage(ZERO_SCHEMA);
export const OVERLAP_USAGE = usage(OVERLAP_SCHEMA);

/** The subcommands this file answers, by their first positional. */
export const TRAINING_MODELS = ['pipeline', 'zero', 'overlap'] as const;
export type TrainingModel = (typeof TRAINING_MODELS)[number];

function need<T>(value: T | undefined, command: string, name: string): T {
  if (value === undefined) throw new UsageError(`model ${command} needs --${name}`);
  return value;
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const bytes = (n: number) => (n < 1000 ? `${n} B` : `${Math.round(n)} B (${formatBytes(n)})`);

/** The result of `model <which>` and its text, from the arguments; UsageError on bad input. */
export function trainingModel(
  which: TrainingModel,
  args: string[],
): { result: Record<string, unknown>; lines: string[]; json: boolean } {
  try {
    if (which === 'pipeline') {
      const { values } = parseCommand(PIPELINE_SCHEMA, args);
      const p = need(values.stages, which, 'stages');
      const m = need(values.microbatches, which, 'microbatches');
      const v = values.virtual;
      const bubble = pipelineBubble(p, m, v);
      return {
        result: { stages: p, microbatches: m, virtual: v, bubble_fraction: bubble },
        lines: [
          `# fleetlab model: pipeline bubble, p = ${p} stages, m = ${m} micro-batches, V = ${v}`,
          `bubble   ${pct(bubble)} = (p - 1) / (p - 1 + m V) = ${p - 1} / ${p - 1 + m * v}`,
        ],
        json: values.json,
      };
    }
    if (which === 'zero') {
      const { values } = parseCommand(ZERO_SCHEMA, args);
      const P = need(values.params, which, 'params');
      const N = need(values.ranks, which, 'ranks');
      const stage = Number(need(values.stage, which, 'stage')) as ZeroStage;
      const per = values['bytes-per-param'];
      const z = zeroBytesPerRank(P, N, stage, per);
      return {
        result: {
          params: P,
          ranks: N,
          stage,
          bytes_per_param: per,
          bytes_per_rank: z.total,
          parts: { params: z.params, grads: z.grads, optimizer: z.optimizer },
        },
        lines: [
          `# fleetlab model: ZeRO stage ${stage}, ${P} parameters over ${N} ranks, ${per} B a parameter`,
          `weights    ${bytes(z.params)}`,
          `gradients  ${bytes(z.grads)}`,
          `optimizer  ${bytes(z.optimizer)}`,
          `per rank   ${bytes(z.total)} (stage 0: ${bytes(per * P)})`,
        ],
        json: values.json,
      };
    }
    const { values } = parseCommand(OVERLAP_SCHEMA, args);
    const L = need(values.layers, which, 'layers');
    const b = need(values.backward, which, 'backward');
    const c = need(values.comm, which, 'comm');
    const t = layerOverlap(L, b, c);
    return {
      result: {
        layers: L,
        backward_s: b,
        comm_s: c,
        no_overlap_s: t.no_overlap_s,
        overlap_s: t.overlap_s,
        savings: t.savings_s,
        hidden_fraction: t.hidden_fraction,
      },
      lines: [
        `# fleetlab model: layer overlap, ${L} layers, backward ${formatSeconds(b)} and AllReduce ${formatSeconds(c)} a layer`,
        `no overlap  ${formatSeconds(t.no_overlap_s)} = L (b + c)`,
        `overlap     ${formatSeconds(t.overlap_s)} = b + (L - 1) max(b, c) + c`,
        `savings     ${formatSeconds(t.savings_s)} (${pct(t.hidden_fraction)} of the AllReduce hidden)`,
      ],
      json: values.json,
    };
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}
