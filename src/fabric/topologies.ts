// Fabrics of N ranks from one kind of link (or two, for two-level): ring, switch, 2D torus,
// two-level nodes, and `local`, this GPU hosting every rank.
import { checkAlpha, checkBeta, checkGamma, checkRanks } from './checks.ts';
import {
  type Endpoint,
  type Fabric,
  type Link,
  linkId,
  MEMORY_LINK,
  nic,
  nodeSwitch,
  type Topology,
} from './fabric.ts';

/** A link's figures: seconds per message and bytes per second in one direction. */
export interface LinkSpec {
  readonly alpha_s: number;
  readonly beta_Bps: number;
}

/** What a fabric holds beside its links: reduction and rank-local copy costs. */
export interface FabricOptions {
  readonly name?: string;
  readonly gamma_s_per_B?: number;
  readonly memory_Bps?: number;
}

function checkLink(spec: LinkSpec, what: string): void {
  checkAlpha(spec.alpha_s, `${what} alpha`);
  checkBeta(spec.beta_Bps, `${what} beta`);
}

function fabric(
  name: string,
  ranks: number,
  topology: Topology,
  links: Link[],
  options: FabricOptions,
): Fabric {
  if (options.gamma_s_per_B !== undefined) checkGamma(options.gamma_s_per_B);
  if (options.memory_Bps !== undefined) checkBeta(options.memory_Bps, 'memory bandwidth');
  return {
    name: options.name ?? name,
    ranks,
    topology,
    links,
    ...(options.gamma_s_per_B === undefined ? {} : { gamma_s_per_B: options.gamma_s_per_B }),
    ...(options.memory_Bps === undefined ? {} : { memory_Bps: options.memory_Bps }),
  };
}

/** Adds the link from -> to once (a dimension of size 2 has the same neighbour both ways). */
function addLink(links: Map<string, Link>, from: Endpoint, to: Endpoint, spec: LinkSpec): void {
  const id = linkId(from, to);
  if (!links.has(id)) links.set(id, { id, from, to, ...pick(spec) });
}

const pick = ({ alpha_s, beta_Bps }: LinkSpec) => ({ alpha_s, beta_Bps });

/** Links both ways between each rank and its neighbours on a ring of `size` (x stride). */
function ringLinks(
  links: Map<string, Link>,
  size: number,
  rankAt: (i: number) => number,
  spec: LinkSpec,
): void {
  if (size < 2) return;
  for (let i = 0; i < size; i++) {
    const [a, b] = [rankAt(i), rankAt((i + 1) % size)];
    addLink(links, a, b, spec);
    addLink(links, b, a, spec);
  }
}

/** Ranks on a ring, each linked both ways to its two neighbours; routes go the shorter way. */
export function ringFabric(ranks: number, spec: LinkSpec, options: FabricOptions = {}): Fabric {
  checkRanks(ranks);
  checkLink(spec, 'link');
  const links = new Map<string, Link>();
  ringLinks(links, ranks, (i) => i, spec);
  return fabric(`ring of ${ranks}`, ranks, { kind: 'ring' }, [...links.values()], options);
}

/**
 * Every rank on one non-blocking switch (a crossbar, as NVSwitch): an uplink and a downlink
 * per rank; a transfer uses the sender's uplink and the receiver's downlink, so only transfers
 * from one sender, or to one receiver, share a link.
 */
export function switchFabric(ranks: number, spec: LinkSpec, options: FabricOptions = {}): Fabric {
  checkRanks(ranks);
  checkLink(spec, 'link');
  const links: Link[] = [];
  for (let r = 0; r < ranks; r++) {
    links.push({ id: linkId(r, 'switch'), from: r, to: 'switch', ...pick(spec) });
    links.push({ id: linkId('switch', r), from: 'switch', to: r, ...pick(spec) });
  }
  return fabric(`switch of ${ranks}`, ranks, { kind: 'switch' }, links, options);
}

/** The most nearly square x by y = ranks (x <= y); a prime count gives 1 by ranks, a ring. */
export function nearSquareDims(ranks: number): [number, number] {
  checkRanks(ranks);
  let x = Math.floor(Math.sqrt(ranks));
  while (ranks % x !== 0) x--;
  return [x, ranks / x];
}

/**
 * A 2D torus: rank r at (r mod x, floor(r / x)), linked both ways to its neighbours along x
 * and along y with wrap-around; routes go along x, then y (dimension-order routing).
 */
export function torusFabric(
  ranks: number,
  spec: LinkSpec,
  dims: readonly [number, number] = nearSquareDims(ranks),
  options: FabricOptions = {},
): Fabric {
  checkRanks(ranks);
  checkLink(spec, 'link');
  const [nx, ny] = dims;
  checkRanks(nx, 'torus x');
  checkRanks(ny, 'torus y');
  if (nx * ny !== ranks) {
    throw new RangeError(`torus ${nx} x ${ny} holds ${nx * ny} ranks, not ${ranks}`);
  }
  const links = new Map<string, Link>();
  for (let y = 0; y < ny; y++) ringLinks(links, nx, (i) => y * nx + i, spec);
  for (let x = 0; x < nx; x++) ringLinks(links, ny, (i) => i * nx + x, spec);
  return fabric(
    `torus ${nx} x ${ny}`,
    ranks,
    { kind: 'torus', dims: [nx, ny] },
    [...links.values()],
    options,
  );
}

export interface TwoLevelSpec {
  readonly nodes: number;
  readonly ranksPerNode: number;
  /** Each rank's port on its node's switch (NVLink to NVSwitch, say). */
  readonly intra: LinkSpec;
  /** Each NIC's port on the network (InfiniBand, say). */
  readonly inter: LinkSpec;
  /**
   * NICs per node (default 1); rank r of a node uses NIC r mod this. A DGX H100 has one per
   * GPU: set it to ranksPerNode to give every rank its own.
   */
  readonly nicsPerNode?: number;
}

/**
 * Nodes of G ranks: inside a node, ranks meet on the node's switch (uplink and downlink per
 * rank); between nodes, a transfer leaves by the sender's NIC and enters by the receiver's,
 * through a network that is not itself a bottleneck. The hop from a GPU to its NIC (PCIe) is
 * not modelled.
 */
export function twoLevelFabric(spec: TwoLevelSpec, options: FabricOptions = {}): Fabric {
  const { nodes, ranksPerNode: g } = spec;
  const nics = spec.nicsPerNode ?? 1;
  checkRanks(nodes, 'nodes');
  checkRanks(g, 'ranks per node');
  checkRanks(nics, 'NICs per node');
  checkLink(spec.intra, 'intra');
  checkLink(spec.inter, 'inter');
  if (nics > g) throw new RangeError(`NICs per node ${nics} must be <= ranks per node ${g}`);
  const links: Link[] = [];
  const add = (from: Endpoint, to: Endpoint, s: LinkSpec) =>
    links.push({ id: linkId(from, to), from, to, ...pick(s) });
  for (let k = 0; k < nodes; k++) {
    for (let i = 0; i < g; i++) {
      add(k * g + i, nodeSwitch(k), spec.intra);
      add(nodeSwitch(k), k * g + i, spec.intra);
    }
    for (let j = 0; j < nics; j++) {
      add(nic(k, j), 'net', spec.inter);
      add('net', nic(k, j), spec.inter);
    }
  }
  const topology: Topology = {
    kind: 'two-level',
    nodes,
    ranks_per_node: g,
    nics_per_node: nics,
  };
  return fabric(`${nodes} nodes x ${g} ranks`, nodes * g, topology, links, options);
}

export interface LocalSpec extends LinkSpec {
  readonly gamma_s_per_B?: number;
}

/**
 * This GPU hosting every rank: one memory system that all transfers share, so the bisection
 * is the memory bandwidth. beta counts message bytes copied per second (each byte read once
 * and written once, so half the roofline's read + write rate); alpha is a step's fixed cost
 * (one dispatch), which the pricer charges once a step since a step's ops share the link.
 */
export function localFabric(ranks: number, spec: LocalSpec, options: FabricOptions = {}): Fabric {
  checkRanks(ranks);
  checkLink(spec, 'memory');
  const memory: Link = { id: MEMORY_LINK, from: 'gpu', to: 'gpu', ...pick(spec) };
  return fabric(`local GPU, ${ranks} ranks`, ranks, { kind: 'local' }, [memory], {
    ...(spec.gamma_s_per_B === undefined ? {} : { gamma_s_per_B: spec.gamma_s_per_B }),
    ...options,
  });
}
