// The sweep plot's colours: every series of a sweep over all of AllReduce's algorithms (three a
// algorithm: model, closed form, measured) has a colour of its own (issue 11: 18 series drew in
// six colours, told apart only by dash and marker).
import { describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../src/plans/registry.ts';
import type { SweepPlotData } from '../../src/view/collectives/sweep-plot.ts';
import { kindColour, seriesColours } from '../../src/view/collectives/sweep-plot.ts';

describe('sweep series colours', () => {
  it('no two series of a sweep over every AllReduce algorithm share a colour', () => {
    const algorithms = Object.keys(ALGORITHMS.allreduce);
    const point = { bytes: 1024, time_s: 1e-5, busbw_Bps: 1e9 };
    const data: SweepPlotData = {
      metric: 'busbw',
      algorithms,
      measured: algorithms.map((algorithm) => ({ algorithm, ...point, median_s: 1e-5, wrong: 0 })),
      models: algorithms.flatMap((algorithm) =>
        (['priced', 'closed-form'] as const).map((kind) => ({
          algorithm,
          kind,
          points: [point],
        })),
      ),
    };
    const colours = seriesColours(data);
    expect(colours.size).toBe(algorithms.length * 3);
    expect(new Set(colours.values()).size).toBe(colours.size);
  });

  it('the closed form is lighter and the measured dots darker than the model curve', () => {
    expect(kindColour('#E69F00', 'priced')).toBe('#E69F00');
    expect(kindColour('#e69f00', 'closed-form')).toBe('#f3cf80');
    expect(kindColour('#e69f00', 'measured')).toBe('#a16f00');
  });
});
