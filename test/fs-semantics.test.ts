// The probe suite as a test: every case the same as Linux on every
// filesystem, or listed in test/fs-semantics/known-gaps.json with its reason.
import { describe, expect, it } from 'vitest';
import { runSuite } from './fs-semantics/run.js';

describe('filesystem semantics against Linux', () => {
  it('every case is the same as Linux, or a known gap', () => {
    const results = runSuite();
    const differs = results.filter((r) => r.verdict === 'differs').map((r) => `${r.fs}/${r.probe}/${r.case}\n linux: ${r.linux} got: ${r.got}`);
    expect(differs).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(443 * 3);
  }, 600_000);
});
