// `fleetlab model moe`: the textbook's sizing of the expert-parallel all-to-all
// (src/model/moe.ts) as a calculator. No GPU: arguments in, a few lines or one JSON out.
import { type MoeSizingInput, moeSizing } from '../model/moe.ts';
import { formatBytes, formatSeconds } from '../model/units.ts';
import { UsageError } from './args.ts';
import { type CommandSchema, parseCommand, usage } from './schema.ts';

const MAX = 2 ** 40;

export const MOE_SCHEMA = {
  name: 'model moe',
  about:
    "The MoE all-to-all, sized as the book does (balanced routing: every rank sends an equal share of its tokens' k copies to each rank): tokens a rank T / N, bytes a token H B, tokens an expert T k / E, bytes a transfer (T / N) k / N x H B, a transfer alpha + bytes / beta; serialized (N - 1) transfers, parallel one; dispatch and combine twice that.",
  positionals: {
    synopsis: '',
    min: 1,
    max: 1,
    choices: ['moe'],
    extra: (what: string) => `model moe takes no '${what}'`,
  },
  flags: {
    tokens: {
      kind: 'count',
      min: 1,
      max: MAX,
      help: 'tokens T in the batch (required)',
      meta: 'T',
    },
    ranks: {
      kind: 'count',
      min: 1,
      max: 1e7,
      help: 'expert-parallel ranks N (required)',
      meta: 'N',
    },
    hidden: { kind: 'count', min: 1, max: 1e7, help: 'hidden size H (required)', meta: 'H' },
    'dtype-bytes': {
      kind: 'count',
      min: 1,
      max: 16,
      help: 'bytes an element (BF16: 2) (required)',
      meta: 'B',
    },
    experts: { kind: 'count', min: 1, max: 1e7, help: 'experts E, E >= N (required)', meta: 'E' },
    'top-k': { kind: 'count', min: 1, max: 1e7, default: '1', help: 'experts a token', meta: 'K' },
    alpha: { kind: 'time', help: 'seconds a transfer starts in (required)', meta: 'T' },
    beta: { kind: 'rate', help: 'bytes per second of a link (required)', meta: 'BW' },
    json: { kind: 'flag', help: 'one JSON object instead of text' },
  },
} as const satisfies CommandSchema;

export const MOE_USAGE = usage(MOE_SCHEMA);

function need<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new UsageError(`model moe needs --${name}`);
  return value;
}

const bytes = (n: number) => (n < 1000 ? `${n} B` : `${n} B [${formatBytes(n)}]`);

/** The sizing's inputs from argv, checked: a UsageError of one line naming the value. */
export function moeFromArgs(args: string[]): MoeSizingInput {
  const { values } = parseCommand(MOE_SCHEMA, args);
  const input: MoeSizingInput = {
    tokens: need(values.tokens, 'tokens'),
    ranks: need(values.ranks, 'ranks'),
    hidden: need(values.hidden, 'hidden'),
    dtypeBytes: need(values['dtype-bytes'], 'dtype-bytes'),
    experts: need(values.experts, 'experts'),
    topK: values['top-k'],
    alpha_s: need(values.alpha, 'alpha'),
    beta_Bps: need(values.beta, 'beta'),
  };
  try {
    moeSizing(input);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  return input;
}

export function runMoeModel(args: string[], out: (line: string) => void): void {
  const input = moeFromArgs(args);
  const s = moeSizing(input);
  if (parseCommand(MOE_SCHEMA, args).values.json) {
    out(JSON.stringify({ ...input, ...s }, null, 2));
    return;
  }
  const N = input.ranks;
  out(
    `# fleetlab model: MoE all-to-all, ${input.tokens} tokens over ${N} ranks, hidden ${input.hidden} x ${input.dtypeBytes} B, ${input.experts} experts, top-${input.topK}`,
  );
  out(`tokens/rank       ${s.tokens_per_rank} = T / N`);
  out(`bytes/token       ${bytes(s.bytes_per_token)} = H B`);
  out(`tokens/expert     ${s.tokens_per_expert} = T k / E (balanced)`);
  out(`bytes/transfer    ${bytes(s.bytes_per_transfer)} = (T / N) k / N x H B`);
  out(`sent/rank         ${bytes(s.bytes_sent_per_rank)} = (N - 1) transfers`);
  out(`transfer          ${formatSeconds(s.transfer_s)} = alpha + bytes / beta`);
  out(`serialized        ${formatSeconds(s.serialized_s)} = ${N - 1} transfers one after another`);
  out(`parallel          ${formatSeconds(s.parallel_s)} (all ${N - 1} at once, a link each)`);
  out(
    `dispatch+combine  ${formatSeconds(s.dispatch_combine_s)} a layer (two parallel all-to-alls)`,
  );
}
