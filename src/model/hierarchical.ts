// Hierarchical AllReduce on K nodes of G ranks (MODELS.md): reduce-scatter inside each node,
// a ring AllReduce of each rank's M/G shard across the K nodes, all-gather inside the node.
// The G inter-node rings run side by side, each on its own rank's share of the network: beta
// inter is what one rank gets (a NIC per rank, or the node's NIC bandwidth divided by G).
import { checkRanks } from '../fabric/checks.ts';
import {
  type AlphaBeta,
  allGatherRing,
  allReduceRing,
  type CostTerms,
  reduceScatterRing,
} from './closed-forms.ts';

export interface HierarchicalParams {
  readonly nodes: number;
  readonly ranksPerNode: number;
  /** The link between ranks of one node (NVLink, say). */
  readonly intra: AlphaBeta;
  /** The link between nodes, as one rank sees it (InfiniBand, say). */
  readonly inter: AlphaBeta;
}

export interface HierarchicalTerms extends CostTerms {
  readonly phases: {
    readonly reduce_scatter_intra: CostTerms;
    readonly allreduce_inter: CostTerms;
    readonly all_gather_intra: CostTerms;
  };
}

/** T = RS_intra(M) + AR_ring_inter(M/G over K nodes) + AG_intra(M). */
export function allReduceHierarchical(bytes: number, p: HierarchicalParams): HierarchicalTerms {
  checkRanks(p.nodes, 'nodes');
  checkRanks(p.ranksPerNode, 'ranks per node');
  const rs = reduceScatterRing(p.ranksPerNode, bytes, p.intra);
  const ar = allReduceRing(p.nodes, bytes / p.ranksPerNode, p.inter);
  const ag = allGatherRing(p.ranksPerNode, bytes, p.intra);
  const phases = [rs, ar, ag];
  const sum = (pick: (t: CostTerms) => number) => phases.reduce((s, t) => s + pick(t), 0);
  const reduced = phases.some((t) => t.reduce_term !== undefined);
  return {
    time: sum((t) => t.time),
    latency_term: sum((t) => t.latency_term),
    bandwidth_term: sum((t) => t.bandwidth_term),
    ...(reduced ? { reduce_term: sum((t) => t.reduce_term ?? 0) } : {}),
    steps: sum((t) => t.steps),
    phases: { reduce_scatter_intra: rs, allreduce_inter: ar, all_gather_intra: ag },
  };
}
