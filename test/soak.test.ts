// A small soak inside `npm test` (the long one is `npm run soak`): 4 sandboxes
// with mixed workloads for about 20 s while guests, gofers and sentries are
// killed at random. See test/soak/soak.ts for the invariants.
import { describe, expect, it } from 'vitest';
import { soak } from './soak/soak.js';

describe('soak', () => {
  it('loses no closed data, leaves no process untraced and no host state, under random kills', async () => {
    const report = await soak({ sandboxes: 4, durationMs: 20_000, minFiles: 8, killEveryMs: 3_000, tmp: process.env.TVISOR_TEST_TMP });
    expect(report.problems).toEqual([]);
    expect(report.filesChecked).toBeGreaterThanOrEqual(8);
    expect(report.processesSeen).toBeGreaterThan(0);
  }, 600_000);
});
