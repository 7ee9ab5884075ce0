// The page shell, written once (DESIGN.md): what every stepping page does around its own
// scene. A page gives its parts (its URL state, how it loads, draws and animates a step, its
// words for no WebGPU and a lost device); the shell does the rest:
//
// - the device: acquireDevice through the browser's provider, a pipeline cache (and a GPU
//   timer where asked); without WebGPU the error and the page's fallback sentence stand in
//   the alert, and the page goes on (on the CPU, or modelled) with gpu.ctx undefined;
// - device loss: a standing alert, the GPU parts dropped, the last scene kept;
// - the URL: parsed on start and on every hashchange the page did not cause, written back on
//   every change, one alert naming the link's bad values (url-cycle.ts);
// - the alert (alert.ts), the transport and its buttons and keys (transport.ts), resize;
// - a load generation, so a slow load that a newer one overtook draws nothing;
// - presenter mode (present=1 in the hash, the m key, the present button): the class
//   `present` on <html>, whose CSS sizes scene and type for a 1024x768 projector read from the
//   back of a room, and the control panel folded away (a click on its title opens it).
//
// The elements it binds have the same ids on every page: alert, play, reset, back, forward,
// present.
import { acquireDevice, type GpuContext } from '../../gpu/device.ts';
import { PipelineCache } from '../../gpu/pipelines.ts';
import { browserProvider } from '../../gpu/provider.ts';
import { GpuTimer } from '../../gpu/timer.ts';
import { pageAlert } from './alert.ts';
import { bindTransport, PRESENT_KEY, Transport } from './transport.ts';
import { type UrlCodec, UrlCycle } from './url-cycle.ts';

/** The element with `id` (the page's HTML has it). */
export const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What a page measures with; all undefined without WebGPU or after a device loss. */
export interface PageGpu {
  ctx?: GpuContext;
  cache?: PipelineCache;
  timer?: GpuTimer;
  /** A message that stands while the page lives: why nothing is measured. */
  standing?: string;
}

/** The least a page's state has: the step shown and the playback speed. */
export interface SteppedState {
  readonly step: number;
  readonly speed: number;
}

export interface PageParts<S extends SteppedState> {
  /** The page's URL state (parse and serialize). */
  readonly url: UrlCodec<S>;
  /** The one alert for a link's bad values, from the parser's error lines. */
  readonly urlAlert: (errors: readonly string[]) => string;
  /**
   * Show the link's alert before the load as well (a load that takes seconds), in place of a
   * standing message, which it ends; it is shown again once the load is done in any case.
   */
  readonly urlAlertFirst?: boolean;
  /** The state the page shows now, whose values a bad key in the URL keeps. */
  readonly previous?: () => S | undefined;
  /** What the page does without WebGPU, after the device's error and a blank line. */
  readonly noGpu: string;
  /** What a lost device means here, after "The GPU device was lost (reason): message. ". */
  readonly lost: string;
  /** Make a GpuTimer beside the pipeline cache. */
  readonly timer?: boolean;
  /** Builds the controls and binds the page's own listeners; before the device is asked for. */
  readonly mount?: () => void;
  /** Once the device is known (or not): scenes, calibration, panels. False: start no further. */
  readonly ready?: () => Promise<boolean>;
  /** Shows a state from the URL in the controls, before it loads. */
  readonly sync?: (state: S) => void;
  /** Builds, runs and shows a state (it sets shell.state to what it shows). */
  readonly load: (state: S) => Promise<void>;
  /** Steps in what is shown (0 while nothing is). */
  readonly steps: () => number;
  /** Draws step k. */
  readonly draw: (step: number) => void;
  /** Animates step k (0-based) forward, or backward home. */
  readonly animate: (k: number, backward: boolean) => Promise<void>;
  readonly resize?: () => void;
  /** The page's control panel (lil-gui), folded in presenter mode. */
  readonly panel?: () => { open(open?: boolean): unknown } | undefined;
}

export class PageShell<S extends SteppedState> {
  readonly gpu: PageGpu = {};
  /** The state shown (the page's load sets it; undefined until the first load). */
  state!: S;
  readonly transport: Transport;
  readonly showAlert: (message: string) => void;
  /** Hides the alert, or brings back the standing message (no WebGPU, a lost device). */
  readonly clearAlert: () => void;
  private readonly url: UrlCycle<S>;
  private generation = 0;
  /** What the load of a link found past the parser's reach (a step past the scene's end). */
  private notes: string[] = [];

  constructor(private readonly parts: PageParts<S>) {
    const alert = pageAlert(byId('alert'), () => this.gpu.standing);
    this.showAlert = alert.show;
    this.clearAlert = alert.clear;
    this.url = new UrlCycle(
      parts.url,
      {
        read: () => location.hash,
        replace: (hash) => history.replaceState(null, '', hash),
      },
      parts.urlAlert,
    );
    this.transport = new Transport(
      {
        count: parts.steps,
        current: () => this.state.step,
        show: (k) => {
          this.state = { ...this.state, step: k };
          this.writeUrl();
          parts.draw(k);
        },
        animate: parts.animate,
        speed: () => this.state.speed,
      },
      byId<HTMLButtonElement>('play'),
    );
  }

  /** A new load begins: playing stops; the answer says whether it is still the newest. */
  begin(): () => boolean {
    const mine = ++this.generation;
    this.transport.stop();
    return () => mine === this.generation;
  }

  /** Writes the state shown into the URL hash. */
  writeUrl(): void {
    if (this.state !== undefined) this.url.write(this.state);
  }

  /** Whether presenter mode is on. */
  get presenting(): boolean {
    return this.url.present;
  }

  /** Presenter mode on or off: large type, the panel folded; the link says so (present=1). */
  setPresent(on: boolean): void {
    this.url.present = on;
    document.documentElement.classList.toggle('present', on);
    document.body.dataset.present = String(on);
    document.getElementById('present')?.setAttribute('aria-pressed', String(on));
    this.parts.panel?.()?.open(!on);
    this.writeUrl();
    // The stage's box changes with the type: draw again once the browser has laid it out.
    requestAnimationFrame(() => this.parts.resize?.());
  }

  /**
   * The state with its step at most `total`, the steps of the scene just built: the parser
   * cannot know them, so a link's step past the end is shown at the end and said in the alert.
   */
  fitStep(state: S, total: number): S {
    if (state.step <= total) return state;
    this.notes.push(
      `step ${state.step} is past the end of this scene (${total} steps); showing step ${total}`,
    );
    return { ...state, step: total };
  }

  /** Loads what the URL names; its junk gets one alert, shown after the load. */
  fromUrl(): void {
    const { state, alert, errors, present } = this.url.read(this.parts.previous?.());
    if (present !== undefined) this.setPresent(present);
    this.parts.sync?.(state);
    if (alert !== undefined && this.parts.urlAlertFirst) {
      this.gpu.standing = undefined;
      this.showAlert(alert);
    }
    this.notes = [];
    void this.parts.load(state).then(() => {
      const all = [...errors, ...this.notes];
      if (all.length > 0) this.showAlert(this.parts.urlAlert(all));
    });
  }

  /** The device is gone: say so for good, drop the GPU parts; the scene shown stays. */
  deviceLost(info: { readonly reason: string; readonly message: string }): void {
    this.gpu.standing = `The GPU device was lost (${info.reason}): ${info.message}. ${this.parts.lost}`;
    this.showAlert(this.gpu.standing);
    this.gpu.timer?.destroy();
    [this.gpu.ctx, this.gpu.cache, this.gpu.timer] = [undefined, undefined, undefined];
  }

  /** What tests call: a real loss cannot be made from script (destroy() says 'destroyed',
   * which acquireDevice does not pass on), so they take the handler's own path. */
  simulateDeviceLoss(): void {
    this.deviceLost({ reason: 'unknown', message: 'simulated by a test' });
  }

  /** Starts the page; whatever goes wrong, the alert says so (never a blank page). */
  start(): void {
    this.run().catch((e: unknown) => {
      this.showAlert(`fleetlab could not start this page: ${(e as Error).message}`);
      document.body.dataset.ready = 'true';
    });
  }

  private async run(): Promise<void> {
    const { parts } = this;
    parts.mount?.();
    const togglePresent = () => this.setPresent(!this.presenting);
    bindTransport(
      this.transport,
      {
        reset: byId('reset'),
        back: byId('back'),
        forward: byId('forward'),
        play: byId('play'),
      },
      { [PRESENT_KEY]: togglePresent },
    );
    document.getElementById('present')?.addEventListener('click', togglePresent);
    window.addEventListener('hashchange', () => {
      if (this.url.isForeign()) this.fromUrl();
    });
    const { resize } = parts;
    if (resize) window.addEventListener('resize', resize);
    try {
      const ctx = await acquireDevice({
        provider: browserProvider(navigator, isSecureContext),
        onLost: (info) => this.deviceLost(info),
      });
      this.gpu.ctx = ctx;
      this.gpu.cache = new PipelineCache(ctx);
      if (parts.timer) this.gpu.timer = new GpuTimer(ctx);
    } catch (e) {
      this.gpu.standing = `${(e as Error).message}\n\n${parts.noGpu}`;
      this.showAlert(this.gpu.standing);
    }
    if (parts.ready && !(await parts.ready())) return;
    this.fromUrl();
  }
}
