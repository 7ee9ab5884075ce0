// `fleetlab model`: the textbook's closed forms as a calculator, for students checking the
// book's numbers and for anyone sizing a fabric. No GPU: arguments in, a few lines (or one
// JSON object) out.
import { parseArgs } from 'node:util';
import { busBw } from '../model/busbw.ts';
import { CLOSED_FORMS, type CostTerms, type ModelParams } from '../model/closed-forms.ts';
import { allReduceHierarchical } from '../model/hierarchical.ts';
import { p2pCrossover, pointToPoint, ringTreeCrossover } from '../model/p2p.ts';
import { COLLECTIVES, type Collective } from '../plans/plan.ts';
import { UsageError } from './args.ts';
import { KVCACHE_OPTIONS, KVCACHE_USAGE, runKvcache } from './model-kvcache.ts';
import { type ModelResult, renderModel, type TermFields } from './model-report.ts';
import { parseBandwidth, parseByteSize, parseSecondsPerByte, parseTime } from './units-parse.ts';

export const MODEL_USAGE = `usage: fleetlab model <collective|p2p|kvcache> [options]
The closed-form time of a collective (alpha-beta-gamma), of one message with p2p, or the
KV cache's bytes with kvcache.
  collective          allreduce, reducescatter, allgather, broadcast, reduce, alltoall
      --algo A        allreduce: ring (default), tree, dbtree, rhd, direct, hierarchical;
                      reducescatter, allgather: ring (default), rhd;
                      broadcast, reduce: tree (default), ring; alltoall: pairwise
      --ranks N       rank count
      --bytes M       allreduce, broadcast, reduce: each rank's buffer; allgather: the gathered
                      result; reducescatter, alltoall: each rank's input.
                      1MB = 1e6 B, 1MiB = 2^20 B, 64M = 2^26 B (as nccl-tests), 140e9
      --alpha T       seconds per message: 500ns, 1.5us, 2ms, 5e-6
      --beta BW       bytes per second: 50GB/s, 400Gbps (= 50GB/s), 140e9
      --gamma G       seconds per byte reduced (2e-12, 2ps/B) or a reduce rate (500GB/s)
      --chunks C      ring broadcast and reduce: pipeline chunks (default: the fastest count)
      --json          one JSON object instead of text
  hierarchical allreduce: reduce-scatter inside nodes, ring allreduce across, all-gather inside
      --nodes K --ranks-per-node G --alpha-intra T --beta-intra BW --alpha-inter T --beta-inter BW
  p2p: --bytes --alpha --beta: one message, and n* = alpha beta where bandwidth takes over
${KVCACHE_USAGE}`;

const OPTIONS = {
  algo: { type: 'string' },
  ranks: { type: 'string' },
  bytes: { type: 'string' },
  alpha: { type: 'string' },
  beta: { type: 'string' },
  gamma: { type: 'string' },
  chunks: { type: 'string' },
  nodes: { type: 'string' },
  'ranks-per-node': { type: 'string' },
  'alpha-intra': { type: 'string' },
  'beta-intra': { type: 'string' },
  'alpha-inter': { type: 'string' },
  'beta-inter': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = Partial<Record<OptionName, string | boolean>>;

const HIERARCHY: readonly OptionName[] = [
  'nodes',
  'ranks-per-node',
  'alpha-intra',
  'beta-intra',
  'alpha-inter',
  'beta-inter',
];
const REDUCING: readonly Collective[] = ['allreduce', 'reducescatter', 'reduce'];

function wholeNumber(option: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${option} '${text}' must be a whole number >= 1`);
  }
  return n;
}

/** Refuses options that `what` does not take, and asks for those it needs. */
function checkOptions(values: Values, what: string, allowed: readonly OptionName[]): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || name === 'json') continue;
    if (!allowed.includes(name as OptionName)) {
      throw new UsageError(`--${name} does not apply to ${what}`);
    }
  }
}

function need(values: Values, name: OptionName, what: string): string {
  const value = values[name];
  if (typeof value !== 'string') throw new UsageError(`${what} needs --${name}`);
  return value;
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

function p2p(values: Values): ModelResult {
  checkOptions(values, 'p2p', ['bytes', 'alpha', 'beta']);
  const bytes = parseByteSize('--bytes', need(values, 'bytes', 'p2p'));
  const alpha = parseTime('--alpha', need(values, 'alpha', 'p2p'));
  const beta = parseBandwidth('--beta', need(values, 'beta', 'p2p'));
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

function hierarchical(values: Values): ModelResult {
  const what = 'hierarchical allreduce';
  checkOptions(values, what, ['algo', 'ranks', 'bytes', 'gamma', ...HIERARCHY]);
  const bytes = parseByteSize('--bytes', need(values, 'bytes', what));
  const nodes = wholeNumber('--nodes', need(values, 'nodes', what));
  const ranksPerNode = wholeNumber('--ranks-per-node', need(values, 'ranks-per-node', what));
  const ranks = nodes * ranksPerNode;
  if (values.ranks !== undefined && wholeNumber('--ranks', values.ranks as string) !== ranks) {
    throw new UsageError(
      `--ranks ${values.ranks} is not --nodes ${nodes} x --ranks-per-node ${ranksPerNode} = ${ranks}`,
    );
  }
  const gamma =
    values.gamma === undefined ? {} : { gamma: parseSecondsPerByte('--gamma', `${values.gamma}`) };
  const link = (level: 'intra' | 'inter') => ({
    alpha: parseTime(`--alpha-${level}`, need(values, `alpha-${level}`, what)),
    beta: parseBandwidth(`--beta-${level}`, need(values, `beta-${level}`, what)),
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

function collective(name: Collective, values: Values): ModelResult {
  const forms = CLOSED_FORMS[name];
  const algorithms = Object.keys(forms);
  const algorithm = typeof values.algo === 'string' ? values.algo : (algorithms[0] as string);
  // Here hierarchical is the two-level form (intra and inter links, --nodes and
  // --ranks-per-node), not CLOSED_FORMS' one-link form the bench's analytic column uses.
  if (name === 'allreduce' && algorithm === 'hierarchical') return hierarchical(values);
  const form = Object.hasOwn(forms, algorithm) ? forms[algorithm] : undefined;
  if (!form) {
    throw new UsageError(
      `--algo '${algorithm}' does not apply to ${name} (algorithms: ${algorithms.join(', ')})`,
    );
  }
  const what = `${name} ${algorithm}`;
  const pipelined = (name === 'broadcast' || name === 'reduce') && algorithm === 'ring';
  checkOptions(values, what, [
    'algo',
    'ranks',
    'bytes',
    'alpha',
    'beta',
    ...(REDUCING.includes(name) ? (['gamma'] as const) : []),
    ...(pipelined ? (['chunks'] as const) : []),
  ]);
  const ranks = wholeNumber('--ranks', need(values, 'ranks', what));
  const bytes = parseByteSize('--bytes', need(values, 'bytes', what));
  const params: ModelParams = {
    alpha: parseTime('--alpha', need(values, 'alpha', what)),
    beta: parseBandwidth('--beta', need(values, 'beta', what)),
    ...(values.gamma === undefined
      ? {}
      : { gamma: parseSecondsPerByte('--gamma', `${values.gamma}`) }),
    ...(values.chunks === undefined ? {} : { chunks: wholeNumber('--chunks', `${values.chunks}`) }),
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
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: OPTIONS,
  });
  const [what, ...extra] = positionals;
  if (what === undefined) {
    throw new UsageError(
      `model needs a collective or p2p (${COLLECTIVES.join(', ')}, p2p), or kvcache`,
    );
  }
  if (extra.length > 0) throw new UsageError(`model takes one collective, not '${extra[0]}' too`);
  const json = values.json === true;
  const rest: Values = { ...values, json: undefined };
  try {
    if (what === 'p2p') return { result: p2p(rest), json };
    if (!(COLLECTIVES as readonly string[]).includes(what)) {
      throw new UsageError(
        `unknown collective '${what}' (collectives: ${COLLECTIVES.join(', ')}; or p2p, kvcache)`,
      );
    }
    return { result: collective(what as Collective, rest), json };
  } catch (e) {
    // The model's own checks (RangeError) are bad input too, here where input is all there is.
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}

/** The first positional argument, read with every option `model` knows taking a value. */
function firstPositional(args: string[]): string | undefined {
  const { positionals } = parseArgs({
    args,
    strict: false,
    allowPositionals: true,
    options: { ...OPTIONS, ...KVCACHE_OPTIONS },
  });
  return positionals[0];
}

export async function runModel(args: string[], out: (line: string) => void): Promise<void> {
  if (firstPositional(args) === 'kvcache') return runKvcache(args, out);
  const { result, json } = modelFromArgs(args);
  if (json) out(JSON.stringify(result, null, 2));
  else for (const line of renderModel(result)) out(line);
}
