// The sandbox's cgroup: memory and pids limits for `tvisor do`. A guest is
// host uid 0, which Linux exempts from RLIMIT_NPROC, so without a cgroup a
// fork bomb or a memory hog in the sandbox would reach the host.
//
// Layout, in each hierarchy that has a needed controller (cgroup v2: one;
// v1: the memory and the pids hierarchies):
//
//   tvisor-<CLI pid>/          the whole sandbox: guests' limits + the sentry's share
//     sentry/                  the sandbox process (the sentry) and the gofer
//     guests/                  init and every guest: the limits asked for
//       <container id>/        a pod's sandbox only: one per container, with its own
//                              limits (init is in the sandbox container's); guests/
//                              then holds no process, as cgroup v2 requires of a
//                              cgroup whose children have controllers
//
// The guests have a cgroup of their own so that hitting their limit kills or
// fails a guest, never the sentry, which stays to report the death. The CLI
// makes the cgroup before the sandbox process starts and removes it when
// that process has ended; one left by a CLI that was killed is removed by
// the next `tvisor do` (when nothing runs in it any more).
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { native } from '../native/index.js';
import { errnoName } from '../sentry/abi/errno.js';
import { hostStatFields } from '../sentry/host/proc-stat.js';

export interface Limits {
  /** Bytes of memory the guests may use together (tmpfs data included); 0: no limit. */
  memory: number;
  /** Processes and threads the guests may have together; 0: no limit. */
  pids: number;
  /** CPU share and bandwidth (cgroup v1 cpu.shares, cfs quota/period; v2 cpu.weight, cpu.max). */
  cpu?: { shares?: number; quota?: number; period?: number };
  /** Make the guests freezable (pause/resume). */
  freezer?: boolean;
}

/**
 * A made cgroup, as a later command (the runtime's delete, pause, events) finds it again; `leaf`: a pod's
 * sandbox container's cgroup under guests/ (SandboxCgroup.create).
 */
export interface CgroupRecord { dirs: { dir: string; controllers: Controller[]; v2: boolean }[]; limits: Limits; leaf?: string }

/** A container of a pod: its id, limits, cgroup directories (one per hierarchy) and their cgroup.procs files. */
export interface ContainerCgroup { id: string; limits: Limits; dirs: string[]; procs: string[] }

/** What the sandbox process needs: the cgroup.procs files it joins (sentry/) and puts init in (guests/). */
export interface CgroupPaths { sentryProcs: string[]; guestProcs: string[] }

/** The sentry's and the gofer's share above the guests' limits (their own memory and threads). */
const SENTRY_MEMORY = 1 << 30;
const SENTRY_PIDS = 64;

type Controller = 'memory' | 'pids' | 'cpu' | 'freezer';

/** One cgroup directory per hierarchy, and how to write a limit in it. */
interface Hierarchy {
  /** The directory the sandbox's cgroup is made in. */
  base: string;
  controllers: Controller[];
  v2: boolean;
  /** The calling process's own cgroup directory, which it goes back to (leave) if it joined the sandbox's. */
  home?: string;
}

export class CgroupError extends Error {}

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

interface MountedHierarchy { root: string; at: string; type: string; options: string[] }

function cgroupMounts(): MountedHierarchy[] {
  return read('/proc/self/mountinfo').trim().split('\n').flatMap((line) => {
    const [pre, post] = line.split(' - ') as [string, string | undefined];
    const f = pre.split(' ');
    const [type, , super_] = (post ?? '').split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') return [];
    return [{ root: f[3]!, at: f[4]!.replace(/\\040/g, ' '), type, options: (super_ ?? '').split(',') }];
  });
}

/** The directory of cgroup `path` (as /proc/self/cgroup names it) in a mounted hierarchy, if that mount shows it. */
function directoryOf(m: MountedHierarchy, path: string): string | null {
  if (m.root === '/') return join(m.at, path);
  if (path === m.root || path.startsWith(`${m.root}/`)) return join(m.at, path.slice(m.root.length));
  return null;
}

/**
 * cgroup v2: a cgroup that holds processes cannot hand controllers to
 * children (no internal processes), and the CLI's own cgroup holds the
 * CLI; so the sandbox's cgroup is made beside it (in its parent, where the
 * controllers are enabled), unless the CLI runs in the root cgroup.
 */
function v2Hierarchy(needed: Controller[]): Hierarchy | string {
  const line = read('/proc/self/cgroup').split('\n').find((l) => l.startsWith('0::'));
  const m = cgroupMounts().find((x) => x.type === 'cgroup2');
  if (!line || !m) return 'no cgroup v2 hierarchy';
  const own = directoryOf(m, line.slice(3));
  if (!own || !existsSync(own)) return 'the cgroup v2 hierarchy does not show this process\'s cgroup';
  const available = read(join(own, 'cgroup.controllers')).trim().split(/\s+/);
  // v2 freezes any cgroup (cgroup.freeze): no controller to ask for.
  needed = needed.filter((c) => c !== 'freezer');
  const missing = needed.filter((c) => !available.includes(c));
  if (missing.length > 0) return `cgroup v2 lacks the ${missing.join(' and ')} controller${missing.length > 1 ? 's' : ''}`;
  const isRoot = line.slice(3) === '/' || own === m.at;
  return { base: isRoot ? own : dirname(own), controllers: needed, v2: true, home: own };
}

/** cgroup v1: a hierarchy per controller; the sandbox's cgroup is made inside the CLI's own. */
function v1Hierarchies(needed: Controller[]): Hierarchy[] | string {
  const own = new Map<string, string>();
  for (const line of read('/proc/self/cgroup').trim().split('\n')) {
    const [, controllers, path] = line.split(':') as [string, string, string];
    for (const c of controllers.split(',')) own.set(c, path);
  }
  const out: Hierarchy[] = [];
  for (const c of needed) {
    const m = cgroupMounts().find((x) => x.type === 'cgroup' && x.options.includes(c));
    const path = own.get(c);
    if (!m || path === undefined) return `no cgroup v1 ${c} hierarchy`;
    const dir = directoryOf(m, path);
    if (!dir || !existsSync(dir)) return `the cgroup v1 ${c} hierarchy does not show this process's cgroup`;
    const same = out.find((h) => h.base === dir);
    if (same) same.controllers.push(c);
    else out.push({ base: dir, controllers: [c], v2: false, home: dir });
  }
  return out;
}

function limitFiles(h: Hierarchy, c: Controller, value: number): [string, string][] {
  if (c === 'cpu' || c === 'freezer') return [];
  if (c === 'pids') return [['pids.max', String(value)]];
  if (h.v2) return [['memory.max', String(value)], ['memory.swap.max', '0']];
  // memsw (memory + swap) must not be below the memory limit: set after it.
  return [['memory.limit_in_bytes', String(value)], ['memory.memsw.limit_in_bytes', String(value)]];
}

function setLimits(h: Hierarchy, dir: string, limits: Limits, share: Limits): void {
  for (const c of h.controllers) {
    if (c !== 'memory' && c !== 'pids') continue;
    if (limits[c] === 0) continue;
    for (const [file, value] of limitFiles(h, c, limits[c] + share[c])) {
      // memory.swap.max and memsw exist only where swap is accounted.
      if (file.includes('swap') || file.includes('memsw')) {
        if (existsSync(join(dir, file))) writeFileSync(join(dir, file), value);
      } else {
        writeFileSync(join(dir, file), value);
      }
    }
  }
}

const PREFIX = 'tvisor-';
/** How old an empty sandbox cgroup must be before a sweep takes it (a sandbox moves in during its start-up). */
const STALE_AFTER_MS = 60_000;

/** Is pid a live process (a zombie is not: it has ended, its parent just has not reaped it)? */
function alive(pid: number): boolean {
  try {
    return hostStatFields(pid)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The child cgroups of `dir` (by name: guests/ before sentry/, whose sentry reports the guests' deaths). */
function children(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name)).sort();
}

/** A container id as a cgroup's name: one plain name. */
function checkName(id: string): void {
  if (id === '' || id === '.' || id === '..' || id.includes('/') || id.includes('\0')) {
    throw new CgroupError(`${JSON.stringify(id)} cannot name a cgroup`);
  }
}

/** Does nothing run in cgroup `dir` or its sub-cgroups? */
function empty(dir: string): boolean {
  try {
    return read(join(dir, 'cgroup.procs')).trim() === '' && children(dir).every(empty);
  } catch {
    return false;
  }
}

/**
 * Removes cgroup `dir` and its sub-cgroups: what still runs in them (the
 * gofer, guests being torn down) is killed first, unless `kill` is false
 * (then a cgroup something runs in stays).
 */
function removeTree(dir: string, kill = true): void {
  if (!existsSync(dir)) return;
  for (const child of children(dir)) removeTree(child, kill);
  // Killed processes leave their cgroup a moment after the signal: retry for a while.
  for (let attempt = 0; ; attempt++) {
    try {
      if (kill) {
        for (const pid of read(join(dir, 'cgroup.procs')).split('\n').filter(Boolean)) {
          try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
        }
      }
      rmdirSync(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || !kill || attempt >= 200) return;
      sleep(10);
    }
  }
}

/** Removes a pod container's cgroup (SandboxCgroup.addContainer), killing what still runs in it. */
export function removeContainerCgroup(c: ContainerCgroup): void {
  for (const dir of c.dirs) removeTree(dir);
}

/**
 * Removes the cgroups of sandboxes that ended without cleaning up, if
 * nothing runs in them: a killed CLI's (`tvisor-<pid>`, that CLI gone; its
 * sandbox may outlive it) and a runtime container's whose sandbox died and
 * whose state went with its --root (`tvisor-oci-<id>`, once older than a
 * sandbox's start-up: a new one is empty until its sandbox moves in).
 */
export function removeStale(base: string, now = Date.now()): void {
  for (const name of readdirSync(base)) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(base, name);
    const cli = new RegExp(`^${PREFIX}(\\d+)$`).exec(name)?.[1];
    if (cli ? alive(Number(cli)) : young(dir, now)) continue;
    // A process that moved in meanwhile keeps its cgroup: left to the next sweep.
    if (empty(dir)) removeTree(dir, false);
  }
}

function young(dir: string, now: number): boolean {
  try { return now - statSync(dir).ctimeMs < STALE_AFTER_MS; } catch { return true; }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export class SandboxCgroup {
  private constructor(private readonly dirs: { h: Hierarchy; dir: string }[], readonly limits: Limits,
      private readonly leaf?: string) {}

  /**
   * Makes the sandbox's cgroup with `limits` (a 0 limit is not set); null
   * when both are 0. Throws CgroupError when the host gives no usable
   * cgroup for a limit asked for: there is no silent fallback. `podLeaf`:
   * the sandbox of a pod, whose guests go in guests/<podLeaf> (its own
   * container's) so that each container of the pod can have a cgroup of its
   * own beside it (addContainer), with every controller a container's limits
   * may ask for.
   */
  static create(limits: Limits, name = String(process.pid), podLeaf?: string): SandboxCgroup | null {
    const needed: Controller[] = podLeaf ? ['memory', 'pids', 'cpu'] : (['memory', 'pids'] as const).filter((c) => limits[c] > 0);
    if (!podLeaf && limits.cpu && Object.values(limits.cpu).some((v) => v !== undefined && v > 0)) needed.push('cpu');
    if (limits.freezer) needed.push('freezer');
    if (podLeaf !== undefined) checkName(podLeaf);
    if (needed.length === 0) return null;
    let hierarchies: Hierarchy[];
    const v2 = v2Hierarchy(needed);
    if (typeof v2 !== 'string') {
      hierarchies = [v2];
    } else {
      const v1 = v1Hierarchies(needed);
      if (typeof v1 === 'string') throw new CgroupError(`${v2}; ${v1}`);
      hierarchies = v1;
    }
    const made: { h: Hierarchy; dir: string }[] = [];
    const cgroup = new SandboxCgroup(made, limits, podLeaf);
    try {
      for (const h of hierarchies) {
        removeStale(h.base);
        const dir = join(h.base, `${PREFIX}${name}`);
        if (h.v2) enableControllers(h, h.base);
        mkdirSync(dir);
        made.push({ h, dir });
        mkdirSync(join(dir, 'sentry'));
        mkdirSync(join(dir, 'guests'));
        if (h.v2) enableControllers(h, dir);
        setLimits(h, dir, limits, { memory: limits.memory > 0 ? SENTRY_MEMORY : 0, pids: limits.pids + SENTRY_PIDS });
        setLimits(h, join(dir, 'guests'), limits, { memory: 0, pids: 0 });
        if (h.controllers.includes('cpu') && limits.cpu) setCpu(h, join(dir, 'guests'), limits.cpu);
        if (podLeaf !== undefined) {
          if (h.v2) enableControllers(h, join(dir, 'guests'));
          mkdirSync(join(dir, 'guests', podLeaf));
        }
      }
    } catch (e) {
      cgroup.remove();
      if (e instanceof CgroupError) throw e;
      throw new CgroupError(`making the sandbox's cgroup: ${(e as Error).message}`);
    }
    return cgroup;
  }

  /** What a later command needs to find this cgroup again (restore). */
  get record(): CgroupRecord {
    return { dirs: this.dirs.map(({ h, dir }) => ({ dir, controllers: h.controllers, v2: h.v2 })), limits: this.limits,
      ...(this.leaf === undefined ? {} : { leaf: this.leaf }) };
  }

  static restore(r: CgroupRecord): SandboxCgroup {
    return new SandboxCgroup(r.dirs.map(({ dir, controllers, v2 }) => ({ h: { base: dirname(dir), controllers, v2 }, dir })), r.limits,
      r.leaf);
  }

  /**
   * A cgroup of its own for container `id` of this pod, beside the sandbox
   * container's under guests/ (the pod's limits above both), with the
   * container's limits: hitting them kills or fails its processes only.
   */
  addContainer(id: string, limits: Limits): ContainerCgroup {
    if (this.leaf === undefined) throw new CgroupError('the sandbox is not a pod\'s: its containers have no cgroups of their own');
    checkName(id);
    const made: ContainerCgroup = { id, limits, dirs: [], procs: [] };
    try {
      for (const { h, dir } of this.dirs) {
        const own = join(dir, 'guests', id);
        mkdirSync(own);
        made.dirs.push(own);
        made.procs.push(join(own, 'cgroup.procs'));
        setLimits(h, own, limits, { memory: 0, pids: 0 });
        if (h.controllers.includes('cpu') && limits.cpu) setCpu(h, own, limits.cpu);
      }
    } catch (e) {
      removeContainerCgroup(made);
      throw new CgroupError(`making the cgroup of container ${id}: ${(e as Error).message}`);
    }
    return made;
  }

  /** The guests' cgroup in the hierarchy of controller `c` (`container`: that container's, in a pod). */
  private guestsOf(c: Controller, container = ''): { h: Hierarchy; dir: string } | undefined {
    const found = this.dirs.find(({ h }) => h.controllers.includes(c) || (h.v2 && c === 'freezer'));
    return found && { h: found.h, dir: join(found.dir, 'guests', container) };
  }

  /** Freezes or thaws every guest (the runtime's pause and resume). */
  freeze(on: boolean): void {
    const g = this.guestsOf('freezer');
    if (!g) throw new CgroupError('the sandbox has no freezer cgroup');
    if (g.h.v2) writeFileSync(join(g.dir, 'cgroup.freeze'), on ? '1' : '0');
    else writeFileSync(join(g.dir, 'freezer.state'), on ? 'FROZEN' : 'THAWED');
  }

  frozen(): boolean {
    const g = this.guestsOf('freezer');
    if (!g) return false;
    try {
      return g.h.v2 ? /^frozen 1$/m.test(read(join(g.dir, 'cgroup.events'))) : read(join(g.dir, 'freezer.state')).trim() === 'FROZEN';
    } catch {
      return false;
    }
  }

  /** The guests' usage, as the runtime's events --stats reports it (`container`: one container's of a pod). */
  stats(container?: ContainerCgroup): { memory?: { usage: number; limit: number }; pids?: { current: number; limit: number };
      cpu?: { total: number } } {
    const out: ReturnType<SandboxCgroup['stats']> = {};
    const num = (f: string) => { try { const v = read(f).trim(); return v === 'max' ? 0 : Number(v); } catch { return 0; } };
    const limits = container?.limits ?? this.limits;
    const mem = this.guestsOf('memory', container?.id);
    if (mem) out.memory = mem.h.v2 ? { usage: num(join(mem.dir, 'memory.current')), limit: limits.memory }
      : { usage: num(join(mem.dir, 'memory.usage_in_bytes')), limit: limits.memory };
    const pids = this.guestsOf('pids', container?.id);
    if (pids) out.pids = { current: num(join(pids.dir, 'pids.current')), limit: limits.pids };
    const cpu = this.guestsOf('cpu', container?.id);
    if (cpu && !cpu.h.v2) out.cpu = { total: num(join(cpu.dir, 'cpuacct.usage')) };
    else if (cpu) out.cpu = { total: 1000 * Number(/^usage_usec (\d+)$/m.exec(read(join(cpu.dir, 'cpu.stat')))?.[1] ?? 0) };
    return out;
  }

  get paths(): CgroupPaths {
    return {
      sentryProcs: this.dirs.map(({ dir }) => join(dir, 'sentry', 'cgroup.procs')),
      guestProcs: this.dirs.map(({ dir }) => join(dir, 'guests', this.leaf ?? '', 'cgroup.procs')),
    };
  }

  /**
   * Moves processes into the cgroup of the sentry (`do`'s, which is its
   * command line: itself and its gofer). One that joins must leave before
   * remove, which kills what is still in the cgroup.
   */
  enterSentry(pids: number[]): void {
    for (const procs of this.paths.sentryProcs) for (const pid of pids) writeFileSync(procs, String(pid));
  }

  /**
   * enterSentry without waiting for it: a move into a cgroup waits in the
   * kernel for an RCU grace period (10-25 ms here), which a worker thread
   * then waits out instead of the caller (koffi's asynchronous call). Settles
   * once every move is made, rejecting with the first failure; until then
   * the processes must not end, nor the cgroup go.
   */
  enterSentryMeanwhile(pids: number[]): Promise<void> {
    return Promise.all(this.paths.sentryProcs.flatMap((procs) => pids.map((pid) => writeMeanwhile(procs, String(pid)))))
      .then(() => undefined);
  }

  /** Takes this process back to the cgroups it was made from. */
  leave(): void {
    for (const { h } of this.dirs) if (h.home) writeFileSync(join(h.home, 'cgroup.procs'), String(process.pid));
  }

  /** How many guests the kernel killed for the memory limit. */
  oomKills(): number {
    let n = 0;
    for (const { h, dir } of this.dirs) {
      if (!h.controllers.includes('memory')) continue;
      const file = join(dir, 'guests', h.v2 ? 'memory.events' : 'memory.oom_control');
      try { n += Number(/^oom_kill (\d+)$/m.exec(read(file))?.[1] ?? 0); } catch { /* gone */ }
    }
    return n;
  }

  /**
   * Removes the cgroup once the sandbox process has ended: what still runs
   * in it (the gofer, guests being torn down) is killed first.
   */
  remove(): void {
    for (const { dir } of [...this.dirs].reverse()) removeTree(dir);
  }

  /**
   * remove() for a sandbox process that is still in `sentry/` and about to
   * exit, without leaving it (a wait for an RCU grace period): kills what
   * still runs in the other cgroups (removing those) and returns the
   * cgroups, each after its children, for a process that outlives this one
   * to remove once it has exited.
   */
  removalAfterExit(): string[] {
    const out: string[] = [];
    const collect = (dir: string): void => { for (const child of children(dir)) collect(child); out.push(dir); };
    for (const { dir } of [...this.dirs].reverse()) {
      for (const child of children(dir)) if (child !== join(dir, 'sentry') && !empty(child)) removeTree(child);
      collect(dir);
    }
    return out;
  }
}

function setCpu(h: Hierarchy, dir: string, cpu: NonNullable<Limits['cpu']>): void {
  if (h.v2) {
    if (cpu.shares) writeFileSync(join(dir, 'cpu.weight'), String(Math.max(1, Math.min(10000, 1 + Math.floor(((cpu.shares - 2) * 9999) / 262142)))));
    if (cpu.quota || cpu.period) writeFileSync(join(dir, 'cpu.max'), `${cpu.quota && cpu.quota > 0 ? cpu.quota : 'max'} ${cpu.period ?? 100000}`);
    return;
  }
  if (cpu.shares) writeFileSync(join(dir, 'cpu.shares'), String(cpu.shares));
  if (cpu.period) writeFileSync(join(dir, 'cpu.cfs_period_us'), String(cpu.period));
  if (cpu.quota) writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(cpu.quota));
}

/** cgroup v2: lets `dir`'s children use the controllers (its cgroup.subtree_control). */
function enableControllers(h: Hierarchy, dir: string): void {
  const enabled = read(join(dir, 'cgroup.subtree_control')).trim().split(/\s+/);
  const missing = h.controllers.filter((c) => !enabled.includes(c));
  if (missing.length === 0) return;
  try {
    writeFileSync(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
  } catch (e) {
    throw new CgroupError(`cannot enable ${missing.join(', ')} in ${dir}: ${(e as Error).message}`);
  }
}

/** Parses a size such as 64m, 2G, 1048576 (bytes; k, m, g, t are powers of 1024). */
export function parseSize(value: string): number {
  const m = /^(\d+)([kmgt]?)i?b?$/i.exec(value.trim());
  if (!m) throw new Error(`${value}: expected a size such as 512m or 2g`);
  const shift = { '': 0, k: 10, m: 20, g: 30, t: 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * 2 ** shift;
}

type WriteAll = { async(fd: number, buf: Uint8Array, len: number, cb: (err: unknown, r: number) => void): void };

/** Writes `text` to the file at `path` on a worker thread. */
function writeMeanwhile(path: string, text: string): Promise<void> {
  const fd = openSync(path, 'w');
  const bytes = Buffer.from(text);
  return new Promise((resolve, reject) => {
    (native.writeAll as unknown as WriteAll).async(fd, bytes, bytes.length, (err, r) => {
      closeSync(fd);
      if (err) reject(err);
      else if (r < 0) reject(new CgroupError(`moving process ${text} into ${path}: ${errnoName(-r)}`));
      else resolve();
    });
  });
}
