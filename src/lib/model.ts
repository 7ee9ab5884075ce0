// fleetlab/model: what a plan costs. The textbook's closed forms, the event-driven pricer over a
// plan's graph on a fabric, nccl-tests' bus bandwidth, the calibration fits of this GPU, and
// the units every number is printed in. No GPU.
export { allToAllvSeconds, balancedCounts } from '../model/alltoallv.ts';
export { algBw, busBw, busBwFactor } from '../model/busbw.ts';
export {
  type CalibrationFigures,
  type CalibrationSample,
  calibratedLocalFabric,
  fitLocalCalibration,
  type LocalCalibration,
} from '../model/calibration.ts';
export { type ChromeTrace, chromeTrace, type TraceEvent } from '../model/chrome-trace.ts';
export {
  type AlphaBeta,
  CLOSED_FORMS,
  type ClosedForm,
  type CostTerms,
  closedForm,
  type ModelParams,
} from '../model/closed-forms.ts';
export { type GraphPrice, type PriceGraphOptions, priceGraph } from '../model/event-pricer.ts';
export {
  type AvailableModel,
  describeExecutorModel,
  type ExecutorModel,
  executorModelFromLocal,
  executorPlanSeconds,
  fitExecutorModel,
  localExecutorModel,
  type UnavailableModel,
} from '../model/executor-model.ts';
export { type MoeSizing, type MoeSizingInput, moeSizing } from '../model/moe.ts';
export {
  type NcclFit,
  NcclParseError,
  type NcclPlacement,
  type NcclRow,
  type NcclRun,
  parseNcclTests,
} from '../model/nccl-tests.ts';
export { type PlanPrice, pricePlan, type StepPrice } from '../model/pricer.ts';
export { formatBandwidth, formatBytes, formatSeconds } from '../model/units.ts';
