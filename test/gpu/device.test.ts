import { describe, expect, it } from 'vitest';
import { acquireDevice, REQUESTED_LIMITS } from '../../src/gpu/device.ts';
import { nodeProvider } from '../../src/gpu/node-provider.ts';
import { detectTimestampRegime, GpuTimer, timestampMarker } from '../../src/gpu/timer.ts';
import { testContext } from './context.ts';

describe('acquireDevice in Node (Dawn)', async () => {
  const ctx = await testContext();

  it("grants the adapter's own limits, not the WebGPU defaults", async () => {
    const provider = ctx.provider;
    const adapter = await provider.gpu.requestAdapter();
    expect(adapter).not.toBeNull();
    for (const name of REQUESTED_LIMITS) expect(ctx.limits[name]).toBe(adapter?.limits[name]);
    // 256 MiB is WebGPU's default maxBufferSize; every adapter we run on offers more.
    expect(ctx.limits.maxBufferSize).toBeGreaterThanOrEqual(256 * 2 ** 20);
  });

  it('reports the adapter and whether timestamps are exact', async () => {
    expect(ctx.adapter.vendor.length + ctx.adapter.architecture.length).toBeGreaterThan(0);
    expect(ctx.provider.kind).toBe('node');
    const regime = await detectTimestampRegime(ctx);
    if (ctx.features.timestampQuery) {
      // Node switches Dawn's 65,536 ns quantization off.
      expect(regime).toMatchObject({ source: 'timestamp-query', exact: true, quantum_s: 0 });
    } else {
      expect(regime.source).toBe('wall-clock');
    }
  });

  it('the timer yields one finite, positive figure per repetition', async () => {
    const timer = new GpuTimer(ctx);
    const seconds = await timer.run('markers', 5, (encoder, w) => {
      timestampMarker(encoder, w.begin);
      timestampMarker(encoder, w.end);
    });
    timer.destroy();
    expect(seconds).toHaveLength(5);
    for (const s of seconds) expect(Number.isNaN(s) || s > 0).toBe(true);
    expect(seconds.some(Number.isFinite)).toBe(true);
  });

  it('without timestamp-query the timer falls back to wall-clock, labelled as such', async () => {
    const noQueries = { ...ctx, features: { ...ctx.features, timestampQuery: false } };
    const timer = new GpuTimer(noQueries);
    expect(timer.mode).toBe('wall-clock');
    const seconds = await timer.run('wall-clock', 3, (encoder, w) => {
      expect(w).toEqual({}); // no timestamp writes to place
      timestampMarker(encoder, w.both);
    });
    expect(seconds).toHaveLength(3);
    for (const s of seconds) expect(s).toBeGreaterThanOrEqual(0);
    expect(await detectTimestampRegime(noQueries)).toMatchObject({
      source: 'wall-clock',
      exact: false,
    });
  });

  it('a destroyed device reports loss, and a new device can be acquired after it', async () => {
    let onLostCalls = 0;
    const first = await acquireDevice({
      provider: await nodeProvider(),
      onLost: () => onLostCalls++,
    });
    first.device.destroy();
    const info = await first.lost;
    expect(info.reason).toBe('destroyed');
    expect(onLostCalls).toBe(0); // our own destroy() is not a loss to report
    const second = await acquireDevice({ provider: first.provider });
    expect(second.device).not.toBe(first.device);
    second.device.destroy();
  });
});
