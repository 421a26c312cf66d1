// Everything the tests make on the host lives in one scratch directory
// (test/helpers.ts tempDir, compile), made here and removed when the run
// ends, whatever the tests did: a failing test leaves nothing in /tmp. A run
// that was itself killed leaves its directory to the next run, which removes
// it (the owner's pid is in the name). Workers find it in TVISOR_TEST_TMP.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';

export default function setup(): () => void {
  for (const name of readdirSync('/tmp')) {
    const pid = /^tvisor-test-(\d+)-/.exec(name)?.[1];
    if (pid && !existsSync(`/proc/${pid}`)) rmSync(`/tmp/${name}`, { recursive: true, force: true });
  }
  const dir = mkdtempSync(`/tmp/tvisor-test-${process.pid}-`);
  process.env.TVISOR_TEST_TMP = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
