// The benchmark's plot: one pair of bars per workload, 1× marked (timings themselves are never tested).
import { describe, expect, it } from 'vitest';
import { compare } from '../bench/compare.js';
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

describe('bench --quick comparison', () => {
  const row = (tvisorToNative: number, tvisorToRunsc: number | null) => ({ unit: 'ns', tvisorToNative, tvisorToRunsc, traps: null });
  it('compares the ratio to runsc, or to native without runsc, and calls out a change past 25%', () => {
    const before = { date: '2026-11-25', summary: { 'micro: stat': row(28, 0.9), 'micro: rename': row(21, 1.27), 'untar': row(4, null) } };
    const out = compare(before, { 'micro: stat': row(30, 2.0), 'micro: rename': row(10, 1.3), 'untar': row(2, null), 'new row': row(1, 1) });
    const lines = out.split('\n');
    expect(lines[0]).toBe('compared with the committed results of 2026-11-25:');
    expect(lines.find((l) => l.startsWith('| micro: stat'))).toMatch(/0\.90× → 2\.00× \| slower \(2\.22×\) \|$/);
    // Against runsc nothing changed, whatever native did.
    expect(lines.find((l) => l.startsWith('| micro: rename'))).toMatch(/1\.27× → 1\.30× \|  \|$/);
    expect(lines.find((l) => l.startsWith('| untar'))).toMatch(/faster \(0\.50×\)/);
    expect(out).not.toContain('new row');
  });

  it('says so, and calls nothing out, when the committed results were made on another machine', () => {
    const before = { date: '2026-12-07', machine: { cpus: 2, model: 'Intel(R) Xeon(R) Processor' }, summary: { 'micro: stat': row(57, 0.25) } };
    const out = compare(before, { 'micro: stat': row(33, 1.15) }, { cpus: 2, model: 'AMD EPYC' });
    expect(out.split('\n')[1]).toBe('(made on another machine, 2 × Intel(R) Xeon(R) Processor, not this 2 × AMD EPYC: ' +
      'the ratios are not comparable; a baseline is the committed build run here)');
    expect(out.split('\n').find((l) => l.startsWith('| micro: stat'))).toMatch(/0\.25× → 1\.15× \|  \|$/);
    expect(compare(before, { 'micro: stat': row(33, 1.15) }, before.machine)).toMatch(/slower \(4\.60×\)/);
  });
});
