// `npm run bench:platforms`: what one trapped call costs the mechanism alone
// under each way a platform could bring it to the sentry (bench/platforms.c:
// seccomp user notifications with and without SYNC_WAKE_UP, and systrap's
// SIGSYS handler handing the call over shared memory and futexes), and
// notify-sync answering with a new descriptor each of the two ways tvisor's
// glue installs one, in interleaved rounds; medians, and each against
// tvisor's plain answer (notify-sync).
// It measures; it never fails a build.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoFile } from '../native/index.js';

const iterations = Number(process.argv[2] ?? 20000);
const dir = mkdtempSync(join(tmpdir(), 'tvisor-platforms-'));
try {
  const bin = join(dir, 'platforms');
  const glue = repoFile('native/build');
  execFileSync('cc', ['-O2', '-o', bin, repoFile('bench/platforms.c'), `${glue}/libtvisor.so`, `-Wl,-rpath,${glue}`]);
  const rows = new Map<string, number[]>();
  for (const line of execFileSync(bin, [String(iterations)], { encoding: 'utf8' }).trim().split('\n')) {
    const [name, value] = line.split(' ') as [string, string];
    if (value === 'unsupported') { console.log(`${name}: not supported by this kernel`); continue; }
    rows.set(name, [...(rows.get(name) ?? []), Number(value)]);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(rows.get('notify-sync') ?? [NaN]);
  for (const [name, xs] of rows) {
    console.log(`${name.padEnd(12)} ${(median(xs) / 1000).toFixed(1).padStart(6)} µs a call  (${(median(xs) / base).toFixed(2)}× notify-sync; runs: ${xs.map((x) => (x / 1000).toFixed(1)).join(', ')})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
