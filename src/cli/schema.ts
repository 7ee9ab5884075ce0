// One argument parser for every `fleetlab` command, driven by each command's declared schema:
// a flag's name, short alias, kind (which reader of src/cli/grammar.ts its value goes through),
// default, limits and help line. The same schema prints the command's help, so a flag, its unit
// and its limit are written once. node:util's parseArgs is not used: its bare "argument is
// ambiguous" for '--ranks -4', and its silent last-one-wins for a repeated flag, are exactly
// the input this parser must name.
//
// Order of complaints: the first positional (a subcommand or collective) is checked before any
// option, then options in the order given; every complaint is one UsageError line naming the
// flag or the value.
import { UsageError } from './args.ts';
import {
  COUNT_FORMS,
  type Limits,
  PER_BYTE_FORMS,
  parseCount,
  parseDecimal,
  parseRate,
  parseSecondsPerByte,
  parseSize,
  parseTime,
  RATE_FORMS,
  SIZE_FORMS,
  showBytes,
  showRate,
  showSeconds,
  TIME_FORMS,
} from './grammar.ts';

interface Base {
  readonly short?: string;
  readonly help: string;
  /** The value's name in the help ('FILE', 'A,B'); the kind's own otherwise. */
  readonly meta?: string;
}

export type FlagSpec = Base &
  (
    | { readonly kind: 'flag' }
    | ({ readonly kind: 'size' | 'time' | 'rate' } & Limits & { readonly default?: string })
    | { readonly kind: 'per-byte'; readonly default?: string }
    | {
        readonly kind: 'count';
        readonly min: number;
        readonly max: number;
        readonly default?: string;
      }
    | {
        readonly kind: 'number';
        readonly min: number;
        readonly max: number;
        /** 'inf' is accepted (as Infinity). */
        readonly inf?: boolean;
        readonly default?: string;
      }
    | { readonly kind: 'choice'; readonly choices: readonly string[]; readonly default?: string }
    | { readonly kind: 'text'; readonly default?: string }
  );

export type Flags = Readonly<Record<string, FlagSpec>>;

type ValueOf<F extends FlagSpec> = F extends { kind: 'flag' }
  ? boolean
  : F extends { kind: 'choice'; choices: readonly (infer C)[] }
    ? C
    : F extends { kind: 'text' }
      ? string
      : number;

/** What a schema's flags parse to: a default or a boolean makes the value always present. */
export type Values<F extends Flags> = {
  readonly [K in keyof F]: F[K] extends { kind: 'flag' } | { default: string }
    ? ValueOf<F[K]>
    : ValueOf<F[K]> | undefined;
};

export interface Positionals {
  /** The help's name for them: '<allreduce|...>'. */
  readonly synopsis: string;
  readonly min: number;
  readonly max: number;
  /** The first positional must be one of these (a collective, a subcommand). */
  readonly choices?: readonly string[];
  /** The line for a first positional not among `choices`. */
  readonly unknown?: (value: string) => string;
  /** The line when fewer than `min` are given. */
  readonly missing?: string;
  /** The line for a positional past `max`. */
  readonly extra?: (value: string) => string;
}

export interface CommandSchema<F extends Flags = Flags> {
  /** As typed after `fleetlab`: 'bench', 'model kvcache'. */
  readonly name: string;
  /** What the command does, a few lines, before the options. */
  readonly about: string;
  readonly positionals?: Positionals;
  readonly flags: F;
  /** Lines after the options (which options go with which positional, ...). */
  readonly notes?: string;
}

export interface Parsed<F extends Flags> {
  readonly values: Values<F>;
  readonly positionals: readonly string[];
  /** The flags given on the command line (not defaulted), for "does not apply" checks. */
  readonly given: ReadonlySet<keyof F & string>;
}

/** A value next to a flag: a negative number or '-' (stdout), never another flag. */
const isValue = (token: string) => !token.startsWith('-') || token === '-' || /^-[\d.]/.test(token);

function readValue(name: string, spec: FlagSpec, text: string): unknown {
  const flag = `--${name}`;
  switch (spec.kind) {
    case 'flag':
      return true;
    case 'size':
      return parseSize(flag, text, spec);
    case 'time':
      return parseTime(flag, text, spec);
    case 'rate':
      return parseRate(flag, text, spec);
    case 'per-byte':
      return parseSecondsPerByte(flag, text);
    case 'count':
      return parseCount(flag, text, spec);
    case 'number':
      return parseDecimal(flag, text, spec);
    case 'choice':
      if (!spec.choices.includes(text)) {
        throw new UsageError(`${flag} '${text}' is not one of ${spec.choices.join(', ')}`);
      }
      return text;
    case 'text':
      return text;
  }
}

interface Token {
  readonly name: string;
  readonly spec: FlagSpec;
  /** The flag as written ('-b', '--ranks'), for messages. */
  readonly written: string;
  readonly inline?: string;
}

function lookup<F extends Flags>(schema: CommandSchema<F>, token: string): Token | undefined {
  const long = /^--([^=]+)(?:=(.*))?$/s.exec(token);
  if (long) {
    const name = long[1] as string;
    const spec = Object.hasOwn(schema.flags, name) ? schema.flags[name] : undefined;
    if (!spec) return undefined;
    return {
      name,
      spec,
      written: `--${name}`,
      ...(long[2] === undefined ? {} : { inline: long[2] }),
    };
  }
  const short = /^-([^-\d.])(.*)$/s.exec(token);
  if (short) {
    const entry = Object.entries(schema.flags).find(([, s]) => s.short === short[1]);
    if (!entry) return undefined;
    const rest = short[2] as string;
    const [name, spec] = entry;
    return {
      name,
      spec,
      written: `-${short[1]}`,
      ...(rest === '' ? {} : { inline: rest.startsWith('=') ? rest.slice(1) : rest }),
    };
  }
  return undefined;
}

const isOption = (token: string) =>
  token.startsWith('-') && token !== '-' && !/^-[\d.]/.test(token);

/** The first positional, skipping the values of the schema's flags (unknown flags take none). */
export function firstPositional(
  schema: CommandSchema,
  argv: readonly string[],
): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') return argv[i + 1];
    if (!isOption(token)) return token;
    const t = lookup(schema, token);
    if (t && t.spec.kind !== 'flag' && t.inline === undefined && isValue(argv[i + 1] ?? '-x')) i++;
  }
  return undefined;
}

/** Parses `argv` by `schema`: values, positionals and which flags were given; or a UsageError. */
export function parseCommand<F extends Flags>(
  schema: CommandSchema<F>,
  argv: readonly string[],
): Parsed<F> {
  const pos = schema.positionals;
  const first = firstPositional(schema, argv);
  if (first !== undefined && pos?.choices && !pos.choices.includes(first)) {
    throw new UsageError(
      pos.unknown?.(first) ??
        `${schema.name}: unknown '${first}' (have: ${pos.choices.join(', ')})`,
    );
  }
  const values: Record<string, unknown> = {};
  const texts: Record<string, string> = {};
  const positionals: string[] = [];
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!isOption(token)) {
      positionals.push(token);
      continue;
    }
    const t = lookup(schema, token);
    if (!t) {
      const shown = token.replace(/=.*$/s, '');
      throw new UsageError(
        `unknown option '${shown}' for fleetlab ${schema.name} (fleetlab ${schema.name} --help lists them)`,
      );
    }
    let text: string;
    if (t.spec.kind === 'flag') {
      if (t.inline !== undefined)
        throw new UsageError(`${t.written} takes no value, not '${t.inline}'`);
      text = '';
    } else if (t.inline !== undefined) {
      text = t.inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || !isValue(next)) {
        throw new UsageError(
          `${t.written} needs a value (${kindHelp(t.spec)})${next === undefined ? '' : `, not the option '${next}'`}`,
        );
      }
      text = next;
      i++;
    }
    if (given.has(t.name)) {
      const before = texts[t.name];
      throw new UsageError(
        t.spec.kind === 'flag'
          ? `--${t.name} is given twice: give it once`
          : `--${t.name} is given twice ('${before}' and '${text}'): give it once`,
      );
    }
    given.add(t.name);
    texts[t.name] = text;
    values[t.name] = readValue(t.name, t.spec, text);
  }
  for (const [name, spec] of Object.entries(schema.flags)) {
    if (given.has(name)) continue;
    if (spec.kind === 'flag') values[name] = false;
    else if (spec.default !== undefined) values[name] = readValue(name, spec, spec.default);
  }
  if (pos === undefined && positionals.length > 0) {
    throw new UsageError(`${schema.name} takes no positional '${positionals[0]}'`);
  }
  if (pos && positionals.length < pos.min) {
    throw new UsageError(pos.missing ?? `${schema.name} needs ${pos.synopsis}`);
  }
  if (pos && positionals.length > pos.max) {
    const extra = positionals[pos.max] as string;
    throw new UsageError(pos.extra?.(extra) ?? `${schema.name} takes no '${extra}' too`);
  }
  return {
    values: values as Values<F>,
    positionals,
    given: given as ReadonlySet<keyof F & string>,
  };
}

/** What a flag's value is, as the help and a missing value's message say it. */
export function kindHelp(spec: FlagSpec): string {
  switch (spec.kind) {
    case 'flag':
      return 'no value';
    case 'size':
      return `a size: ${SIZE_FORMS}${limitText(spec, showBytes)}`;
    case 'time':
      return `a time: ${TIME_FORMS}${limitText(spec, showSeconds)}`;
    case 'rate':
      return `a rate: ${RATE_FORMS}${limitText(spec, showRate)}`;
    case 'per-byte':
      return `seconds per byte: ${PER_BYTE_FORMS}`;
    case 'count':
      return `${COUNT_FORMS}; ${spec.min} to ${spec.max}`;
    case 'number':
      return `a number, ${spec.min} to ${spec.max}${spec.inf ? ' or inf' : ''}`;
    case 'choice':
      return `one of ${spec.choices.join(', ')}`;
    case 'text':
      return spec.meta ?? 'text';
  }
}

function limitText(limits: Limits, show: (v: number) => string): string {
  const parts = [
    ...(limits.min === undefined ? [] : [`at least ${show(limits.min)}`]),
    ...(limits.max === undefined ? [] : [`at most ${show(limits.max)}`]),
  ];
  return parts.length === 0 ? '' : `; ${parts.join(', ')}`;
}

const META: Readonly<Record<FlagSpec['kind'], string>> = {
  flag: '',
  size: 'SIZE',
  time: 'TIME',
  rate: 'RATE',
  'per-byte': 'GAMMA',
  count: 'N',
  number: 'X',
  choice: 'C',
  text: 'TEXT',
};

/** Words wrapped to `width` columns, continuation lines indented by `indent`. */
function wrap(text: string, indent: number, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** A flag's limits and default, short, as its help line ends: '[1 to 64; default 2]'. */
function brief(spec: FlagSpec): string {
  const parts: string[] = [];
  switch (spec.kind) {
    case 'size':
    case 'time':
    case 'rate': {
      const show = { size: showBytes, time: showSeconds, rate: showRate }[spec.kind];
      const limits = limitText(spec, show);
      if (limits !== '') parts.push(limits.slice(2));
      break;
    }
    case 'count':
    case 'number':
      parts.push(
        `${spec.min} to ${spec.max}${spec.kind === 'number' && spec.inf ? ' or inf' : ''}`,
      );
      break;
    case 'choice':
      if (spec.meta !== '0|1') parts.push(`one of ${spec.choices.join(', ')}`);
      break;
    default:
      break;
  }
  if (spec.kind !== 'flag' && spec.default !== undefined) parts.push(`default ${spec.default}`);
  return parts.length === 0 ? '' : ` [${parts.join('; ')}]`;
}

/** A flag's help: its line, then its limits and default. */
function flagLines(name: string, spec: FlagSpec): string[] {
  const meta = spec.kind === 'flag' ? '' : ` ${spec.meta ?? META[spec.kind]}`;
  const left = `  ${spec.short ? `-${spec.short}, ` : '    '}--${name}${meta}`;
  const column = 30;
  const body = wrap(`${spec.help}${brief(spec)}`, column);
  const pad = ' '.repeat(column);
  const [head = '', ...rest] = body;
  const first = left.length < column ? `${left.padEnd(column)}${head}` : `${left}\n${pad}${head}`;
  return [first, ...rest.map((l) => `${pad}${l}`)];
}

/** How the values of the kinds the schema uses are written, once per help. */
function grammarLines(flags: Flags): string[] {
  const kinds = new Set(Object.values(flags).map((f) => f.kind));
  const forms: [FlagSpec['kind'], string][] = [
    ['size', `SIZE  bytes: ${SIZE_FORMS}; b or bit (bits) is refused`],
    ['time', `TIME  ${TIME_FORMS}; a bare number other than 0 is refused`],
    ['rate', `RATE  ${RATE_FORMS}; a bare number is refused`],
    ['per-byte', `GAMMA ${PER_BYTE_FORMS}`],
    ['count', `N     ${COUNT_FORMS}`],
  ];
  const lines = forms.filter(([k]) => kinds.has(k)).map(([, text]) => `  ${text}`);
  return lines.length === 0 ? [] : ['values:', ...lines];
}

/** Lines as written where indented (a table), wrapped where not. */
const paragraphs = (text: string) =>
  text.split('\n').flatMap((l) => (l.startsWith(' ') ? [l] : wrap(l, 0)));

/** The command's help, generated from its schema. */
export function usage(schema: CommandSchema): string {
  const synopsis = schema.positionals?.synopsis ? ` ${schema.positionals.synopsis}` : '';
  return [
    `usage: fleetlab ${schema.name}${synopsis} [options]`,
    ...paragraphs(schema.about),
    'options:',
    ...Object.entries(schema.flags).flatMap(([name, spec]) => flagLines(name, spec)),
    '  -h, --help                  this text',
    ...(schema.notes === undefined ? [] : paragraphs(schema.notes)),
    ...grammarLines(schema.flags),
  ].join('\n');
}
