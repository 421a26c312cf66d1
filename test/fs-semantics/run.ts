// The filesystem-semantics suite: every probe runs natively on a fresh host
// tmpfs and inside tvisor on each of its filesystems (tmpfs, the overlay root,
// a read-write gofer bind mount), and each case's observations are compared
// with Linux's. `npm run fs-semantics` prints the table and writes a report;
// `--runner "CMD …"` runs the probes under another sandbox instead of tvisor;
// `--json` also writes the compatibility matrix (compat.ts): compat.json and
// docs/compat.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoFile } from '../../native/index.js';
import { compatMatrix, writeCompat } from './compat.js';

export type Verdict = 'same' | 'differs' | 'known gap';

export interface CaseResult {
  probe: string; case: string; fs: string; tvisor: boolean; verdict: Verdict; linux: string; got: string; reason?: string;
}

/**
 * A column of the table: one of tvisor's filesystems, or another sandbox
 * (`--runner`, in its /tmp). `bound`: the host file a probe of FILE_BIND_PROBES
 * binds; such probes run only on the targets that take one (`fileBind`).
 */
interface Target { fs: string; tvisor: boolean; fileBind?: boolean; run(probe: string, bind: string, bound: string): string }

/** Probes of one bound host file (its path in PROBE_BOUND), not of a directory: docker's /etc/hosts. */
const FILE_BIND_PROBES = new Set(['filebind']);
/** Where the filebind target binds the file in the sandbox. */
const BOUND_IN_SANDBOX = '/fs-semantics-bound';

/** Output of a probe binary split into its cases. */
function cases(output: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  for (const line of output.split('\n')) {
    if (line.startsWith('=== ')) { name = line.slice(4); out.set(name, ''); }
    else if (name && line !== '') out.set(name, out.get(name)! + line + '\n');
  }
  return out;
}

/** The probe programs' names (probes/<name>.c). */
export function probeNames(): string[] {
  return readdirSync(repoFile('test/fs-semantics/probes')).filter((f) => f.endsWith('.c')).sort().map((f) => f.slice(0, -2));
}

function compileProbes(dir: string, only?: string[]): string[] {
  const src = repoFile('test/fs-semantics/probes');
  return probeNames().filter((n) => !only || only.includes(n)).map((n) => `${n}.c`).map((f) => {
    const bin = join(dir, f.slice(0, -2));
    execFileSync('cc', ['-O1', '-Wall', '-I', src, '-o', bin, join(src, f)], { stdio: 'inherit' });
    return bin;
  });
}

function sh(argv: string[], env?: Record<string, string>): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 120_000,
    env: env && { ...process.env, ...env } });
  return r.stdout + (r.status === 0 ? '' : `exit status ${r.status ?? r.signal}\n${r.stderr}`);
}

function targets(runners: string[][], withTvisor: boolean): Target[] {
  const tvisor = [process.execPath, repoFile('bin/tvisor.js'), 'do'];
  // Each run gets a fresh directory inside the sandbox, made by the sandbox's own shell.
  const inSandbox = (prefix: string[], dir: string, probe: string) =>
    sh([...prefix, '/bin/sh', '-c', `rm -rf ${dir} && mkdir -p ${dir} && exec ${probe} ${dir}`]);
  const out: Target[] = withTvisor ? [
    { fs: 'tmpfs', tvisor: true, run: (probe) => inSandbox([...tvisor, '--'], '/dev/shm/fs-semantics', probe) },
    { fs: 'overlay', tvisor: true, run: (probe) => inSandbox([...tvisor, '--'], '/tmp/fs-semantics', probe) },
    { fs: 'bind', tvisor: true, run: (probe, bind) => inSandbox([...tvisor, '-v', `${bind}:/bind`, '--'], '/bind/fs-semantics', probe) },
    { fs: 'memfs', tvisor: true, run: (probe) => inSandbox([process.execPath, repoFile('dist/test/fs-semantics/memfs-runner.js')],
      '/vol/fs-semantics', probe) },
    { fs: 'filebind', tvisor: true, fileBind: true, run: (probe, _bind, bound) => inSandbox([...tvisor, '-v', `${bound}:${BOUND_IN_SANDBOX}`,
      '--env', `PROBE_BOUND=${BOUND_IN_SANDBOX}`, '--'], '/tmp/fs-semantics', probe) },
  ] : [];
  for (const r of runners) {
    out.push({ fs: r[0]!.slice(r[0]!.lastIndexOf('/') + 1), tvisor: false, run: (probe) => inSandbox(r, '/tmp/fs-semantics', probe) });
  }
  return out;
}

/** Lazily unmounts whatever a probe left mounted under `dir` on the host (a probe that failed half-way). */
function detachMounts(dir: string): void {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir + '/')).sort().reverse();
  for (const p of points) spawnSync('umount', ['-l', p]);
}

/** Known differences from Linux, each with its reason: { "fs/probe/case": reason } ("*" matches any fs). */
function knownGaps(): Record<string, string> {
  return JSON.parse(readFileSync(repoFile('test/fs-semantics/known-gaps.json'), 'utf8')) as Record<string, string>;
}

/** Runs every probe natively and on each target; `runners` add other sandboxes' columns (`withTvisor: false`: only theirs). */
export function runSuite(opts: { runners?: string[][]; withTvisor?: boolean; probes?: string[]; filesystems?: string[] } = {}): CaseResult[] {
  const work = mkdtempSync('/tmp/tvisor-fs-semantics-');
  // The bind column's host directory is on a tmpfs, as the native run's: the host filesystem
  // decides some answers the sandbox passes through (ext4 moves no atime on a zero-byte read).
  const bind = mkdtempSync('/dev/shm/tvisor-fs-semantics-bind-');
  const gaps = knownGaps();
  const results: CaseResult[] = [];
  try {
    const probes = compileProbes(work, opts.probes);
    const bound = join(work, 'bound');
    writeFileSync(bound, '');
    for (const probe of probes) {
      const name = probe.slice(probe.lastIndexOf('/') + 1);
      const fileBind = FILE_BIND_PROBES.has(name);
      const nativeDir = mkdtempSync('/dev/shm/tvisor-fs-semantics-');
      let linux;
      try {
        if (fileBind) {
          // The same host file, bound natively onto a file beside the cases' directories.
          writeFileSync(join(nativeDir, 'bound'), '');
          execFileSync('mount', ['--bind', bound, join(nativeDir, 'bound')]);
        }
        linux = cases(sh([probe, nativeDir], fileBind ? { PROBE_BOUND: join(nativeDir, 'bound') } : undefined));
      } finally {
        detachMounts(nativeDir);
        rmSync(nativeDir, { recursive: true, force: true });
      }
      for (const t of targets(opts.runners ?? [], opts.withTvisor ?? true)) {
        if ((t.fileBind ?? false) !== fileBind || (opts.filesystems && !opts.filesystems.includes(t.fs))) continue;
        const got = cases(t.run(probe, bind, bound));
        for (const [c, expected] of linux) {
          const actual = got.get(c) ?? '(case did not run)\n';
          // Known gaps are tvisor's; another sandbox's differences are shown as they are.
          const reason = t.tvisor ? gaps[`${t.fs}/${name}/${c}`] ?? gaps[`*/${name}/${c}`] : undefined;
          const verdict: Verdict = actual === expected ? 'same' : reason ? 'known gap' : 'differs';
          results.push({ probe: name, case: c, fs: t.fs, tvisor: t.tvisor, verdict, linux: expected, got: actual, reason });
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(bind, { recursive: true, force: true });
  }
  return results;
}

function main(): void {
  const args = process.argv.slice(2);
  const runners = args.flatMap((a, i) => (a === '--runner' && args[i + 1] ? [args[i + 1]!.split(' ').filter(Boolean)] : []));
  const results = runSuite({ runners, withTvisor: !args.includes('--runner-only') });
  const fss = [...new Set(results.map((r) => r.fs))];
  const rows = new Map<string, Map<string, CaseResult>>();
  for (const r of results) {
    const key = `${r.probe}/${r.case}`;
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key)!.set(r.fs, r);
  }
  const mark = (r?: CaseResult) => !r ? 'skipped' : r.verdict === 'same' ? 'same' : r.verdict === 'known gap' ? 'known gap' : 'DIFFERS';
  const lines = [`| probe / case | ${fss.join(' | ')} |`, `|---|${fss.map(() => '---').join('|')}|`];
  for (const [key, byFs] of rows) lines.push(`| ${key} | ${fss.map((f) => mark(byFs.get(f))).join(' | ')} |`);
  console.log(lines.join('\n'));
  const count = (v: Verdict, fs?: string) => results.filter((r) => r.verdict === v && (!fs || r.fs === fs)).length;
  console.log(`\n${rows.size} cases`);
  for (const fs of fss) console.log(`  ${fs}: ${count('same', fs)} same, ${count('known gap', fs)} known gaps, ${count('differs', fs)} differ`);
  for (const other of fss.filter((fs) => !results.find((r) => r.fs === fs)?.tvisor)) {
    const better = [...rows.values()].filter((byFs) => byFs.get(other)?.verdict === 'differs' &&
      [...byFs.values()].some((r) => r.tvisor) && [...byFs.values()].every((r) => !r.tvisor || r.verdict === 'same')).length;
    if (fss.some((fs) => results.find((r) => r.fs === fs)?.tvisor)) console.log(`  cases where tvisor is the same as Linux on every filesystem and ${other} differs: ${better}`);
  }
  for (const r of results.filter((x) => x.verdict !== 'same' && x.tvisor)) {
    console.log(`\n${r.fs}/${r.probe}/${r.case}${r.reason ? ` (known gap: ${r.reason})` : ''}\n  linux: ${r.linux.trim().replace(/\n/g, '\n         ')}\n  got:   ${r.got.trim().replace(/\n/g, '\n         ')}`);
  }
  const report = repoFile('test/fs-semantics/report.json');
  writeFileSync(report, JSON.stringify({ date: new Date().toISOString(), results }, null, 2) + '\n');
  console.log(`\nreport: ${report}`);
  if (args.includes('--json')) console.log(`compatibility matrix: ${writeCompat(compatMatrix(results)).join(', ')}`);
  // Another sandbox's differences are information; tvisor's fail the run.
  process.exitCode = results.some((r) => r.tvisor && r.verdict === 'differs') ? 1 : 0;
}

if (process.argv[1]?.endsWith('fs-semantics/run.js')) main();
