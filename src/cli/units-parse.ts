// The CLI's face of src/model/units-parse.ts: the same grammar, but a malformed value is a
// UsageError (exit 2) rather than the model's RangeError.
import * as units from '../model/units-parse.ts';
import { UsageError } from './args.ts';

type Parser = (option: string, text: string) => number;

function asUsage(parse: Parser): Parser {
  return (option, text) => {
    try {
      return parse(option, text);
    } catch (e) {
      throw e instanceof RangeError ? new UsageError(e.message) : e;
    }
  };
}

export const parseTime = asUsage(units.parseTime);
export const parseBandwidth = asUsage(units.parseBandwidth);
export const parseByteSize = asUsage(units.parseByteSize);
export const parseSecondsPerByte = asUsage(units.parseSecondsPerByte);
