// Whole fabrics by name: a topology and the real links it is built of (presets.ts gives each
// link's numbers and their sources). The bench's emulated column and the view pick from these.
import type { Fabric } from './fabric.ts';
import { LINK_PRESETS } from './presets.ts';
import {
  type FabricOptions,
  type LinkSpec,
  ringFabric,
  switchFabric,
  torusFabric,
  twoLevelFabric,
} from './topologies.ts';

export interface FabricPreset {
  readonly name: string;
  readonly title: string;
  /** The fabric for `ranks`; `link` replaces the preset's bottleneck link (alpha/beta overrides). */
  readonly build: (ranks: number, options?: FabricOptions, link?: LinkSpec) => Fabric;
  /** The one link the textbook's closed forms assume for this fabric (its bottleneck). */
  readonly link: LinkSpec;
}

const { nvlink4, pcie4 } = LINK_PRESETS;
const ib = LINK_PRESETS['ib-ndr'];
const eth = LINK_PRESETS['100gbe'];

// A DGX H100 node: 8 GPUs on NVSwitch, one NDR NIC per GPU.
const DGX_RANKS = 8;

export const FABRIC_PRESETS: readonly FabricPreset[] = [
  {
    name: 'nvswitch',
    title: 'one node, NVLink 4 to an NVSwitch crossbar',
    build: (n, o, l) => switchFabric(n, l ?? nvlink4, o),
    link: nvlink4,
  },
  {
    name: 'nvlink-ring',
    title: 'NVLink 4 links in a ring',
    build: (n, o, l) => ringFabric(n, l ?? nvlink4, o),
    link: nvlink4,
  },
  {
    name: 'pcie4',
    title: 'PCIe 4.0 x16 to one switch',
    build: (n, o, l) => switchFabric(n, l ?? pcie4, o),
    link: pcie4,
  },
  {
    name: 'ib-ndr',
    title: 'one rank a node, InfiniBand NDR non-blocking fat tree',
    build: (n, o, l) => switchFabric(n, l ?? ib, o),
    link: ib,
  },
  {
    name: '100gbe',
    title: 'one rank a node, 100 GbE (RoCE v2) switch',
    build: (n, o, l) => switchFabric(n, l ?? eth, o),
    link: eth,
  },
  {
    name: 'torus-ib',
    title: '2D torus of InfiniBand NDR links',
    build: (n, o, l) => torusFabric(n, l ?? ib, undefined, o),
    link: ib,
  },
  {
    name: 'dgx-h100',
    title: 'DGX H100 nodes: 8 ranks on NVSwitch, one NDR NIC per rank',
    build: (n, o, l) => {
      if (n > DGX_RANKS && n % DGX_RANKS !== 0) {
        throw new RangeError(
          `dgx-h100 needs ranks <= ${DGX_RANKS} or a multiple of ${DGX_RANKS}, not ${n}`,
        );
      }
      const g = Math.min(n, DGX_RANKS);
      return twoLevelFabric(
        { nodes: n / g, ranksPerNode: g, intra: nvlink4, inter: l ?? ib, nicsPerNode: g },
        o,
      );
    },
    link: ib,
  },
];

export function fabricPreset(name: string): FabricPreset {
  const preset = FABRIC_PRESETS.find((p) => p.name === name);
  if (!preset) {
    throw new RangeError(
      `no fabric preset '${name}' (presets: ${FABRIC_PRESETS.map((p) => p.name).join(', ')})`,
    );
  }
  return preset;
}
