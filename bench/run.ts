// `npm run bench`: the same workloads natively, under runsc and under tvisor
// (and proot when installed), interleaved in one run, several repetitions.
// Prints a table of medians and ratios, writes the raw results as JSON and
// the ratios as an SVG plot (bench/results/).
// `npm run bench -- --quick`: start-up and the micro-benchmark only (under a
// minute), written to bench/results/quick.json and compared with the last
// committed results, so that a change to the sentry's call path shows what it
// costs before it lands. It measures; it never fails a build.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { repoFile } from '../native/index.js';
import { compare, fmt, type Results, type RowSummary } from './compare.js';
import { ratioPlot } from './plot.js';

interface Runner { name: string; command(argv: string[]): string[] }

interface Workload {
  name: string;
  /** What a row measures: wall-clock ms of the whole command, or ns per operation (micro). */
  unit: 'ms' | 'ns';
  /** The command (the same for every runner); `dir` is a fresh directory name for this run. */
  argv(dir: string): string[];
  /** Where `dir` is made: the issue's /tmp, or a tmpfs for the micro-benchmark (as Linux is measured on tmpfs). */
  dirIn: '/tmp' | '/dev/shm';
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const repsArg = args.find((a) => /^\d+$/.test(a));
const reps = Number(process.env.BENCH_REPS ?? repsArg ?? 3);
const outDir = repoFile('bench/results');
/** The quick run divides the micro-benchmark's iteration counts by this. */
const QUICK_MICRO_DIVISOR = 4;

function which(cmd: string): string | null {
  const r = spawnSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function ensureRunsc(): string | null {
  let runsc = which('runsc');
  if (!runsc && process.getuid?.() === 0) {
    process.stderr.write('runsc is not installed: installing it (apt-get install -y runsc)…\n');
    const r = spawnSync('/bin/sh', ['-c', 'apt-get install -y runsc || (apt-get update && apt-get install -y runsc)'],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status === 0) runsc = which('runsc');
  }
  if (!runsc) process.stderr.write('runsc is not available: comparing with native only\n');
  return runsc;
}

function runners(): Runner[] {
  const out: Runner[] = [
    { name: 'native', command: (argv) => argv },
    // As `npx tvisor` runs it: bin/tvisor, through the front end (its gofer started beside the command line).
    { name: 'tvisor', command: (argv) => [repoFile('bin/tvisor'), 'do', '--', ...argv] },
  ];
  const runsc = ensureRunsc();
  if (runsc) out.push({ name: 'runsc', command: (argv) => [runsc, '--platform=ptrace', '--network=none', 'do', ...argv] });
  const proot = which('proot');
  if (proot) out.push({ name: 'proot', command: (argv) => [proot, ...argv] });
  return out;
}

/** The micro-benchmark, built once per run in a host directory every runner sees (the host root is every sandbox's lower layer). */
function microBinary(dir: string): string {
  const micro = join(dir, 'micro');
  execFileSync('cc', ['-O2', '-static', '-o', micro, repoFile('bench/micro.c')]);
  return micro;
}

/** The macro workloads' inputs, made in `dir` too. */
function macroInputs(dir: string) {
  const src = join(dir, 'small');
  mkdirSync(src);
  const chunk = Buffer.alloc(10 * 1024);
  for (let i = 0; i < 2000; i++) {
    for (let j = 0; j < chunk.length; j += 4) chunk.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, j);
    if (i % 100 === 0) mkdirSync(join(src, `d${i / 100}`));
    writeFileSync(join(src, `d${Math.floor(i / 100)}`, `f${i}`), chunk);
  }
  const tarball = join(dir, 'small.tgz');
  execFileSync('tar', ['czf', tarball, '-C', dir, 'small']);
  rmSync(src, { recursive: true });
  const big = join(dir, 'big');
  const mb = Buffer.alloc(1 << 20, 7);
  writeFileSync(big, '');
  for (let i = 0; i < 200; i++) writeFileSync(big, mb, { flag: 'a' });
  const cfile = join(dir, 'hello.c');
  writeFileSync(cfile, '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n');
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  return { tarball, big, cfile, python };
}

const startUp: Workload = { name: 'start-up (do /bin/true)', unit: 'ms', dirIn: '/tmp', argv: () => ['/bin/true'] };

function microWorkload(micro: string, divisor: number): Workload {
  return { name: 'micro', unit: 'ns', dirIn: '/dev/shm',
    argv: (d) => ['/bin/sh', '-c', `mkdir -p ${d} && ${micro} ${d} ${divisor}; rm -rf ${d}`] };
}

function macroWorkloads(f: ReturnType<typeof macroInputs>): Workload[] {
  return [
    { name: 'shell loop', unit: 'ms', dirIn: '/tmp', argv: () => ['/bin/sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'] },
    { name: 'untar 20 MB of small files into /tmp + rm', unit: 'ms', dirIn: '/tmp',
      argv: (d) => ['/bin/sh', '-c', `mkdir -p ${d} && tar xzf ${f.tarball} -C ${d} && rm -rf ${d}`] },
    { name: 'find /usr -type f | wc -l', unit: 'ms', dirIn: '/tmp', argv: () => ['/bin/sh', '-c', 'find /usr -type f | wc -l'] },
    { name: 'gcc hello.c', unit: 'ms', dirIn: '/tmp', argv: (d) => ['/bin/sh', '-c', `cd /tmp && gcc -O1 -o ${d} ${f.cfile} && rm -f ${d}`] },
    { name: 'python3 imports', unit: 'ms', dirIn: '/tmp', argv: () => [f.python, '-c', 'import json, email, http.client'] },
    { name: 'cat 200 MB > /dev/null', unit: 'ms', dirIn: '/tmp', argv: () => ['/bin/sh', '-c', `cat ${f.big} > /dev/null`] },
  ];
}

/** Runs argv; the wall-clock ms, and stdout. */
function timed(argv: string[]): { ms: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(0, 400)}`);
  return { ms, stdout: r.stdout };
}

function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** The sentry's resident memory (`do`'s command line is the sandbox process) once the guest script prints "ready". */
async function sentryRss(script: string): Promise<number> {
  const cli = spawn(process.execPath, [repoFile('bin/tvisor.js'), 'do', '--', '/bin/sh', '-c', script],
    { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((r) => cli.on('exit', r));
  await new Promise<void>((resolve) => {
    let out = '';
    cli.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('ready')) resolve(); });
    cli.on('exit', () => resolve());
  });
  let rss = NaN;
  try {
    rss = rssKiB(cli.pid!) / 1024;
  } finally {
    cli.kill('SIGTERM');
    await exited;
  }
  return rss;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };

async function main() {
  const rs = runners();
  const dir = mkdtempSync('/tmp/tvisor-bench-');
  process.stderr.write(`preparing inputs in ${dir}…\n`);
  const micro = microBinary(dir);
  const macro = quick ? null : macroInputs(dir);
  const ws = quick ? [startUp, microWorkload(micro, QUICK_MICRO_DIVISOR)]
    : [startUp, ...macroWorkloads(macro!), microWorkload(micro, 1)];
  // raw[row][runner] = values; micro rows are "micro: <op>".
  const raw: Record<string, Record<string, number[]>> = {};
  const units: Record<string, string> = {};
  const record = (row: string, runner: string, value: number, unit: string) => {
    raw[row] ??= {};
    (raw[row]![runner] ??= []).push(value);
    units[row] = unit;
  };
  // A bar on a terminal; elsewhere (CI, a pipe) one line a step, since the runs block the event loop.
  const total = reps * ws.length * rs.length;
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: 'bench [{bar}] {value}/{total} {task}', hideCursor: true },
      cliProgress.Presets.shades_classic)
    : { start() {}, stop() {}, update(v: number, p?: { task: string }) { if (p) process.stderr.write(`bench ${v + 1}/${total} ${p.task}\n`); } };
  bar.start(total, 0, { task: '' });
  let n = 0;
  for (let rep = 0; rep < reps; rep++) {
    for (const w of ws) {
      for (const r of rs) {
        bar.update(n, { task: `${w.name} / ${r.name}` });
        const { ms, stdout } = timed(r.command(w.argv(`${w.dirIn}/tvisor-bench-run-${r.name}-${rep}-${process.pid}`)));
        if (w.unit === 'ms') record(w.name, r.name, ms, 'ms');
        else for (const line of stdout.trim().split('\n')) {
          const [op, v] = line.split(' ');
          record(`micro: ${op}`, r.name, Number(v), 'ns');
        }
        bar.update(++n);
      }
    }
  }
  bar.stop();
  const traps = quick ? {} : trapCounts(ws);
  const rssAfterStart = await sentryRss('echo ready; sleep 30');
  const rssAfterUntar = macro
    ? await sentryRss(`mkdir -p /tmp/rss && tar xzf ${macro.tarball} -C /tmp/rss && echo ready; sleep 30`) : null;

  const names = rs.map((r) => r.name);
  const summary: Record<string, RowSummary> = Object.fromEntries(Object.entries(raw).map(([row, byRunner]) => {
    const stats = Object.fromEntries(Object.entries(byRunner).map(([r, xs]) =>
      [r, { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }]));
    const t = stats.tvisor?.median ?? NaN;
    return [row, { unit: units[row]!, ...stats, tvisorToNative: t / (stats.native?.median ?? NaN),
      tvisorToRunsc: stats.runsc ? t / stats.runsc.median : null, traps: traps[row] ?? null }];
  }));
  const geo = (rows: string[]) => Math.exp(rows.reduce((a, row) => a + Math.log(summary[row]!.tvisorToNative), 0) / rows.length);
  const macroRows = Object.keys(summary).filter((r) => !r.startsWith('micro'));
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30),
      kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() },
    quick, reps, runners: names, raw, summary,
    geometricMeanTvisorToNative: { macro: geo(macroRows), all: geo(Object.keys(summary)) },
    sentryRssMiB: { afterStart: rssAfterStart, afterUntar: rssAfterUntar },
  };
  const file = quick ? 'quick.json' : 'latest.json';
  const before = committedResults(file) ?? (quick ? committedResults('latest.json') : null);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, file), JSON.stringify(result, null, 2) + '\n');
  if (!quick) writeFileSync(join(outDir, 'ratios.svg'), ratioPlot(summary, result.date));
  rmSync(dir, { recursive: true, force: true });

  const header = ['workload', ...names.map((r) => `${r} (median [min–max])`), 'tvisor/native',
    ...(names.includes('runsc') ? ['tvisor/runsc'] : []), 'trapped calls'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const [row, s] of Object.entries(summary)) {
    const cell = (r: string) => { const x = (s as unknown as Record<string, { median: number; min: number; max: number } | undefined>)[r];
      return x ? `${fmt(x.median)} [${fmt(x.min)}–${fmt(x.max)}] ${s.unit}` : '-'; };
    lines.push(`| ${[row, ...names.map(cell), fmt(s.tvisorToNative) + '×',
      ...(names.includes('runsc') ? [s.tvisorToRunsc === null ? '-' : fmt(s.tvisorToRunsc) + '×'] : []),
      s.traps === null ? '' : String(s.traps)].join(' | ')} |`);
  }
  console.log(lines.join('\n'));
  if (!quick) {
    console.log(`\ngeometric mean tvisor/native: macro ${fmt(result.geometricMeanTvisorToNative.macro)}×, ` +
      `all ${fmt(result.geometricMeanTvisorToNative.all)}×`);
  }
  console.log(`sentry resident memory: ${fmt(rssAfterStart)} MiB after start` +
    (rssAfterUntar === null ? '' : `, ${fmt(rssAfterUntar)} MiB after the untar`));
  console.log(`\n${result.date}, ${result.machine.cpus} × ${result.machine.model}, ${result.machine.memoryGiB} GiB, Linux ${result.machine.kernel}`);
  console.log(`raw results: ${join(outDir, file)}${quick ? '' : `; plot: ${join(outDir, 'ratios.svg')}`}`);
  if (before) console.log(`\n${compare(before, summary, result.machine)}`);
}

/** What each workload asks of the sentry: its trapped calls, counted from --strace. */
function trapCounts(ws: Workload[]): Record<string, number> {
  const traps: Record<string, number> = {};
  for (const w of ws.filter((x) => x.unit === 'ms')) {
    const argv = [process.execPath, repoFile('bin/tvisor.js'), 'do', '--strace', '--', ...w.argv(`${w.dirIn}/tvisor-bench-traps-${process.pid}`)];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
    traps[w.name] = r.stderr.split('\n').filter((l) => l.startsWith('{')).length;
  }
  return traps;
}

/** bench/results/<file> as the last commit has it (null outside a git checkout, or when it was never committed). */
function committedResults(file: string): Results | null {
  const r = spawnSync('git', ['show', `HEAD:bench/results/${file}`], { cwd: repoFile('.'), encoding: 'utf8', maxBuffer: 1 << 26 });
  return r.status === 0 ? JSON.parse(r.stdout) as Results : null;
}

await main();
