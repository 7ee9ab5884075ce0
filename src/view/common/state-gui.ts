// A lil-gui panel bound to a page's state: each control edits one key, a finished edit asks the
// page for the next state (a preset's state when the preset changes; otherwise the edit, no
// longer that preset unless only the speed moved, from step 0), and sync shows a state loaded
// from elsewhere (a link, the transport). The training and experts pages build theirs with it.
import GUI from 'lil-gui';

type Controller = ReturnType<GUI['add']>;

export interface StateGui<S> {
  readonly panel: GUI;
  /** A control for `key`: lil-gui's add(model, key, ...args), already wired. */
  add(key: keyof S & string, ...args: unknown[]): Controller;
  /** A slider over [min, max] of `limits[key]`. */
  range(key: keyof S & string, limits: readonly [number, number], step?: number): Controller;
  sync(state: S): void;
}

export function stateGui<S extends { readonly preset: string; readonly step: number }>(options: {
  readonly container: HTMLElement;
  readonly title: string;
  readonly defaults: S;
  /** The current state (the shell's). */
  readonly current: () => S;
  /** A preset's state by name. */
  readonly preset: (name: string) => S | undefined;
  readonly load: (next: S) => void;
}): StateGui<S> {
  const gui = new GUI({ container: options.container, title: options.title, width: 340 });
  const model: Record<string, unknown> = {};
  const controllers = new Map<string, Controller>();
  const change = (key: string, value: unknown) => {
    const state = options.current();
    const next = { ...state, [key]: value, step: 0 } as S;
    options.load(
      key === 'preset'
        ? (options.preset(String(value)) ?? next)
        : { ...next, preset: key === 'speed' ? state.preset : '' },
    );
  };
  const add = (key: keyof S & string, ...args: unknown[]) => {
    model[key] = options.defaults[key];
    const c = (gui.add as (...a: unknown[]) => Controller)(model, key, ...args);
    c.onFinishChange((v: unknown) => change(key, v));
    controllers.set(key, c);
    return c;
  };
  return {
    panel: gui,
    add,
    range: (key, [min, max], step = 1) => add(key, min, max, step),
    sync(state) {
      for (const [key, c] of controllers) {
        model[key] = state[key as keyof S];
        c.updateDisplay();
      }
    },
  };
}
