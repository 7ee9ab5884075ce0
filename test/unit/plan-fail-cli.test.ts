// `fleetlab plan allreduce --fail RANK@WAVE`: the survivors' recovery priced on a fabric, its
// parts adding up, the rerun priced as the same AllReduce on the survivors alone, the check of
// the survivors' result, and bad input (exit 2, one line naming the value and the limit).
import { describe, expect, it } from 'vitest';
import { runPlan } from '../../src/cli/plan.ts';
import { expectUsageError } from '../cli-run.ts';

async function plan(args: string): Promise<string[]> {
  const lines: string[] = [];
  await runPlan(args.split(' ').filter(Boolean), (line) => lines.push(line));
  return lines;
}

async function planJson(args: string): Promise<Record<string, unknown>> {
  const lines = await plan(`${args} --json -`);
  return JSON.parse(lines.at(-1) as string);
}

interface Failure {
  rank: number;
  survivors: number[];
  tasks_ran: number;
  tasks_lost: number;
  stalled_s: number;
  detected_s: number;
  detect_timeout_s: number;
  reform_s: number;
  rerun_s: number;
  emulated_s: number;
  emulated_without_s: number;
  analytic_s: number;
  wrong: number;
  members_agree: boolean;
}

describe('fleetlab plan --fail', () => {
  it('prices the stall, the timeout, the re-forming and the rerun, and checks the survivors', async () => {
    const r = await planJson(
      'allreduce --algo ring --ranks 4 --count 1M --fail 2@3 --detect-timeout 5ms',
    );
    const f = r.failure as Failure;
    expect(f.survivors).toEqual([0, 1, 3]);
    expect(f.tasks_ran + f.tasks_lost).toBe(r.tasks);
    expect(f.tasks_lost).toBeGreaterThan(0);
    expect(f.detect_timeout_s).toBe(5e-3);
    expect(f.detected_s).toBeCloseTo(f.stalled_s + 5e-3, 15);
    expect(f.emulated_s).toBeCloseTo(f.detected_s + f.reform_s + f.rerun_s, 15);
    expect(f.emulated_without_s).toBe(r.emulated_s);
    expect(f.wrong).toBe(0);
    expect(f.members_agree).toBe(true);
    // The rerun is the AllReduce of the three survivors, priced as that plan alone.
    const three = await planJson('allreduce --algo ring --ranks 3 --count 1M');
    expect(f.rerun_s).toBeCloseTo(three.emulated_s as number, 12);
  });

  it('stands beside the closed forms: the recovery exactly on a switch, the lost work at least', async () => {
    for (const algo of ['ring', 'tree', 'rhd']) {
      const r = await planJson(
        `allreduce --algo ${algo} --ranks 8 --count 256K --fail 5@2 --detect-timeout 1ms`,
      );
      const f = r.failure as Failure & { wave: number; waves: number };
      expect(f.wrong).toBe(0);
      // The closed forms stop everyone at the failure's wave (a lock-step schedule); the event
      // pricer lets each survivor go on until it waits on the dead rank: it loses more.
      const lockstep = (f.wave / f.waves) * (r.analytic_s as number);
      const recovery = f.analytic_s - lockstep;
      expect(lockstep).toBeLessThanOrEqual(f.stalled_s * (1 + 1e-12));
      if (algo === 'ring') {
        // On a uniform crossbar the ring's closed forms are the pricer's exactly.
        // (to within uneven chunks: 256K elements do not split evenly over 7 ranks)
        expect(recovery).toBeCloseTo(1e-3 + f.reform_s + f.rerun_s, 8);
      }
    }
  });

  it('says it in words', async () => {
    const lines = await plan('allreduce --algo tree --ranks 4 --count 64K --fail 0@1');
    const text = lines.join('\n');
    expect(text).toMatch(/failure: +rank 0 stops before wave 1 of \d+/);
    expect(text).toMatch(/survivors 1, 2, 3 stall by .*time out after 10\.0 ms/);
    expect(text).toMatch(/rerun on 3 ranks in .*the failed rank's contribution is out/);
    expect(text).toMatch(/check: 0 wrong .*members agreed/);
  });

  it('refuses what it cannot do, in one line', async () => {
    await expectUsageError(
      'plan allreduce --ranks 4 --fail 2@70',
      /--fail: failure wave 70 must be below the plan's \d+ waves/,
    );
    await expectUsageError(
      'plan allreduce --ranks 4 --fail 4@1',
      /failed rank 4 must be below ranks 4/,
    );
    await expectUsageError('plan allreduce --ranks 4 --fail two', /must be RANK@WAVE/);
    await expectUsageError('plan allreduce --ranks 4 --fail 1@1 --in-place', /out-of-place/);
    await expectUsageError(
      'plan allreduce --algo hierarchical --ranks 4 --fail 1@1',
      /not 'hierarchical'/,
    );
    await expectUsageError(
      'plan allgather --ranks 4 --fail 1@1',
      /--fail applies to allreduce, not allgather/,
    );
    await expectUsageError('plan allreduce --ranks 4 --detect-timeout 1ms', /only with --fail/);
    await expectUsageError('plan allreduce --ranks 1 --fail 0@0', /at least 2 ranks/);
  });
});
