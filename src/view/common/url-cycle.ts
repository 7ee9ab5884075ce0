// The URL-state cycle every page runs, apart from the DOM so it is tested in Node: read the
// hash on load and on every hashchange the page did not cause itself, write the state back
// (replacing the history entry, so stepping does not fill the back button), and turn the
// parser's errors into the one alert a link's junk gets. The hash is reached through `where`
// (the page passes location and history; a test passes a plain object).
//
// One key is the shell's, not the page's: present=1 (presenter mode, the same on every page).
// The cycle takes it out before the page's parser sees the hash and writes it back after the
// page's keys, so no page lists it; present=0 or no key is the normal view.

/** What a page's URL state module gives: a hash to a state (and one line per bad value), and
 * back. `previous` is the state shown, whose values a bad key may keep. */
export interface UrlCodec<S> {
  parse(hash: string, previous?: S): { readonly state: S; readonly errors: readonly string[] };
  serialize(state: S): string;
}

/** Where the hash lives: location.hash and history.replaceState in a page. */
export interface HashPlace {
  read(): string;
  replace(hash: string): void;
}

export interface UrlRead<S> {
  readonly state: S;
  /** The alert for the link's bad values; undefined when it had none. */
  readonly alert?: string;
  /** The error lines the alert was made of ([] when none). */
  readonly errors: readonly string[];
  /** What the link's present= says (1: presenter mode); undefined when it has no such key. */
  readonly present?: boolean;
}

/** The shell's key in every page's hash. */
export const PRESENT_KEY = 'present';

/** The hash without its present= pairs, what they said, and why they did not do. */
export function splitPresent(hash: string): {
  readonly rest: string;
  readonly present?: boolean;
  readonly errors: readonly string[];
} {
  const parts = hash.replace(/^#/, '').split('&');
  const mine = parts.filter((p) => p === PRESENT_KEY || p.startsWith(`${PRESENT_KEY}=`));
  const rest = parts.filter((p) => !mine.includes(p)).join('&');
  if (mine.length === 0) return { rest, errors: [] };
  const texts = mine.map((p) => p.slice(PRESENT_KEY.length + 1));
  if (mine.length > 1) {
    return {
      rest,
      errors: [`present is given ${mine.length} times; give it once, present=1 or present=0`],
    };
  }
  const text = texts[0] as string;
  if (text === '1' || text === '0') return { rest, present: text === '1', errors: [] };
  return { rest, errors: [`present '${text}' must be 1 (presenter mode) or 0; ignored`] };
}

export class UrlCycle<S> {
  private writing = false;
  /** Presenter mode: written into the hash as present=1; a link's present= sets it. */
  present = false;

  constructor(
    private readonly codec: UrlCodec<S>,
    private readonly where: HashPlace,
    /** The alert's text for a link's errors (the page's words around them). */
    private readonly alertOf: (errors: readonly string[]) => string,
  ) {}

  /** The state the hash names now, and the alert for what in it was unusable. */
  read(previous?: S): UrlRead<S> {
    const shell = splitPresent(this.where.read());
    if (shell.present !== undefined) this.present = shell.present;
    const parsed = this.codec.parse(shell.rest, previous);
    const errors = [...shell.errors, ...parsed.errors];
    return {
      state: parsed.state,
      errors,
      ...(errors.length > 0 ? { alert: this.alertOf(errors) } : {}),
      ...(shell.present !== undefined ? { present: shell.present } : {}),
    };
  }

  /** Writes `state` as the hash: always '#' and the serializer's pairs ('#' alone for none),
   * then present=1 in presenter mode. */
  write(state: S): void {
    this.writing = true;
    try {
      const pairs = this.codec.serialize(state).replace(/^#/, '');
      const shell = this.present ? `${PRESENT_KEY}=1` : '';
      this.where.replace(`#${[pairs, shell].filter((p) => p !== '').join('&')}`);
    } finally {
      this.writing = false;
    }
  }

  /** Whether a hashchange is the user's (a link, an edit, back) and not this cycle's write. */
  isForeign(): boolean {
    return !this.writing;
  }
}
