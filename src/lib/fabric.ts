// fleetlab/fabric: ranks, links and topologies, and presets of real fabrics (each link's numbers
// with their sources) to price a plan on.
export { type Fabric, type Link, type LinkId, route, type Topology } from '../fabric/fabric.ts';
export { FABRIC_PRESETS, type FabricPreset, fabricPreset } from '../fabric/fabric-presets.ts';
export {
  LINK_PRESETS,
  type LinkPreset,
  type LinkPresetName,
  linkPreset,
} from '../fabric/presets.ts';
export {
  parseStragglers,
  type Straggler,
  slowFabric,
  slowKernels,
} from '../fabric/stragglers.ts';
export {
  type FabricOptions,
  type LinkSpec,
  localFabric,
  ringFabric,
  switchFabric,
  type TwoLevelSpec,
  torusFabric,
  twoLevelFabric,
} from '../fabric/topologies.ts';
