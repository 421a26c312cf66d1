// `npm run bench:runtime`: tvisor against runsc as OCI runtimes, side by side
// in one run on one busybox bundle built here: the runtime's own commands
// (create, start, the container's life, delete), `podman run --rm` and
// `docker run --rm` of /bin/true with each runtime, and the resident memory of
// an idle container's sandbox. Writes bench/results/runtime.json and prints a
// table of medians and ratios. It measures; it never fails a build.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoFile } from '../native/index.js';
import { cmdline, descendants } from '../src/proctree.js';
import { ensurePackages } from '../test/engines/apt.js';
import { Dockerd } from '../test/engines/docker.js';
import type { Run } from '../test/engines/host.js';
import { Podman } from '../test/engines/podman.js';
import { buildBusyboxRootfs, editBundle } from '../test/engines/rootfs.js';
import { fmt } from './compare.js';

const reps = Number(process.env.BENCH_REPS ?? process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);

/** A runtime binary as engines call it: one executable path (flags baked into a wrapper script). */
interface Runtime { name: string; path: string }

function wrapper(dir: string, name: string, argv: string[]): string {
  const path = join(dir, name);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(path, `#!/bin/sh\nexec ${argv.map(q).join(' ')} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * Runs a runtime command to its end; its milliseconds. Output goes to a file, as engines
 * give it: a container's sandbox inherits create's stdio, so a pipe would stay open.
 */
function sh(argv: string[], log: string): number {
  const fd = openSync(log, 'w');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${readFileSync(log, 'utf8').slice(0, 400)}`);
    return ms;
  } finally {
    closeSync(fd);
  }
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** A bundle of the busybox rootfs whose process is `args`. */
function bundle(dir: string, rootfs: string, args: string[]): string {
  mkdirSync(dir);
  sh([process.execPath, repoFile('bin/tvisor.js'), 'spec', '--bundle', dir], join(dir, 'spec.log'));
  editBundle(dir, rootfs, (c) => { c.process.args = args; });
  return dir;
}

/**
 * One container's life through the runtime's commands: create, start, the
 * wait for its sandbox to end (polled from here, the same for both runtimes:
 * the pid file's process), delete. Milliseconds of each phase.
 */
function lifecycle(rt: Runtime, state: string, b: string, id: string): Record<string, number> {
  const pidFile = join(state, `${id}.pid`);
  const log = join(state, `${id}.log`);
  const create = sh([rt.path, '--root', state, 'create', '--bundle', b, '--pid-file', pidFile, id], log);
  const start = sh([rt.path, '--root', state, 'start', id], log);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const t0 = process.hrtime.bigint();
  while (alive(pid) && !zombie(pid)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  const exit = Number(process.hrtime.bigint() - t0) / 1e6;
  const del = sh([rt.path, '--root', state, 'delete', id], log);
  return { create, start, exit, delete: del, total: create + start + exit + del };
}

function zombie(pid: number): boolean {
  try { return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ' ')); } catch { return true; }
}

function memKiB(pid: number, field: 'Rss' | 'Pss'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

/**
 * The resident memory of an idle container's sandbox (its process `sleep`):
 * the pid file's process and its descendants other than the container's own
 * program, in MiB, as RSS (what `ps` shows) and PSS (shared pages divided
 * among their users, so the sum is the real cost).
 */
function idleMemory(rt: Runtime, state: string, b: string, id: string): { rss: number; pss: number; processes: number; warm?: { rss: number; pss: number; processes: number } } {
  const pidFile = join(state, `${id}.pid`);
  const log = join(state, `${id}.log`);
  sh([rt.path, '--root', state, 'create', '--bundle', b, '--pid-file', pidFile, id], log);
  sh([rt.path, '--root', state, 'start', id], log);
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    const root = Number(readFileSync(pidFile, 'utf8'));
    const tree = [root, ...descendants(root), ...siblingsOf(rt, state)]
      .filter((p, i, all) => all.indexOf(p) === i)
      .filter((p) => !/(^|\/)sleep$/.test(cmdline(p).split('\0')[0]!));
    const sum = (pids: number[]) => ({ rss: pids.reduce((a, p) => a + memKiB(p, 'Rss'), 0) / 1024,
      pss: pids.reduce((a, p) => a + memKiB(p, 'Pss'), 0) / 1024, processes: pids.length });
    // tvisor's state root keeps warm command lines (src/oci/warm.ts) while it holds a container: the root's, not
    // the container's, so counted apart.
    const warm = rt.name === 'tvisor' ? spawnSync('pgrep', ['-f', `warm-main.js --root ${state}$`], { encoding: 'utf8' }).stdout
      .split('\n').filter(Boolean).map(Number) : [];
    return { ...sum(tree), ...(warm.length ? { warm: sum(warm) } : {}) };
  } finally {
    sh([rt.path, '--root', state, 'delete', '--force', id], log);
  }
}

/** runsc's gofer is not a descendant of its sandbox: both are children of init, found by their state root. */
function siblingsOf(rt: Runtime, state: string): number[] {
  if (rt.name !== 'runsc') return [];
  const r = spawnSync('pgrep', ['-f', `runsc-gofer --root=${state}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };

async function main() {
  const install = ensurePackages(['busybox-static', 'runsc', 'podman', 'docker.io']);
  if (!install.ok) throw new Error(install.reason);
  const dir = mkdtempSync('/tmp/tvisor-bench-runtime-');
  try {
    const { dir: rootfs, tar } = buildBusyboxRootfs(dir);
    const runtimes: Runtime[] = [
      // The front end, as engines are told to run tvisor (README): commands after the first go to the state root's
      // warm command lines.
      { name: 'tvisor', path: wrapper(dir, 'tvisor', [repoFile('native/build/tvisor')]) },
      { name: 'runsc', path: wrapper(dir, 'runsc', ['runsc', '--platform=ptrace', '--network=none']) },
    ];
    const raw: Record<string, Record<string, number[]>> = {};
    const record = (row: string, rt: string, v: number) => { ((raw[row] ??= {})[rt] ??= []).push(v); };
    /** Why a runtime could not run a row at all (its first error): the row then has no ratio. */
    const failures: Record<string, Record<string, string>> = {};
    /** Times `reps` runs of an engine command per runtime, interleaved; a runtime that fails is dropped from the row. */
    const timeEngine = async (row: string, runs: (readonly [string, () => Promise<Run>])[]) => {
      for (let i = 0; i < reps; i++) {
        for (const [name, go] of runs) {
          if (failures[row]?.[name]) continue;
          const t0 = process.hrtime.bigint();
          const r = await go();
          if (r.code !== 0) (failures[row] ??= {})[name] = r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`;
          else record(row, name, Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }
    };
    const trueBundle = bundle(join(dir, 'true'), rootfs, ['/bin/true']);
    const sleepBundle = bundle(join(dir, 'sleep'), rootfs, ['sleep', '1000']);
    for (const rt of runtimes) mkdirSync(join(dir, `state-${rt.name}`));

    process.stderr.write(`runtime commands, ${reps} repetitions…\n`);
    for (let i = 0; i < reps; i++) {
      for (const rt of runtimes) {
        const phases = lifecycle(rt, join(dir, `state-${rt.name}`), trueBundle, `bench-${i}`);
        for (const [phase, ms] of Object.entries(phases)) record(`${phase === 'total' ? 'create+start+exit+delete' : phase} (/bin/true)`, rt.name, ms);
      }
    }

    process.stderr.write('podman run --rm /bin/true…\n');
    const podmans = await Promise.all(runtimes.map(async (rt) => [rt.name, await Podman.create(rt.path)] as const));
    try {
      await timeEngine('podman run --rm /bin/true', podmans.map(([name, p]) =>
        [name, () => p.podman(['run', '--rm', '--network', 'none', '--rootfs', rootfs, '/bin/true'])]));
    } finally {
      for (const [, p] of podmans) await p.destroy();
    }

    process.stderr.write('docker run --rm /bin/true…\n');
    const d = await Dockerd.start({ runtimes: Object.fromEntries(runtimes.map((rt) => [rt.name, rt.path])) });
    try {
      await d.importImage(tar, 'bb:bench');
      await timeEngine('docker run --rm /bin/true', runtimes.map((rt) =>
        [rt.name, () => d.docker(['run', '--rm', `--runtime=${rt.name}`, '--network', 'none', 'bb:bench', '/bin/true'])]));
    } finally {
      await d.stop();
    }

    process.stderr.write('idle container memory…\n');
    const memory = Object.fromEntries(runtimes.map((rt) => [rt.name, idleMemory(rt, join(dir, `state-${rt.name}`), sleepBundle, 'idle')]));

    const summary = Object.fromEntries(Object.entries(raw).map(([row, by]) => {
      const tvisor = by.tvisor ? median(by.tvisor) : null;
      const runsc = by.runsc ? median(by.runsc) : null;
      return [row, { tvisor, runsc, tvisorToRunsc: tvisor !== null && runsc !== null ? tvisor / runsc : null }];
    }));
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30),
        kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() },
      reps, raw, summary, failures, idleMemoryMiB: memory,
    };
    mkdirSync(repoFile('bench/results'), { recursive: true });
    writeFileSync(repoFile('bench/results/runtime.json'), JSON.stringify(result, null, 2) + '\n');

    const lines = ['| workload | tvisor (median ms) | runsc (median ms) | tvisor/runsc |', '|---|---|---|---|'];
    for (const [row, s] of Object.entries(summary)) {
      const cell = (rt: 'tvisor' | 'runsc') => s[rt] === null ? `fails: ${failures[row]?.[rt] ?? '?'}` : fmt(s[rt]);
      lines.push(`| ${row} | ${cell('tvisor')} | ${cell('runsc')} | ${s.tvisorToRunsc === null ? '-' : `${fmt(s.tvisorToRunsc)}×`} |`);
    }
    lines.push('', '| idle container (sleep) | RSS MiB | PSS MiB | processes |', '|---|---|---|---|');
    for (const [name, m] of Object.entries(memory)) {
      lines.push(`| ${name} | ${fmt(m.rss)} | ${fmt(m.pss)} | ${m.processes} |`);
      if (m.warm) lines.push(`| ${name}'s state root: warm command lines | ${fmt(m.warm.rss)} | ${fmt(m.warm.pss)} | ${m.warm.processes} |`);
    }
    console.log(lines.join('\n'));
    console.log(`\n${result.date}, ${result.machine.cpus} × ${result.machine.model}, ${result.machine.memoryGiB} GiB, Linux ${result.machine.kernel}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
