// The step/back/play/reset logic every stepping page shares (collectives, tensor parallel, KV
// cache): one step at a time, never two animations at once, play runs to the end unless
// paused, reset stops and returns to step 0. A page supplies its steps, how to draw a step and
// how to animate one (forward, or backward home); the URL and the buttons stay the page's.

export interface TransportHost {
  /** Steps in the scene now shown (0 while none is). */
  count(): number;
  /** The step shown, 0..count(). */
  current(): number;
  /** Shows step k without animation (and records it, e.g. in the URL). */
  show(k: number): void;
  /** Animates step k (0-based) forward, or backward home when `backward`. */
  animate(k: number, backward: boolean): Promise<void>;
  /** Playback speed, steps per second (the pause between steps scales with it). */
  speed(): number;
}

export class Transport {
  private playing = false;
  private busy = false;

  constructor(
    private readonly host: TransportHost,
    private readonly playButton: HTMLButtonElement,
  ) {}

  get isPlaying(): boolean {
    return this.playing;
  }

  async forward(): Promise<void> {
    const k = this.host.current();
    if (this.busy || k >= this.host.count()) return;
    this.busy = true;
    try {
      await this.host.animate(k, false);
    } finally {
      this.busy = false;
    }
    this.host.show(k + 1);
  }

  /** One step back: the state returns at once, and the step's animation plays home. */
  async back(): Promise<void> {
    const k = this.host.current() - 1;
    if (this.busy || k < 0) return;
    this.host.show(k);
    this.busy = true;
    try {
      await this.host.animate(k, true);
    } finally {
      this.busy = false;
    }
    this.host.show(k);
  }

  /** Stops playing (a new scene, a reset). */
  stop(): void {
    this.playing = false;
    this.playButton.textContent = '▶ play';
    this.playButton.setAttribute('aria-pressed', 'false');
  }

  reset(): void {
    this.stop();
    this.host.show(0);
  }

  async togglePlay(): Promise<void> {
    if (this.playing) {
      this.stop();
      return;
    }
    this.playing = true;
    // U+23F8 (⏸) is missing from common system fonts and showed as nothing; two heavy bars
    // (U+275A, in DejaVu and every emoji-less font set) read as pause everywhere.
    this.playButton.textContent = '❚❚ pause';
    this.playButton.setAttribute('aria-pressed', 'true');
    while (this.playing && this.host.current() < this.host.count()) {
      await this.forward();
      await new Promise((r) => setTimeout(r, 250 / Math.max(0.1, this.host.speed())));
    }
    this.stop();
  }
}

/** Moves packets along their paths over `durationMs` (backward: from the end home). */
export function flyPackets<P>(
  scene: { setPackets(packets: readonly P[], t: number): void; render(): void } | undefined,
  packets: readonly P[],
  durationMs: number,
  backward: boolean,
): Promise<void> {
  const t0 = performance.now();
  return new Promise<void>((done) => {
    const frame = () => {
      const t = Math.min(1, (performance.now() - t0) / durationMs);
      scene?.setPackets(packets, backward ? 1 - t : t);
      scene?.render();
      if (t < 1) requestAnimationFrame(frame);
      else done();
    };
    requestAnimationFrame(frame);
  });
}

/** The key that toggles presenter mode (page-shell.ts); p is play, so m, for "mode". */
export const PRESENT_KEY = 'm';

/**
 * The transport's buttons and keys, the same on every page: space or → step, ← back, p play or
 * pause, r reset, f fullscreen, and the shell's `more` (m: presenter mode). Keys typed into a
 * control are left to it, and a key with Ctrl, Alt or Meta is the browser's.
 */
export function bindTransport(
  transport: Transport,
  buttons: {
    readonly reset: HTMLElement;
    readonly back: HTMLElement;
    readonly forward: HTMLElement;
    readonly play: HTMLElement;
  },
  more: Readonly<Record<string, () => void>> = {},
): void {
  buttons.reset.addEventListener('click', () => transport.reset());
  buttons.back.addEventListener('click', () => void transport.back());
  buttons.forward.addEventListener('click', () => void transport.forward());
  buttons.play.addEventListener('click', () => void transport.togglePlay());
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    const actions: Record<string, () => void> = {
      ...more,
      ' ': () => void transport.forward(),
      ArrowRight: () => void transport.forward(),
      ArrowLeft: () => void transport.back(),
      p: () => void transport.togglePlay(),
      r: () => transport.reset(),
      f: () =>
        void (document.fullscreenElement
          ? document.exitFullscreen()
          : document.documentElement.requestFullscreen()),
    };
    const action = actions[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  });
}
