// The expert-parallel all-to-all, sized as the textbook does (../shared/MODELS.md, "expert
// parallel"; BOOK-EXAMPLES.md example 11): T tokens over N ranks, each token a hidden vector of
// H elements of B bytes sent to its top k experts, E experts spread evenly over the ranks, and
// the routing balanced, so every rank sends an equal share of its token copies to every rank:
//
//   tokens a rank        T / N
//   bytes a token        H B
//   tokens an expert     T k / E
//   bytes a transfer     (T / N) k / N x H B          (one rank to one other rank)
//   a transfer           alpha + bytes / beta
//   serialized           (N - 1) transfers one after another (one link at a time)
//   parallel             one transfer's time (all N - 1 at once, a link each)
//
// Choices, and why: the means are not rounded (T / N tokens need not be whole; the book's
// example divides evenly), and a rank's share to itself moves no bytes, so N - 1 transfers.
// Dispatch and combine are two such all-to-alls a layer: twice the parallel time.

export interface MoeSizingInput {
  readonly tokens: number;
  readonly ranks: number;
  readonly hidden: number;
  readonly dtypeBytes: number;
  readonly experts: number;
  readonly topK: number;
  readonly alpha_s: number;
  readonly beta_Bps: number;
}

export interface MoeSizing {
  readonly tokens_per_rank: number;
  readonly bytes_per_token: number;
  readonly tokens_per_expert: number;
  readonly bytes_per_transfer: number;
  /** Bytes one rank sends in one all-to-all: (N - 1) transfers. */
  readonly bytes_sent_per_rank: number;
  readonly transfer_s: number;
  readonly serialized_s: number;
  readonly parallel_s: number;
  /** Dispatch and combine, each a parallel all-to-all. */
  readonly dispatch_combine_s: number;
}

function check(name: string, v: number, min: number, whole: boolean): void {
  if (!Number.isFinite(v) || v < min || (whole && !Number.isInteger(v))) {
    throw new RangeError(`${name} ${v} must be a ${whole ? 'whole ' : ''}number >= ${min}`);
  }
}

/** The book's sizing of one MoE all-to-all. RangeError naming a value no layer has. */
export function moeSizing(m: MoeSizingInput): MoeSizing {
  check('tokens', m.tokens, 1, true);
  check('ranks', m.ranks, 1, true);
  check('hidden', m.hidden, 1, true);
  check('dtype-bytes', m.dtypeBytes, 1, true);
  check('experts', m.experts, 1, true);
  check('top-k', m.topK, 1, true);
  check('alpha', m.alpha_s, 0, false);
  if (!(m.beta_Bps > 0) || !Number.isFinite(m.beta_Bps)) {
    throw new RangeError(`beta ${m.beta_Bps} B/s must be above 0 B/s`);
  }
  if (m.experts < m.ranks) {
    throw new RangeError(`experts ${m.experts} must be at least ranks ${m.ranks} (E / N a rank)`);
  }
  if (m.topK > m.experts) {
    throw new RangeError(`top-k ${m.topK} must be at most experts ${m.experts}`);
  }
  const N = m.ranks;
  const tokens_per_rank = m.tokens / N;
  const bytes_per_token = m.hidden * m.dtypeBytes;
  const bytes_per_transfer = ((tokens_per_rank * m.topK) / N) * bytes_per_token;
  const transfer_s = N > 1 ? m.alpha_s + bytes_per_transfer / m.beta_Bps : 0;
  const parallel_s = transfer_s;
  return {
    tokens_per_rank,
    bytes_per_token,
    tokens_per_expert: (m.tokens * m.topK) / m.experts,
    bytes_per_transfer,
    bytes_sent_per_rank: (N - 1) * bytes_per_transfer,
    transfer_s,
    serialized_s: (N - 1) * transfer_s,
    parallel_s,
    dispatch_combine_s: 2 * parallel_s,
  };
}
