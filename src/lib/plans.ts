// fleetlab/plans: plans as data. Build a collective (by name through the registry, or a builder
// directly), a tensor-parallel layer, or compose plans; validate them; read their graph. No GPU.
export { allGatherLayout, allReduceLayout, MAX_PLAN_RANKS, MAX_RANKS } from '../plans/build.ts';
export {
  type BufferPlace,
  concurrently,
  type Embedded,
  embed,
  lastTasks,
  type Part,
  type Placement,
  sequence,
} from '../plans/combinators.ts';
export { dbtreeAllReduce } from '../plans/dbtree.ts';
export { directAllReduce } from '../plans/direct.ts';
export {
  DTYPE_INFO,
  DTYPES,
  type Dtype,
  isDtype,
  isRedOp,
  REDOPS,
  type RedOp,
} from '../plans/dtype.ts';
export {
  ALLTOALLV_ALGORITHMS,
  type AllToAllvSpec,
  allToAllv,
  checkCounts,
  skewedCounts,
} from '../plans/experts/alltoallv.ts';
export {
  checkMoeSpec,
  type MoeLayout,
  type MoeSpec,
  moeLayerGraph,
  moeLayout,
  moeRouterGraph,
} from '../plans/experts/moe-layer.ts';
export {
  expertCapacity,
  type Routing,
  type RoutingSpec,
  routeTokens,
} from '../plans/experts/routing.ts';
export { graphOf } from '../plans/from-steps.ts';
export {
  type BufferSpec,
  type Graph,
  type KernelTask,
  type MoveTask,
  type PlanInfo,
  STREAMS,
  type Stream,
  type Task,
  waves,
} from '../plans/graph.ts';
export { hierarchicalAllReduce } from '../plans/hierarchical.ts';
export { pairwiseAllToAll } from '../plans/pairwise.ts';
export { ringBroadcast, ringReduce } from '../plans/pipelined.ts';
export {
  COLLECTIVES,
  type Collective,
  type CollectiveSpec,
  type KernelOp,
  type Op,
  type Place,
  type Plan,
  type Region,
  type Step,
} from '../plans/plan.ts';
export { PLAN_PRESETS, type PlanPreset, TEXTBOOK_RING } from '../plans/presets.ts';
export { ALGORITHMS, builderFor, type PlanBuilder } from '../plans/registry.ts';
export { rhdAllGather, rhdAllReduce, rhdReduceScatter } from '../plans/rhd.ts';
export { ringAllGather, ringAllReduce, ringReduceScatter } from '../plans/ring.ts';
export {
  LAYOUT_COMMS,
  MAX_TP_DIM,
  MAX_TP_RANKS,
  type TensorParallelSpec,
  type TpComm,
  tensorParallel,
  tensorParallelGraph,
} from '../plans/tensor-parallel.ts';
export { treeAllReduce, treeBroadcast, treeReduce } from '../plans/tree.ts';
export { PlanError, validatePlan } from '../plans/validate.ts';
export { validateGraph } from '../plans/validate-graph.ts';
