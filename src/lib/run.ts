// fleetlab/run: run a plan on a WebGPU device and set it beside its faces of time. The runner
// (runPlan) checks the GPU's result against the CPU interpreter; a device comes from
// acquireDevice with a provider (browserProvider here, nodeProvider in fleetlab/node) and the
// WGSL from a ShaderLibrary (nodeShaders in Node; in a bundled page, libraryFrom over the
// package's shaders/*.wgsl).
export {
  type Calibration,
  type CalibrationRow,
  calibrate,
  type SweepOptions,
  sweepSizes,
} from '../exec/calibration/microbench.ts';
export { GraphExecutor } from '../exec/executor/graph.ts';
export { GpuExecutor } from '../exec/executor/steps.ts';
export { interpretGraph } from '../exec/interpreter/graph.ts';
export {
  allocateBuffers,
  cloneBuffers,
  interpret,
  type RankBuffers,
} from '../exec/interpreter/steps.ts';
export { type BenchRow, benchPlan, countWrong } from '../exec/measure/collective-bench.ts';
export { type Trace, traceOf } from '../exec/measure/trace.ts';
export { randomBuffers } from '../exec/random/fill.ts';
export {
  type AcquireOptions,
  type AdapterReport,
  acquireDevice,
  describeAdapter,
  type GpuContext,
} from '../gpu/device.ts';
export {
  GpuOperationError,
  LimitError,
  NoAdapterError,
  ShaderCompileError,
} from '../gpu/errors.ts';
export { PipelineCache } from '../gpu/pipelines.ts';
export { browserProvider, type GpuProvider } from '../gpu/provider.ts';
export { libraryFrom, type ShaderLibrary } from '../gpu/shader-library.ts';
export { detectTimestampRegime, type TimestampRegime } from '../gpu/timer.ts';
export {
  analyticFace,
  type EmulatedFace,
  emulatedFace,
  type ModelFace,
  modelFace,
} from '../run/faces.ts';
export { checkMoe, type MoeRun, priceMoe, runMoe } from '../run/moe.ts';
export {
  type EmulatedFabric,
  type PlanRun,
  type RunContext,
  type RunOptions,
  runPlan,
} from '../run/run-plan.ts';
