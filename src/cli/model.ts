// `fleetlab model`: the textbook's closed forms as a calculator, for students checking the
// book's numbers and for anyone sizing a fabric. No GPU: arguments in, a few lines (or one
// JSON object) out.
import { busBw } from '../model/busbw.ts';
import { CLOSED_FORMS, type CostTerms, type ModelParams } from '../model/closed-forms.ts';
import { allReduceHierarchical } from '../model/hierarchical.ts';
import { p2pCrossover, pointToPoint, ringTreeCrossover } from '../model/p2p.ts';
import { COLLECTIVES, type Collective } from '../plans/plan.ts';
import { UsageError } from './args.ts';
import { KVCACHE_SCHEMA, runKvcache } from './model-kvcache.ts';
import { MOE_SCHEMA, runMoeModel } from './model-moe.ts';
import { type ModelResult, renderModel, type TermFields } from './model-report.ts';
import {
  OVERLAP_SCHEMA,
  PIPELINE_SCHEMA,
  TRAINING_MODELS,
  type TrainingModel,
  trainingModel,
  ZERO_SCHEMA,
} from './model-training.ts';
import { type CommandSchema, firstPositional, type Parsed, parseCommand, usage } from './schema.ts';

/** Closed forms hold for any count; this keeps the products exact in doubles. */
const MAX_MODEL_RANKS = 2 ** 30;
const WHOLE = { kind: 'count', min: 1, max: MAX_MODEL_RANKS } as const;

export const MODEL_SCHEMA = {
  name: 'model',
  about:
    'The closed-form time of a collective (alpha-beta-gamma), of one message with p2p, or the ' +
    "KV cache's bytes with kvcache ('fleetlab model kvcache --help'), or the training models: " +
    'pipeline (the bubble), zero (bytes a rank), overlap (gradient AllReduce under backward), ' +
    'or moe (the expert-parallel all-to-all, sized). No GPU.',
  positionals: {
    synopsis: '<collective|p2p|kvcache|pipeline|zero|overlap|moe>',
    min: 1,
    max: 1,
    choices: [...COLLECTIVES, 'p2p'],
    unknown: (what: string) =>
      `unknown collective '${what}' (collectives: ${COLLECTIVES.join(', ')}; or p2p, kvcache, pipeline, zero, overlap, moe)`,
    missing: `model needs a collective or p2p (${COLLECTIVES.join(', ')}, p2p), or kvcache, pipeline, zero, overlap, moe`,
    extra: (what: string) => `model takes one collective, not '${what}' too`,
  },
  flags: {
    algo: {
      kind: 'text',
      help:
        'allreduce: ring (default), tree, dbtree, rhd, direct, hierarchical; reducescatter, ' +
        'allgather: ring (default), rhd; broadcast, reduce: tree (default), ring; alltoall: pairwise',
      meta: 'A',
    },
    ranks: { ...WHOLE, help: 'rank count' },
    bytes: {
      kind: 'size',
      help:
        "allreduce, broadcast, reduce: each rank's buffer; allgather: the gathered result; " +
        "reducescatter, alltoall: each rank's input; p2p: the message",
    },
    alpha: { kind: 'time', help: 'seconds per message (latency)', meta: 'T' },
    beta: { kind: 'rate', help: 'bytes per second of a link', meta: 'BW' },
    gamma: {
      kind: 'per-byte',
      help: 'allreduce, reducescatter, reduce: seconds per byte reduced',
      meta: 'G',
    },
    chunks: {
      ...WHOLE,
      help: 'ring broadcast and reduce: pipeline chunks (default: the fastest count)',
      meta: 'C',
    },
    nodes: { ...WHOLE, help: 'hierarchical allreduce: nodes', meta: 'K' },
    'ranks-per-node': { ...WHOLE, help: 'hierarchical allreduce: ranks in each node', meta: 'G' },
    'alpha-intra': { kind: 'time', help: 'hierarchical: latency inside a node', meta: 'T' },
    'beta-intra': { kind: 'rate', help: 'hierarchical: bandwidth inside a node', meta: 'BW' },
    'alpha-inter': { kind: 'time', help: 'hierarchical: latency across nodes', meta: 'T' },
    'beta-inter': { kind: 'rate', help: 'hierarchical: bandwidth across nodes', meta: 'BW' },
    json: { kind: 'flag', help: 'one JSON object instead of text' },
  },
  notes:
    'a collective takes --ranks --bytes --alpha --beta (and --gamma where it reduces); ' +
    'hierarchical allreduce (reduce-scatter inside nodes, ring allreduce across, all-gather ' +
    'inside) takes --nodes --ranks-per-node --bytes and the four -intra/-inter links; p2p takes ' +
    '--bytes --alpha --beta: one message, and n* = alpha beta where bandwidth takes over.',
} as const satisfies CommandSchema;

export const MODEL_USAGE = usage(MODEL_SCHEMA);

type Flags = typeof MODEL_SCHEMA.flags;
type OptionName = keyof Flags & string;
type Values = Parsed<Flags>['values'];
type Given = Parsed<Flags>['given'];

const HIERARCHY: readonly OptionName[] = [
  'nodes',
  'ranks-per-node',
  'alpha-intra',
  'beta-intra',
  'alpha-inter',
  'beta-inter',
];
const REDUCING: readonly Collective[] = ['allreduce', 'reducescatter', 'reduce'];

/** Refuses options that `what` does not take. */
function checkOptions(given: Given, what: string, allowed: readonly OptionName[]): void {
  for (const name of given) {
    if (name !== 'json' && !allowed.includes(name)) {
      throw new UsageError(`--${name} does not apply to ${what}`);
    }
  }
}

/** The value of an option `what` needs. */
function need<K extends OptionName>(values: Values, name: K, what: string): NonNullable<Values[K]> {
  const value = values[name];
  if (value === undefined) throw new UsageError(`${what} needs --${name}`);
  return value as NonNullable<Values[K]>;
}

/** The terms as JSON keys: time, latency_term, bandwidth_term and the optional ones. */
function termFields(t: CostTerms): TermFields {
  return {
    time: t.time,
    latency_term: t.latency_term,
    bandwidth_term: t.bandwidth_term,
    ...(t.reduce_term === undefined ? {} : { reduce_term: t.reduce_term }),
    steps: t.steps,
    ...(t.chunks === undefined ? {} : { chunks: t.chunks }),
  };
}

/** algbw and busbw as nccl-tests would print them, when the time is not 0. */
function bandwidths(collective: Collective, ranks: number, bytes: number, time: number) {
  if (time <= 0) return {};
  return { algbw: bytes / time, busbw: busBw(collective, ranks, bytes, time) };
}

function p2p({ values, given }: Parsed<Flags>): ModelResult {
  checkOptions(given, 'p2p', ['bytes', 'alpha', 'beta']);
  const bytes = need(values, 'bytes', 'p2p');
  const alpha = need(values, 'alpha', 'p2p');
  const beta = need(values, 'beta', 'p2p');
  const terms = pointToPoint(bytes, { alpha, beta });
  const crossover_bytes = p2pCrossover({ alpha, beta });
  return {
    collective: 'p2p',
    algorithm: 'alpha-beta',
    ranks: 2,
    bytes,
    alpha,
    beta,
    ...termFields(terms),
    crossover_bytes,
    regime: bytes < crossover_bytes ? 'latency-bound' : 'bandwidth-bound',
  };
}

function hierarchical({ values, given }: Parsed<Flags>): ModelResult {
  const what = 'hierarchical allreduce';
  checkOptions(given, what, ['algo', 'ranks', 'bytes', 'gamma', ...HIERARCHY]);
  const bytes = need(values, 'bytes', what);
  const nodes = need(values, 'nodes', what);
  const ranksPerNode = need(values, 'ranks-per-node', what);
  const ranks = nodes * ranksPerNode;
  if (values.ranks !== undefined && values.ranks !== ranks) {
    throw new UsageError(
      `--ranks ${values.ranks} is not --nodes ${nodes} x --ranks-per-node ${ranksPerNode} = ${ranks}`,
    );
  }
  const gamma = values.gamma === undefined ? {} : { gamma: values.gamma };
  const link = (level: 'intra' | 'inter') => ({
    alpha: need(values, `alpha-${level}`, what),
    beta: need(values, `beta-${level}`, what),
    ...gamma,
  });
  const [intra, inter] = [link('intra'), link('inter')];
  const t = allReduceHierarchical(bytes, { nodes, ranksPerNode, intra, inter });
  return {
    collective: 'allreduce',
    algorithm: 'hierarchical',
    ranks,
    nodes,
    ranks_per_node: ranksPerNode,
    bytes,
    alpha: { intra: intra.alpha, inter: inter.alpha },
    beta: { intra: intra.beta, inter: inter.beta },
    ...gamma,
    ...termFields(t),
    phases: {
      reduce_scatter_intra: termFields(t.phases.reduce_scatter_intra),
      allreduce_inter: termFields(t.phases.allreduce_inter),
      all_gather_intra: termFields(t.phases.all_gather_intra),
    },
    ...bandwidths('allreduce', ranks, bytes, t.time),
  };
}

function collective(name: Collective, parsed: Parsed<Flags>): ModelResult {
  const { values, given } = parsed;
  const forms = CLOSED_FORMS[name];
  const algorithms = Object.keys(forms);
  const algorithm = values.algo ?? (algorithms[0] as string);
  // Here hierarchical is the two-level form (intra and inter links, --nodes and
  // --ranks-per-node), not CLOSED_FORMS' one-link form the bench's analytic column uses.
  if (name === 'allreduce' && algorithm === 'hierarchical') return hierarchical(parsed);
  const form = Object.hasOwn(forms, algorithm) ? forms[algorithm] : undefined;
  if (!form) {
    throw new UsageError(
      `--algo '${algorithm}' does not apply to ${name} (algorithms: ${algorithms.join(', ')})`,
    );
  }
  const what = `${name} ${algorithm}`;
  const pipelined = (name === 'broadcast' || name === 'reduce') && algorithm === 'ring';
  checkOptions(given, what, [
    'algo',
    'ranks',
    'bytes',
    'alpha',
    'beta',
    ...(REDUCING.includes(name) ? (['gamma'] as const) : []),
    ...(pipelined ? (['chunks'] as const) : []),
  ]);
  const ranks = need(values, 'ranks', what);
  const bytes = need(values, 'bytes', what);
  const params: ModelParams = {
    alpha: need(values, 'alpha', what),
    beta: need(values, 'beta', what),
    ...(values.gamma === undefined ? {} : { gamma: values.gamma }),
    ...(values.chunks === undefined ? {} : { chunks: values.chunks }),
  };
  const t = form(ranks, bytes, params);
  const crossover =
    name === 'allreduce' && (algorithm === 'ring' || algorithm === 'tree') && ranks >= 2
      ? { ring_tree_crossover: ringTreeCrossover(ranks, params) }
      : {};
  return {
    collective: name,
    algorithm,
    ranks,
    bytes,
    alpha: params.alpha,
    beta: params.beta,
    ...(params.gamma === undefined ? {} : { gamma: params.gamma }),
    ...termFields(t),
    ...bandwidths(name, ranks, bytes, t.time),
    ...crossover,
  };
}

/** Parses `fleetlab model` arguments and computes the result; bad input is a UsageError. */
export function modelFromArgs(args: string[]): { result: ModelResult; json: boolean } {
  const parsed = parseCommand(MODEL_SCHEMA, args);
  const what = parsed.positionals[0] as string;
  const json = parsed.values.json;
  try {
    if (what === 'p2p') return { result: p2p(parsed), json };
    return { result: collective(what as Collective, parsed), json };
  } catch (e) {
    // The model's own checks (RangeError) are bad input too, here where input is all there is.
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}

/** Whether the arguments ask for `model kvcache` (its first positional, read with both schemas). */
function isKvcache(args: string[]): boolean {
  const both = { ...MODEL_SCHEMA, flags: { ...MODEL_SCHEMA.flags, ...KVCACHE_SCHEMA.flags } };
  return firstPositional(both, args) === 'kvcache';
}

/** Whether the arguments ask for `model moe`. */
function isMoe(args: string[]): boolean {
  const both = { ...MODEL_SCHEMA, flags: { ...MODEL_SCHEMA.flags, ...MOE_SCHEMA.flags } };
  return firstPositional(both, args) === 'moe';
}

/** Which of the training models the arguments ask for, if any. */
function trainingModelOf(args: string[]): TrainingModel | undefined {
  const flags = {
    ...MODEL_SCHEMA.flags,
    ...PIPELINE_SCHEMA.flags,
    ...ZERO_SCHEMA.flags,
    ...OVERLAP_SCHEMA.flags,
  };
  const first = firstPositional({ ...MODEL_SCHEMA, flags }, args);
  return (TRAINING_MODELS as readonly string[]).includes(first ?? '')
    ? (first as TrainingModel)
    : undefined;
}

export async function runModel(args: string[], out: (line: string) => void): Promise<void> {
  if (isKvcache(args)) return runKvcache(args, out);
  if (isMoe(args)) return runMoeModel(args, out);
  const training = trainingModelOf(args);
  if (training) {
    const { result, lines, json } = trainingModel(training, args);
    if (json) out(JSON.stringify(result, null, 2));
    else for (const line of lines) out(line);
    return;
  }
  const { result, json } = modelFromArgs(args);
  if (json) out(JSON.stringify(result, null, 2));
  else for (const line of renderModel(result)) out(line);
}
