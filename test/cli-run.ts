// Runs the `fleetlab` command in-process, as tests of bad options do: its exit code and what
// it wrote to stderr (no GPU is touched before the options are checked).
import { expect, vi } from 'vitest';
import { main } from '../src/cli/main.ts';

export async function runCli(args: string): Promise<{ code: number; stderr: string[] }> {
  const stderr: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    return { code: await main(args.split(' ').filter(Boolean)), stderr };
  } finally {
    spy.mockRestore();
  }
}

/** `fleetlab <args>` exits 2 with one line on stderr, from fleetlab, matching `message`. */
export async function expectUsageError(args: string, message: RegExp): Promise<void> {
  const { code, stderr } = await runCli(args);
  expect(code).toBe(2);
  expect(stderr).toHaveLength(1);
  expect(stderr[0]).toMatch(/^fleetlab: /);
  expect(stderr[0]).toMatch(message);
}
