// The probe suite as a test: every case the same as Linux on every
// filesystem, or listed in test/fs-semantics/known-gaps.json with its reason.
// One test per probe program, so that no single synchronous run holds the
// test worker's event loop for minutes (vitest's messages time out after 60 s;
// test/setup/event-loop.ts lets the loop turn between tests).
import { describe, expect, it } from 'vitest';
import { type CaseResult, probeNames, runSuite } from './fs-semantics/run.js';
import { compatJson, compatMatrix, readCompat } from './fs-semantics/compat.js';

describe('filesystem semantics against Linux', () => {
  const all: CaseResult[] = [];
  it.each(probeNames())('%s: every case is the same as Linux, or a known gap', (probe) => {
    const results = runSuite({ probes: [probe] });
    all.push(...results);
    const differs = results.filter((r) => r.verdict === 'differs').map((r) => `${r.fs}/${r.probe}/${r.case}\n linux: ${r.linux} got: ${r.got}`);
    expect(differs).toEqual([]);
    expect(results.length).toBeGreaterThan(0);
  }, 300_000);

  it('ran every case on each of the three filesystems', () => {
    expect(all.length).toBeGreaterThanOrEqual(800 * 3);
  });

  it('answers as the committed compatibility matrix says (test/fs-semantics/compat.json, docs/compat.md)', () => {
    // A new case or a changed answer: `npm run fs-semantics -- --json` writes both anew.
    expect(compatJson(compatMatrix(all))).toBe(compatJson(readCompat()));
  });
});
