// Bad input on the command line: a UsageError is exit 2 and one line on stderr naming the flag,
// the value and what would be accepted (src/cli/grammar.ts reads values, src/cli/schema.ts flags).

/** A newline, a control character or a line separator: what would break the one line. */
function breaksLine(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/** `text` with each such character written as \uXXXX. */
export function oneLine(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0) as number;
    out += breaksLine(code) ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return out;
}

export class UsageError extends Error {
  override name = 'UsageError';

  /** The message as one line, whatever a value in it holds. */
  constructor(message: string) {
    super(oneLine(message));
  }
}
