// The benchmark's plot: one pair of bars per workload, 1× marked (timings themselves are never tested).
import { describe, expect, it } from 'vitest';
import { ratioPlot } from '../bench/plot.js';

describe('bench plot', () => {
  it('draws a bar per ratio on a log scale with the 1× line', () => {
    const svg = ratioPlot({
      'micro: stat': { tvisorToNative: 27, tvisorToRunsc: 0.95 },
      'untar': { tvisorToNative: 4.6, tvisorToRunsc: null },
    }, '2026-11-25');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect [^>]*fill="#3b73c4"/g)).toHaveLength(2);
    expect(svg.match(/<rect [^>]*fill="#e07b29"/g)).toHaveLength(1);
    expect(svg).toContain('>1×</text>');
    expect(svg).toContain('micro: stat');
  });
});
