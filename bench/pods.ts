// `node dist/bench/pods.js [N]`: what a container costs in a pod (issue
// 10). Times `create` of a new sandbox against `create` of a container that
// joins a running pod (CRI annotations), each N times, and the resident
// memory of the pod's host processes (sentry, gofers, waiters) before and
// after N idle busybox containers join it. It measures; it never fails.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoFile } from '../native/index.js';
import { buildBusyboxRootfs } from '../test/engines/rootfs.js';

const N = Number(process.argv[2] ?? 5);
const work = mkdtempSync('/tmp/tvisor-bench-pods-');
const state = join(work, 'state');
const { dir: rootfs } = buildBusyboxRootfs(work);
const TVISOR = repoFile('bin/tvisor.js');

function oci(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [TVISOR, '--root', state, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
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

/** kB of resident memory of `pid` and its descendants, split by what they are. */
function rss(pids: number[]): { sentry: number; gofers: number; waiters: number; guests: number } {
  const out = { sentry: 0, gofers: 0, waiters: 0, guests: 0 };
  const children = new Map<number, number[]>();
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x)).map(Number)) {
    try {
      const ppid = Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), p]);
    } catch { /* ended */ }
  }
  const visit = (p: number, root: boolean) => {
    try {
      const kb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes('gofer/main.js')) out.gofers += kb;
      else if (cmd.includes('sandbox-main.js') && root) out.sentry += kb;
      else if (cmd.includes("\0join\0")) out.waiters += kb;
      else out.guests += kb;
    } catch { /* ended */ }
    for (const c of children.get(p) ?? []) visit(c, false);
  };
  for (const p of pids) visit(p, true);
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pidOf = (id: string) => JSON.parse(spawnSync(process.execPath, [TVISOR, '--root', state, 'state', id], { encoding: 'utf8' }).stdout).pid as number;

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
  const before = rss([sentry]);
  const joins: number[] = [];
  const waiters: number[] = [];
  for (let i = 0; i < N; i++) {
    joins.push(oci(['create', '--bundle', bundle(member('container')), `c${i}`]));
    oci(['start', `c${i}`]);
    waiters.push(pidOf(`c${i}`));
  }
  await new Promise((r) => setTimeout(r, 2000));
  const after = rss([sentry]);
  const waiterRss = rss(waiters).waiters;
  const kb = (x: number) => `${(x / 1024).toFixed(1)} MB`;
  const per = (k: keyof typeof before) => kb((after[k] - before[k]) / N);
  process.stdout.write([
    `create of a new sandbox (median of ${N}): ${median(sandboxes).toFixed(0)} ms`,
    `create of a container joining the pod (median of ${N}): ${median(joins).toFixed(0)} ms ` +
      `(${(median(joins) / median(sandboxes)).toFixed(2)} of a new sandbox)`,
    `pod RSS before: sentry ${kb(before.sentry)}, gofers ${kb(before.gofers)}, guests ${kb(before.guests)}`,
    `pod RSS after ${N} idle busybox containers: sentry ${kb(after.sentry)}, gofers ${kb(after.gofers)}, guests ${kb(after.guests)}`,
    `growth per container: sentry ${per('sentry')}, its gofer ${per('gofers')}, guests ${per('guests')}; ` +
      `its waiter (outside the pod's tree) ${kb(waiterRss / N)}`,
  ].join('\n') + '\n');
} finally {
  for (const id of readdirSync(state)) spawnSync(process.execPath, [TVISOR, '--root', state, 'delete', '--force', id]);
  rmSync(work, { recursive: true, force: true });
}
