// The fabric drawn with three.js: ranks where the topology puts them, links between them, each
// rank's buffer as a strip of cells coloured by value (the values the GPU left after the step
// shown), and the step's ops as packets travelling along links, coloured by chunk. The
// renderer shares fleetlab's GPUDevice; without WebGPU three.js draws through WebGL 2.
import {
  BufferGeometry,
  Color,
  Float32BufferAttribute,
  InstancedMesh,
  LineBasicMaterial,
  LineSegments,
  Matrix4,
  MeshBasicMaterial,
  OrthographicCamera,
  PlaneGeometry,
  Scene,
  SRGBColorSpace,
  WebGPURenderer,
} from 'three/webgpu';

/** A rank's or a hub's place in the plane, in layout units (the scene fits them to the view). */
export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface SceneLayout {
  readonly ranks: readonly Point[];
  readonly hubs: readonly (Point & { readonly id: string })[];
  /** Segments to draw: endpoints are rank indices or hub ids. */
  readonly links: readonly { readonly from: number | string; readonly to: number | string }[];
}

export interface Packet {
  /** The points it passes, rank to rank through any switch or NIC on the route. */
  readonly path: readonly Point[];
  /** sRGB [r, g, b] in 0..1. */
  readonly colour: readonly [number, number, number];
}

export type ValueColour = (value: number) => readonly [number, number, number];

const BACKGROUND = 0x0d1117;
const LINK = 0x6e7681;
const HUB = 0xc9d1d9;

export class FabricScene {
  private readonly scene = new Scene();
  private readonly camera = new OrthographicCamera(-1, 1, 1, -1, -10, 10);
  private cells?: InstancedMesh;
  private packets?: InstancedMesh;
  private links?: LineSegments;
  private hubs?: InstancedMesh;
  private layout?: SceneLayout;
  private cellsPerRank = 0;
  private cellSize = 0.1;
  private cellHeight = 0.1;
  private stripWidth = 0.1;
  private readonly m = new Matrix4();
  private readonly c = new Color();

  private constructor(readonly renderer: WebGPURenderer) {
    this.scene.background = new Color(BACKGROUND);
  }

  /** A scene on `canvas`, drawing with `device` when given (else three.js picks a backend). */
  static async create(canvas: HTMLCanvasElement, device?: GPUDevice): Promise<FabricScene> {
    const renderer = new WebGPURenderer(
      device ? { canvas, device, antialias: true } : { canvas, antialias: true },
    );
    await renderer.init();
    // fleetlab reports device loss itself (the page's alert); three's own handler only logs.
    renderer.onDeviceLost = () => {};
    renderer.setPixelRatio(Math.min(globalThis.devicePixelRatio ?? 1, 2));
    return new FabricScene(renderer);
  }

  /** Lays out ranks, hubs and links; strips of `cellsPerRank` cells sit under each rank. */
  setLayout(layout: SceneLayout, cellsPerRank: number): void {
    this.clear();
    this.layout = layout;
    this.cellsPerRank = Math.max(1, cellsPerRank);
    const n = layout.ranks.length;
    // Cells shrink with rank count so neighbouring strips do not overlap (64 ranks stay apart).
    const spacing = nearestDistance(layout.ranks);
    const stripWidth = Math.min(0.9 * spacing, 1.6);
    this.cellSize = stripWidth / this.cellsPerRank;
    this.stripWidth = stripWidth;
    const cellHeight = Math.min(0.35 * spacing, 0.25);
    this.cellHeight = cellHeight;

    const positions: number[] = [];
    const at = (e: number | string) =>
      typeof e === 'number' ? layout.ranks[e] : layout.hubs.find((h) => h.id === e);
    for (const l of layout.links) {
      const a = at(l.from);
      const b = at(l.to);
      if (a && b) positions.push(a.x, a.y, -1, b.x, b.y, -1);
    }
    const lineGeometry = new BufferGeometry();
    lineGeometry.setAttribute('position', new Float32BufferAttribute(positions, 3));
    this.links = new LineSegments(lineGeometry, new LineBasicMaterial({ color: LINK }));
    this.scene.add(this.links);

    if (layout.hubs.length > 0) {
      const size = Math.min(0.3, 0.5 * spacing);
      this.hubs = new InstancedMesh(
        new PlaneGeometry(size, size),
        new MeshBasicMaterial({ color: HUB }),
        layout.hubs.length,
      );
      layout.hubs.forEach((h, i) => {
        this.hubs?.setMatrixAt(i, this.m.makeTranslation(h.x, h.y, -0.5));
      });
      this.scene.add(this.hubs);
    }

    this.cells = new InstancedMesh(
      new PlaneGeometry(this.cellSize * 0.92, cellHeight),
      new MeshBasicMaterial(),
      n * this.cellsPerRank,
    );
    for (let r = 0; r < n; r++) {
      const p = layout.ranks[r] as Point;
      for (let c = 0; c < this.cellsPerRank; c++) {
        const x = p.x - stripWidth / 2 + (c + 0.5) * this.cellSize;
        this.cells.setMatrixAt(r * this.cellsPerRank + c, this.m.makeTranslation(x, p.y, 0));
        this.cells.setColorAt(r * this.cellsPerRank + c, this.c.setRGB(0.3, 0.3, 0.3));
      }
    }
    this.scene.add(this.cells);

    const packetSize = Math.min(0.22, 0.45 * spacing);
    this.packets = new InstancedMesh(
      new PlaneGeometry(packetSize, packetSize),
      new MeshBasicMaterial(),
      Math.max(1, n * 4),
    );
    // Colour every instance now: three builds the material's shader at the first render, and
    // a mesh with no instance colours then keeps drawing its packets white (over the labels),
    // whatever colour setPackets gives them later.
    for (let i = 0; i < this.packets.instanceMatrix.count; i++) {
      this.packets.setColorAt(i, this.c.setRGB(1, 1, 1));
    }
    this.packets.count = 0;
    this.scene.add(this.packets);
    this.fit();
  }

  /** Colours every rank's strip from `strips[rank]` (cell values). */
  setStrips(strips: readonly Float32Array[], colour: ValueColour): void {
    const cells = this.cells;
    if (!cells) return;
    strips.forEach((values, r) => {
      for (let c = 0; c < this.cellsPerRank; c++) {
        const v = values[c];
        const [red, green, blue] = v === undefined || Number.isNaN(v) ? [0.2, 0.2, 0.2] : colour(v);
        cells.setColorAt(
          r * this.cellsPerRank + c,
          this.c.setRGB(red, green, blue, SRGBColorSpace),
        );
      }
    });
    if (cells.instanceColor) cells.instanceColor.needsUpdate = true;
  }

  /** Places the step's packets at fraction t of the way along their links (t in 0..1). */
  setPackets(packets: readonly Packet[], t: number): void {
    const mesh = this.packets;
    const layout = this.layout;
    if (!mesh || !layout) return;
    const shown = packets.filter((p) => p.path.length > 1);
    if (shown.length > mesh.instanceMatrix.count) {
      // More ops than the buffer holds (dense steps): grow it once.
      this.scene.remove(mesh);
      this.packets = new InstancedMesh(mesh.geometry, mesh.material, shown.length);
      for (let i = 0; i < shown.length; i++) this.packets.setColorAt(i, this.c.setRGB(1, 1, 1));
      this.scene.add(this.packets);
      this.setPackets(packets, t);
      return;
    }
    // Ease in and out so a packet leaves and lands visibly.
    const e = t * t * (3 - 2 * t);
    shown.forEach((p, i) => {
      const { x, y } = along(p.path, e);
      mesh.setMatrixAt(i, this.m.makeTranslation(x, y, 0.5));
      mesh.setColorAt(i, this.c.setRGB(p.colour[0], p.colour[1], p.colour[2], SRGBColorSpace));
    });
    mesh.count = t > 0 && t < 1 ? shown.length : 0;
    mesh.instanceMatrix.needsUpdate = true;
    if (mesh.instanceColor) mesh.instanceColor.needsUpdate = true;
  }

  /** Fits the camera to the layout and the canvas' current size. */
  fit(): void {
    const canvas = this.renderer.domElement;
    const w = canvas.clientWidth || 960;
    const h = canvas.clientHeight || 540;
    this.renderer.setSize(w, h, false);
    const pts = [...(this.layout?.ranks ?? []), ...(this.layout?.hubs ?? [])];
    const xs = pts.map((p) => p.x);
    const ys = pts.map((p) => p.y);
    // A margin of one rank spacing around the layout (which spans [-1, 1]), and never less
    // than half a strip across and room for a label line above and below it: a strip wider
    // than the margin (few ranks, a narrow stage) was cut at the canvas' edge.
    const spacing = Math.min(0.5, nearestDistance(this.layout?.ranks ?? []));
    const padX = Math.max(spacing, this.stripWidth / 2 + 0.1);
    const padY = Math.max(spacing, this.cellHeight * 3);
    const [x0, x1] = [Math.min(...xs, 0) - padX, Math.max(...xs, 0) + padX];
    const [y0, y1] = [Math.min(...ys, 0) - padY, Math.max(...ys, 0) + padY];
    // Keep the aspect: widen whichever side is short.
    const scale = Math.max((x1 - x0) / w, (y1 - y0) / h);
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    Object.assign(this.camera, {
      left: cx - (w * scale) / 2,
      right: cx + (w * scale) / 2,
      top: cy + (h * scale) / 2,
      bottom: cy - (h * scale) / 2,
    });
    this.camera.updateProjectionMatrix();
  }

  /** Where a layout point appears on the canvas, in CSS pixels from its top left corner. */
  project(p: Point): Point {
    const canvas = this.renderer.domElement;
    const { left, right, top, bottom } = this.camera;
    return {
      x: ((p.x - left) / (right - left)) * (canvas.clientWidth || 960),
      y: ((top - p.y) / (top - bottom)) * (canvas.clientHeight || 540),
    };
  }

  /** The height of a strip, in layout units: labels go just above or below it. */
  get stripHeight(): number {
    return this.cellHeight;
  }

  render(): void {
    this.renderer.render(this.scene, this.camera);
  }

  private clear(): void {
    for (const o of [this.cells, this.packets, this.links, this.hubs]) {
      if (!o) continue;
      this.scene.remove(o);
      o.geometry.dispose();
    }
    this.cells = this.packets = this.hubs = undefined;
    this.links = undefined;
  }

  dispose(): void {
    this.clear();
    this.renderer.dispose();
  }
}

/** The smallest distance between two ranks (1 for a single rank). */
export function nearestDistance(points: readonly Point[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i] as Point;
      const b = points[j] as Point;
      best = Math.min(best, Math.hypot(a.x - b.x, a.y - b.y));
    }
  }
  return Number.isFinite(best) ? best : 1;
}

/** The point at fraction t (0..1) of the way along a polyline, by length. */
export function along(path: readonly Point[], t: number): Point {
  const lengths = path
    .slice(1)
    .map((p, i) => Math.hypot(p.x - (path[i] as Point).x, p.y - (path[i] as Point).y));
  let remaining = t * lengths.reduce((a, b) => a + b, 0);
  for (let i = 0; i < lengths.length; i++) {
    const l = lengths[i] as number;
    if (remaining <= l || i === lengths.length - 1) {
      const a = path[i] as Point;
      const b = path[i + 1] as Point;
      const f = l > 0 ? Math.min(1, remaining / l) : 1;
      return { x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f };
    }
    remaining -= l;
  }
  return path[0] ?? { x: 0, y: 0 };
}
