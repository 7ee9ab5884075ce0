// The training chapter's closed forms (../shared/MODELS.md, "Training parallelism"), beside
// which the emulated timelines of the training plans stand:
//
//   layer overlap    per layer a backward of b seconds and a gradient AllReduce of c seconds;
//                    a layer's AllReduce can start once its backward is done and the AllReduce
//                    before it has finished (one comm stream): a two-stage pipeline over L layers,
//                        no overlap  L (b + c)
//                        overlap     b + (L - 1) max(b, c) + c      (= L b + c when c <= b:
//                                    only the last layer's AllReduce is exposed)
//   ZeRO             bytes a rank holds of P parameters at B bytes each (mixed-precision Adam:
//                    B = 16 = 2 weights + 2 gradients + 12 optimizer state), sharded over N:
//                        stage 0  all of it; 1 the optimizer state / N; 2 and the gradients / N;
//                        3 and the weights / N    (16 P, (4 + 12/N) P, (2 + 14/N) P, 16 P / N)
//   pipeline bubble  p stages, m micro-batches, V chunks a stage (interleaved):
//                        (p - 1) / (p - 1 + m V)     (GPipe and 1F1B: V = 1)

/** RangeError unless `v` is a number in [min, max]; `whole` also asks for an integer. */
function check(name: string, v: number, min: number, max: number, whole = false): void {
  if (!Number.isFinite(v) || v < min || v > max || (whole && !Number.isInteger(v))) {
    throw new RangeError(
      `${name} ${v} must be a ${whole ? 'whole ' : ''}number from ${min} to ${max}`,
    );
  }
}

export interface OverlapTimes {
  readonly no_overlap_s: number;
  readonly overlap_s: number;
  /** no_overlap_s - overlap_s. */
  readonly savings_s: number;
  /** Of the comm, the seconds hidden under backward: savings / (L c) (0 without comm). */
  readonly hidden_fraction: number;
}

/** The layer-overlap model: L layers, each b seconds of backward and c of AllReduce. */
export function layerOverlap(layers: number, backward_s: number, comm_s: number): OverlapTimes {
  check('layers', layers, 1, 1e6, true);
  check('backward', backward_s, 0, 1e6);
  check('comm', comm_s, 0, 1e6);
  const no_overlap_s = layers * (backward_s + comm_s);
  const overlap_s = backward_s + (layers - 1) * Math.max(backward_s, comm_s) + comm_s;
  const savings_s = no_overlap_s - overlap_s;
  const total = layers * comm_s;
  return { no_overlap_s, overlap_s, savings_s, hidden_fraction: total > 0 ? savings_s / total : 0 };
}

export type ZeroStage = 0 | 1 | 2 | 3;

export interface ZeroBytes {
  readonly params: number;
  readonly grads: number;
  readonly optimizer: number;
  readonly total: number;
}

/**
 * Bytes per rank under ZeRO `stage` for P parameters over N ranks. Of `bytesPerParam` (16 for
 * mixed-precision Adam), 2 are the weights, 2 the gradients and the rest optimizer state; with
 * fp32 training and plain SGD (what fleetlab's step runs) pass 8: 4 + 4 + 0.
 */
export function zeroBytesPerRank(
  params: number,
  ranks: number,
  stage: ZeroStage,
  bytesPerParam = 16,
  split: { readonly weight: number; readonly grad: number } = { weight: 2, grad: 2 },
): ZeroBytes {
  check('params', params, 0, 1e15);
  check('ranks', ranks, 1, 1e7, true);
  check('stage', stage, 0, 3, true);
  const optimizerPerParam = bytesPerParam - split.weight - split.grad;
  if (optimizerPerParam < 0) {
    throw new RangeError(
      `bytes per param ${bytesPerParam} is less than the weight and gradient bytes (${split.weight + split.grad})`,
    );
  }
  const share = (sharded: boolean, perParam: number) =>
    (sharded ? perParam / ranks : perParam) * params;
  const p = share(stage >= 3, split.weight);
  const g = share(stage >= 2, split.grad);
  const o = share(stage >= 1, optimizerPerParam);
  return { params: p, grads: g, optimizer: o, total: p + g + o };
}

/** The pipeline bubble fraction: (p - 1) / (p - 1 + m V). */
export function pipelineBubble(stages: number, microbatches: number, virtual = 1): number {
  check('stages', stages, 1, 1e6, true);
  check('microbatches', microbatches, 1, 1e9, true);
  check('virtual', virtual, 1, 1e6, true);
  return (stages - 1) / (stages - 1 + microbatches * virtual);
}
