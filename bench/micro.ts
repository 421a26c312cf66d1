// Runs bench/micro.c natively, under runsc (if installed) and under tvisor,
// side by side in one run, and prints ns per operation and the ratios.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { repoFile } from '../native/index.js';

const dir = mkdtempSync('/tmp/tvisor-bench-');
const bin = join(dir, 'micro');
execFileSync('cc', ['-O2', '-static', '-o', bin, repoFile('bench/micro.c')]);

function parse(out: string): Map<string, number> {
  return new Map(out.trim().split('\n').map((l) => { const [k, v] = l.split(' '); return [k!, Number(v)]; }));
}

const runners: [string, () => string][] = [
  ['native', () => execFileSync(bin, [dir], { encoding: 'utf8' })],
  ['tvisor', () => execFileSync(process.execPath, [repoFile('bin/tvisor.js'), 'do', '--', bin, '/tmp'], { encoding: 'utf8' })],
];
const runsc = ['/usr/bin/runsc', '/usr/sbin/runsc'].find((p) => existsSync(p));
if (runsc) {
  runners.push(['runsc', () => execFileSync(runsc, ['--platform=ptrace', '--network=none', '--rootless=false', 'do', bin, '/tmp'],
    { encoding: 'utf8' })]);
} else {
  process.stderr.write('runsc not installed (apt-get install -y runsc): comparing with native only\n');
}

const results = new Map<string, Map<string, number>[]>();
for (let rep = 0; rep < 3; rep++) {
  for (const [name, run] of runners) {
    const r = parse(run());
    results.set(name, [...(results.get(name) ?? []), r]);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ops = [...results.get('native')![0]!.keys()];
const names = runners.map(([n]) => n);
console.log(['op', ...names.map((n) => `${n} ns`), 'tvisor/native', ...(runsc ? ['tvisor/runsc'] : [])].join('\t'));
for (const op of ops) {
  const m = Object.fromEntries(names.map((n) => [n, median(results.get(n)!.map((r) => r.get(op)!))]));
  const row = [op, ...names.map((n) => String(m[n])), (m.tvisor! / m.native!).toFixed(2)];
  if (runsc) row.push((m.tvisor! / m.runsc!).toFixed(2));
  console.log(row.join('\t'));
}
