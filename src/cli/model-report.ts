// The human face of `fleetlab model`: a few lines with units, read from the same object the
// JSON output prints, so the two cannot disagree.
import type { RingTreeCrossover } from '../model/p2p.ts';
import { formatBandwidth, formatBytes, formatSeconds } from '../model/units.ts';
import type { Collective } from '../plans/plan.ts';

/** Seconds; as CostTerms, flattened for JSON. */
export interface TermFields {
  readonly time: number;
  readonly latency_term: number;
  readonly bandwidth_term: number;
  readonly reduce_term?: number;
  readonly steps: number;
  readonly chunks?: number;
}

type PerLevel = { readonly intra: number; readonly inter: number };

/** What `fleetlab model --json` prints: seconds, bytes and bytes per second. */
export interface ModelResult extends TermFields {
  readonly collective: Collective | 'p2p';
  readonly algorithm: string;
  readonly ranks: number;
  readonly bytes: number;
  /** Seconds per message; per level for the hierarchical AllReduce. */
  readonly alpha: number | PerLevel;
  /** Bytes per second; per level for the hierarchical AllReduce. */
  readonly beta: number | PerLevel;
  readonly gamma?: number;
  readonly nodes?: number;
  readonly ranks_per_node?: number;
  readonly phases?: Readonly<Record<string, TermFields>>;
  readonly algbw?: number;
  readonly busbw?: number;
  readonly ring_tree_crossover?: RingTreeCrossover;
  /** p2p: n* = alpha beta, and which side of it this message is. */
  readonly crossover_bytes?: number;
  readonly regime?: 'latency-bound' | 'bandwidth-bound';
}

const MEANING: Readonly<Record<Collective | 'p2p', string>> = {
  allreduce: "each rank's buffer",
  reducescatter: "each rank's input",
  allgather: 'the gathered result',
  alltoall: "each rank's input",
  broadcast: "the root's buffer",
  reduce: "each rank's buffer",
  p2p: 'one message',
};

const BUSBW_FACTOR: Readonly<Record<Collective, string>> = {
  allreduce: '2(n-1)/n',
  reducescatter: '(n-1)/n',
  allgather: '(n-1)/n',
  alltoall: '(n-1)/n',
  broadcast: '1',
  reduce: '1',
};

const pad = (label: string) => label.padEnd(12);

const PHASES: Readonly<Record<string, string>> = {
  reduce_scatter_intra: '  RS intra',
  allreduce_inter: '  AR inter',
  all_gather_intra: '  AG intra',
};

function linkLines(r: ModelResult): string[] {
  if (typeof r.alpha === 'number' && typeof r.beta === 'number') {
    return [`${pad('alpha')}${formatSeconds(r.alpha)}`, `${pad('beta')}${formatBandwidth(r.beta)}`];
  }
  const [a, b] = [r.alpha as PerLevel, r.beta as PerLevel];
  return [
    `${pad('intra')}alpha ${formatSeconds(a.intra)}, beta ${formatBandwidth(b.intra)}`,
    `${pad('inter')}alpha ${formatSeconds(a.inter)}, beta ${formatBandwidth(b.inter)}`,
  ];
}

function timeLine(t: TermFields, label = 'time'): string {
  const parts = [
    `${formatSeconds(t.latency_term)} latency (${t.steps} step${t.steps === 1 ? '' : 's'})`,
    `${formatSeconds(t.bandwidth_term)} bandwidth`,
    ...(t.reduce_term === undefined ? [] : [`${formatSeconds(t.reduce_term)} reduction`]),
  ];
  return `${pad(label)}${formatSeconds(t.time)} = ${parts.join(' + ')}`;
}

export function renderModel(r: ModelResult): string[] {
  const shape =
    r.collective === 'p2p'
      ? 'p2p, alpha + n/beta'
      : r.nodes === undefined
        ? `${r.collective} ${r.algorithm}, ${r.ranks} ranks`
        : `${r.collective} ${r.algorithm}, ${r.nodes} nodes x ${r.ranks_per_node} ranks`;
  const lines = [
    `# fleetlab model: ${shape}`,
    `${pad('size')}${formatBytes(r.bytes)}, ${MEANING[r.collective]}`,
    ...linkLines(r),
    ...(r.gamma === undefined ? [] : [`${pad('gamma')}${r.gamma.toExponential(3)} s/B`]),
    ...(r.chunks === undefined ? [] : [`${pad('chunks')}${r.chunks}`]),
    timeLine(r),
  ];
  for (const [name, t] of Object.entries(r.phases ?? {})) {
    lines.push(timeLine(t, PHASES[name] ?? `  ${name}`));
  }
  if (r.algbw !== undefined && r.busbw !== undefined && r.collective !== 'p2p') {
    lines.push(
      `${pad('algbw')}${formatBandwidth(r.algbw)}, busbw ${formatBandwidth(r.busbw)} ` +
        `(algbw x ${BUSBW_FACTOR[r.collective]}, as nccl-tests)`,
    );
  }
  if (r.crossover_bytes !== undefined) {
    lines.push(
      `${pad('crossover')}n* = alpha x beta = ${formatBytes(r.crossover_bytes)}; ` +
        `below it latency dominates: this message is ${r.regime}`,
    );
  }
  if (r.ring_tree_crossover !== undefined) {
    const c = r.ring_tree_crossover;
    lines.push(
      `${pad('ring/tree')}tree AllReduce is faster below ${formatBytes(c.exact_bytes)}; ` +
        `the book's N alpha beta / log2 N: ${formatBytes(c.approx_bytes)}`,
    );
  }
  return lines;
}
