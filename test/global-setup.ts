// Everything the tests make on the host lives in one scratch directory
// (test/helpers.ts tempDir, compile), made here and removed when the run
// ends, whatever the tests did: a failing or interrupted test leaves nothing
// in /tmp. Workers find it in TVISOR_TEST_TMP.
import { mkdtempSync, rmSync } from 'node:fs';

export default function setup(): () => void {
  const dir = mkdtempSync('/tmp/tvisor-test-');
  process.env.TVISOR_TEST_TMP = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
