// The URL-state cycle every page runs, apart from the DOM so it is tested in Node: read the
// hash on load and on every hashchange the page did not cause itself, write the state back
// (replacing the history entry, so stepping does not fill the back button), and turn the
// parser's errors into the one alert a link's junk gets. The hash is reached through `where`
// (the page passes location and history; a test passes a plain object).

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
}

export class UrlCycle<S> {
  private writing = false;

  constructor(
    private readonly codec: UrlCodec<S>,
    private readonly where: HashPlace,
    /** The alert's text for a link's errors (the page's words around them). */
    private readonly alertOf: (errors: readonly string[]) => string,
  ) {}

  /** The state the hash names now, and the alert for what in it was unusable. */
  read(previous?: S): UrlRead<S> {
    const { state, errors } = this.codec.parse(this.where.read(), previous);
    return errors.length > 0 ? { state, alert: this.alertOf(errors) } : { state };
  }

  /** Writes `state` as the hash: always '#' and the serializer's pairs ('#' alone for none). */
  write(state: S): void {
    this.writing = true;
    try {
      this.where.replace(`#${this.codec.serialize(state).replace(/^#/, '')}`);
    } finally {
      this.writing = false;
    }
  }

  /** Whether a hashchange is the user's (a link, an edit, back) and not this cycle's write. */
  isForeign(): boolean {
    return !this.writing;
  }
}
