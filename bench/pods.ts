// `node dist/bench/pods.js [N]`: what a container costs in a pod (issue
// 10). Times `create` of a new sandbox against `create` of a container that
// joins a running pod (CRI annotations), each N times, and the resident
// memory of the pod's host processes (sentry, gofers, waiters) before and
// after N idle busybox containers join it: all of it (RSS, which counts the
// pages Node processes share) and their own (USS, what each one adds to the
// host). It measures; it never fails. The containers' root is Debian's
// busybox-static, installed with apt-get when missing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoFile } from '../native/index.js';
import { ensurePackages } from '../test/engines/apt.js';
import { buildBusyboxRootfs } from '../test/engines/rootfs.js';

const N = Number(process.argv[2] ?? 5);
const install = ensurePackages(['busybox-static']);
if (!install.ok) throw new Error(`busybox-static is needed for the containers' root: ${install.reason}`);
const work = mkdtempSync('/tmp/tvisor-bench-pods-');
const state = join(work, 'state');
const { dir: rootfs } = buildBusyboxRootfs(work);
/** The runtime as engines run it: the front end, which hands a join to the pod's warm command line. */
const TVISOR = repoFile('native/build/tvisor');

function oci(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TVISOR, ['--root', state, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`tvisor ${args.join(' ')} failed`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

let n = 0;
function bundle(annotations: Record<string, string>): string {
  const dir = join(work, `b${++n}`);
  mkdirSync(dir);
  oci(['spec', '--bundle', dir]);
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  Object.assign(c, { root: { path: rootfs, readonly: false }, annotations });
  c.process.terminal = false;
  c.process.args = ['sleep', '3600'];
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  return dir;
}
const member = (kind: string) => ({ 'io.kubernetes.cri.container-type': kind, 'io.kubernetes.cri.sandbox-id': 'pod' });

type Kind = 'sentry' | 'gofers' | 'warm' | 'waiters' | 'guests';
/** Resident memory (kB) of a set of processes: all of it (RSS), and what is theirs alone (USS: private pages, which the host pays for each). */
interface Memory { rss: number; uss: number }
const none = (): Record<Kind, Memory> => ({ sentry: { rss: 0, uss: 0 }, gofers: { rss: 0, uss: 0 }, warm: { rss: 0, uss: 0 },
  waiters: { rss: 0, uss: 0 }, guests: { rss: 0, uss: 0 } });

/** The memory of `pids` and their descendants, split by what they are. */
function memory(pids: number[]): Record<Kind, Memory> {
  const out = none();
  const children = new Map<number, number[]>();
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x)).map(Number)) {
    try {
      const ppid = Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), p]);
    } catch { /* ended */ }
  }
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const visit = (p: number, root: boolean) => {
    try {
      const rollup = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      const kind: Kind = cmd.includes('gofer/main.js') ? 'gofers' : cmd.includes('warm-main.js') ? 'warm'
        : cmd.includes('sandbox-main.js') && root ? 'sentry'
        : cmd.includes('tvisor-waiter') ? 'waiters' : 'guests';
      out[kind].rss += field(rollup, 'Rss');
      out[kind].uss += field(rollup, 'Private_Clean') + field(rollup, 'Private_Dirty');
    } catch { /* ended */ }
    for (const c of children.get(p) ?? []) visit(c, false);
  };
  for (const p of pids) visit(p, true);
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pidOf = (id: string) => JSON.parse(spawnSync(TVISOR, ['--root', state, 'state', id], { encoding: 'utf8' }).stdout).pid as number;

try {
  const sandboxes: number[] = [];
  for (let i = 0; i < N; i++) {
    sandboxes.push(oci(['create', '--bundle', bundle(member('sandbox')), `s${i}`]));
    oci(['delete', '--force', `s${i}`]);
  }
  oci(['create', '--bundle', bundle(member('sandbox')), 'pod']);
  oci(['start', 'pod']);
  await new Promise((r) => setTimeout(r, 1000));
  const sentry = pidOf('pod');
  const before = memory([sentry]);
  const joins: number[] = [];
  const waiters: number[] = [];
  for (let i = 0; i < N; i++) {
    joins.push(oci(['create', '--bundle', bundle(member('container')), `c${i}`]));
    oci(['start', `c${i}`]);
    waiters.push(pidOf(`c${i}`));
  }
  await new Promise((r) => setTimeout(r, 2000));
  const after = memory([sentry]);
  const waiter = memory(waiters).waiters;
  const mb = (x: number) => `${(x / 1024).toFixed(1)} MB`;
  const show = (m: Record<Kind, Memory>, k: Kind) => `${k} ${mb(m[k].rss)} (own ${mb(m[k].uss)})`;
  const kinds: Kind[] = ['sentry', 'gofers', 'warm', 'guests'];
  const per = (k: Kind, x: keyof Memory) => mb((after[k][x] - before[k][x]) / N);
  const own = (kinds.reduce((t, k) => t + after[k].uss - before[k].uss, 0) + waiter.uss) / N;
  process.stdout.write([
    `create of a new sandbox (median of ${N}): ${median(sandboxes).toFixed(0)} ms`,
    `create of a container joining the pod (median of ${N}): ${median(joins).toFixed(0)} ms ` +
      `(${(median(joins) / median(sandboxes)).toFixed(2)} of a new sandbox)`,
    `pod RSS before (own memory in brackets): ${kinds.map((k) => show(before, k)).join(', ')}`,
    `pod RSS after ${N} idle busybox containers: ${kinds.map((k) => show(after, k)).join(', ')}`,
    `growth per container, RSS (own): ${kinds.map((k) => `${k} ${per(k, 'rss')} (${per(k, 'uss')})`).join(', ')}; ` +
      `its waiter (outside the pod's tree) ${mb(waiter.rss / N)} (${mb(waiter.uss / N)})`,
    `memory the host pays per container (own pages of the sentry's growth, the gofer, the guests and the waiter): ${mb(own)}`,
  ].join('\n') + '\n');
} finally {
  for (const id of readdirSync(state)) spawnSync(TVISOR, ['--root', state, 'delete', '--force', id]);
  rmSync(work, { recursive: true, force: true });
}
