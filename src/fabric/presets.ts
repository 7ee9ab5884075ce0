// Real links with their alpha and beta, each number with where it comes from. beta is the
// nominal data rate of one direction (after line encoding); measured rates run lower, and
// alpha is as much software as wire, so both stay parameters the user sees and can change.
// Where sources disagree, the note says which figure was taken (MODELS.md).
import type { LinkSpec } from './topologies.ts';

export interface LinkPreset extends LinkSpec {
  readonly name: string;
  readonly title: string;
  readonly alpha_source: string;
  readonly beta_source: string;
  /** The choice made where sources differ, and what the figure leaves out. */
  readonly note: string;
}

// NCCL's cost model (src/graph/tuning.cc, hwLat) charges each ring step a latency per link
// kind and protocol; LL128 is the protocol that pairs low latency with near full bandwidth,
// so its column is the one alpha-beta pair that best stands for NCCL on that link.
const NCCL_TUNING = 'NCCL src/graph/tuning.cc hwLat, ring step, LL128 protocol';

export const LINK_PRESETS = {
  nvlink4: {
    name: 'nvlink4',
    title: 'NVLink 4 (H100 SXM), per direction',
    alpha_s: 1.9e-6,
    beta_Bps: 450e9,
    alpha_source: `${NCCL_TUNING}: NVLink 1.9 us (LL 0.6 us, Simple 3.4 us)`,
    beta_source: 'NVIDIA H100 SXM datasheet: NVLink 900 GB/s, both directions of 18 links together',
    note:
      'beta is per direction, 450 GB/s; the book sometimes takes 900 GB/s, the two directions ' +
      'together, which halves every bandwidth term',
  },
  'ib-ndr': {
    name: 'ib-ndr',
    title: 'InfiniBand NDR 400 Gb/s',
    alpha_s: 5e-6,
    beta_Bps: 50e9,
    alpha_source:
      "the book's worked examples (alpha from 1.5 to 5 us; 5 us taken); NCCL's tuning.cc " +
      'charges a network ring step 4.0 us (LL128) to 14 us (Simple)',
    beta_source: 'InfiniBand NDR: 400 Gb/s per 4x port = 50 GB/s per direction',
    note:
      'the book varies alpha from 1.5 to 5 us; the upper value is taken, nearer what NCCL ' +
      'achieves (effective alpha runs 5-10x the switch and wire latency)',
  },
  pcie4: {
    name: 'pcie4',
    title: 'PCIe 4.0 x16, per direction',
    alpha_s: 2.5e-6,
    beta_Bps: 31.5e9,
    alpha_source: `${NCCL_TUNING}: PCI 2.5 us (LL 1.0 us, Simple 5.7 us)`,
    beta_source: 'PCI-SIG PCIe 4.0: 16 GT/s x 16 lanes x 128/130 encoding / 8 = 31.5 GB/s',
    note:
      'beta is the theoretical 31.5 GB/s; packet overhead leaves about 25 GB/s achievable, ' +
      'so expect measured copies near 0.8 of this',
  },
  '100gbe': {
    name: '100gbe',
    title: '100 Gigabit Ethernet (RoCE v2)',
    alpha_s: 5e-6,
    beta_Bps: 12.5e9,
    alpha_source:
      'assumed as InfiniBand: with RDMA (RoCE v2) NCCL models every network with one latency',
    beta_source: 'IEEE 802.3 100 GbE: 100 Gb/s / 8 = 12.5 GB/s per direction',
    note: 'alpha assumes RDMA; over kernel TCP sockets expect several times more',
  },
} as const satisfies Record<string, LinkPreset>;

export type LinkPresetName = keyof typeof LINK_PRESETS;

export function linkPreset(name: string): LinkPreset {
  const preset = Object.hasOwn(LINK_PRESETS, name)
    ? (LINK_PRESETS as Record<string, LinkPreset>)[name]
    : undefined;
  if (!preset) {
    throw new RangeError(
      `no link preset '${name}' (presets: ${Object.keys(LINK_PRESETS).join(', ')})`,
    );
  }
  return preset;
}
