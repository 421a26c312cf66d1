// The OCI runtime's commands (runc's and runsc's spelling): what an engine
// (docker through containerd's shim, podman through conmon, ctr) calls with
// a bundle. The sandbox process of a container is started by create,
// daemonized, and lives until the container's process ends; it exits as
// that process did, which is what the engines wait for (the pid in
// --pid-file). start and exec reach it over its control socket; kill, ps,
// pause and events act on the host's view of its processes and cgroup.
import { type ChildProcess, spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { libcCalls, native } from '../../native/index.js';
import type { SandboxSpec, SpareSpec } from '../../sentry/boot.js';
import { type ControlRequest } from '../../sentry/control/codec.js';
import { awaitEnd, ControlError, firstAnswer, receiveResponse, request as controlRequest, sendRequest } from '../../sentry/control/client.js';
import type { ProcessConfig } from '../../sentry/control/process.js';
import { connectUnix } from '../../sentry/host/sockets.js';
import { type GoferProcess, spawnGofer } from '../../sentry/fs/gofer/spawn.js';
import { textName } from '../../sentry/abi/names.js';
import { type CgroupRecord, type ContainerCgroup, removeContainerCgroup, SandboxCgroup } from '../cgroup.js';
import { descendants } from '../proctree.js';
import { CLI_MAIN, nodeProgram, SANDBOX_MAIN, WAITER } from '../programs.js';
import { loadConfig, processConfig, type RuntimeConfig } from './config.js';
import { ConfigError, RuntimeError } from './errors.js';
import { runHooks } from './hooks.js';
import { type ContainerState, sandboxAlive, startTime, StateStore, type Status, statusOf } from './state.js';

export interface GlobalOptions {
  root: string;
  debugLog?: string;
  strace?: boolean;
  /** --gofer-timeout: the sandbox's (a joining container's gofer has its pod's). */
  goferDeadlineMs?: number;
}

const VERSION = '0.1.0';
export const OCI_VERSION = '1.2.0';

/** `cgroupRecord`: a sandbox's cgroup; `containerCgroup`: a pod's container's own, under it. */
type StateWithCgroup = ContainerState & { cgroupRecord?: CgroupRecord; containerCgroup?: ContainerCgroup };

function cgroupOf(s: StateWithCgroup): SandboxCgroup | null {
  return s.cgroupRecord ? SandboxCgroup.restore(s.cgroupRecord) : null;
}

function status(s: StateWithCgroup): Status {
  return statusOf(s, () => cgroupOf(s)?.frozen() ?? false);
}

/** The state an engine and the hooks see (runc's `state` output). */
function ociState(s: StateWithCgroup, st: Status, pid = st === 'stopped' ? 0 : s.sandboxPid) {
  return { ociVersion: OCI_VERSION, id: s.id, pid, status: st, bundle: s.bundle, rootfs: s.rootfs, created: s.created,
    owner: '', annotations: s.annotations };
}

function writePidFile(path: string, pid: number): void {
  const tmp = join(dirname(path), `.${process.pid}.pid`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, path);
}


/** Namespaced sysctls go to the sandbox's namespaces through init's. */
function applySysctls(initPid: number, sysctl: Record<string, string>): void {
  const CLONE_NEWIPC = 0x08000000;
  const CLONE_NEWNET = 0x40000000;
  for (const [key, value] of Object.entries(sysctl)) {
    const net = key.startsWith('net.');
    const r = native.sysctlIn(`/proc/${initPid}/ns/${net ? 'net' : 'ipc'}`, net ? CLONE_NEWNET : CLONE_NEWIPC,
      key.replace(/\./g, '/'), value);
    if (r < 0) throw new ConfigError(`linux.sysctl.${key}`, `cannot be set in the sandbox (errno ${-r})`);
  }
}

/**
 * Starts the sandbox process with create's stdio — none with a terminal: the container's stdio is then the pty, and an engine
 * that reads create's output waits for its end — and waits for its one line on fd 3.
 */
async function spawnReporting(argv: string[], terminal: boolean, detached: boolean, env: NodeJS.ProcessEnv,
    onPid: (pid: number) => void, fds: number[] = []): Promise<{ child: ChildProcess; exited: Promise<number>; line: string }> {
  const stdio: StdioOptions = [...(terminal ? ['ignore', 'ignore', 'ignore'] as const : ['inherit', 'inherit', 'inherit'] as const), 'pipe', ...fds];
  const child = spawn(...nodeProgram(argv), { detached, env, stdio });
  onPid(child.pid ?? 0);
  const exited = exitOf(child);
  const line = await new Promise<string>((res) => {
    let got = '';
    child.stdio[3]!.on('data', (d: Buffer) => { got += d.toString(); });
    child.stdio[3]!.on('close', () => res(got.trim()));
  });
  return { child, exited, line };
}

/**
 * Sends a spare sandbox process (CreateOptions.spare) what a spawned one gets as argv, environment and fds, and waits
 * for its one line on the same socket. It is not this process's child: its end is the caller's to see.
 */
async function handToSpare(sock: number, spare: SpareSpec, fds: number[]): Promise<{ child: null; exited: null; line: string }> {
  const bytes = new Uint8Array(Buffer.from(JSON.stringify(spare)));
  if (native.send(sock, bytes, bytes.length, Int32Array.from(fds), fds.length) < 0) {
    throw new RuntimeError('the spare sandbox process ended before its spec came');
  }
  const buf = new Uint8Array(4096);
  const n = native.recv(sock, buf, buf.length, new Int32Array(1), 0, new Int32Array(1));
  return { child: null, exited: null, line: n > 0 ? Buffer.from(buf.subarray(0, n)).toString().trim() : '' };
}

/** How the process that stands for a container ended, as an exit code (128 + the signal for a signal). */
function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((res) => child.on('exit', (code, sig) => res(code ?? 128 + (sig ? osConstants.signals[sig] : 0))));
}

export interface CreateOptions {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  /**
   * The waiter of a joining container started by the caller (a pod's warm command line gets it from the front end,
   * native/front.c): its pid and the sandbox's end of its socket. Given, create serves a join only (ForNode otherwise).
   */
  waiter?: { pid: number; sock: number };
  /**
   * A spare sandbox process started by the caller (a root's warm command line gets it from the front end): its pid
   * and this end of its socket. Given, create serves a new sandbox only (ForNode otherwise), with that process.
   */
  spare?: { pid: number; sock: number };
}

/**
 * A create a warm command line does not serve (a join with a spare sandbox, a new sandbox with a join's waiter):
 * nothing was done, and the front end runs it with Node.
 */
export class ForNode extends Error {}

/**
 * Creates the container: its sandbox boots, and waits for start. Returns the pid engines wait for, and its end when
 * it is this process's child (not for a waiter given by the caller).
 */
export async function create(g: GlobalOptions, id: string, o: CreateOptions, detached = true):
    Promise<{ pid: number; exited: Promise<number> | null }> {
  const bundle = resolvePath(o.bundle);
  const config = loadConfig(bundle);
  const store = new StateStore(g.root);
  if (config.pod.kind === 'container') {
    if (o.spare) throw new ForNode(`${id} joins a pod`);
    return joinPod(store, id, bundle, config, o, detached);
  }
  if (o.waiter) throw new ForNode(`${id} does not join a pod`);
  store.claim(id);
  let cgroup: SandboxCgroup | null = null;
  let sandboxPid = 0;
  let gofer: Required<GoferProcess> | null = null;
  const terminal = config.sandbox.process.terminal ?? false;
  try {
    gofer = startGofer(terminal, detached);
    const { memory, pids, cpu } = config.resources;
    const joinable = config.pod.kind === 'sandbox' && config.pod.joinable;
    // A pod's containers each get a cgroup of their own beside its sandbox container's (joinPod).
    cgroup = SandboxCgroup.create({ memory, pids, cpu, freezer: true }, `oci-${id}`, joinable ? id : undefined);
    const spec: SandboxSpec = {
      ...config.sandbox, containerId: id, startAtBoot: false, controlSocket: store.controlSocket(id), memory,
      gofer: { sockFd: GOFER_FDS, pidfdFd: GOFER_FDS + 1, pid: gofer.pid },
      podSandbox: joinable, ...(joinable ? { warmSocket: join(store.dir(id), 'warm.sock') } : {}),
      strace: g.strace ?? false, ...(g.debugLog ? { debugLog: resolvePath(g.debugLog) } : {}),
      ...(g.goferDeadlineMs === undefined ? {} : { goferDeadlineMs: g.goferDeadlineMs }),
      ...(cgroup ? { cgroup: cgroup.paths } : {}),
    };
    const consoleSocket = o.consoleSocket ? resolvePath(o.consoleSocket) : undefined;
    let reported: Promise<{ child: ChildProcess | null; exited: Promise<number> | null; line: string }>;
    if (o.spare) {
      sandboxPid = o.spare.pid;
      // Moved with the gofer while it still loads, before it has its spec: its own move would wait for an RCU grace
      // period (≈ 10 ms here) on its start's path.
      cgroup?.enterSentry([o.spare.pid, gofer.pid]);
      const moved = spec.cgroup ? { ...spec, cgroup: { ...spec.cgroup, sentryProcs: [] } } : spec;
      reported = handToSpare(o.spare.sock, { spec: moved, ...(consoleSocket ? { consoleSocket } : {}) }, [gofer.sock, gofer.pidfd]);
    } else {
      const env: NodeJS.ProcessEnv = { ...process.env, TVISOR_READY_FD: '3' };
      delete env.TVISOR_CLI_PID;
      if (consoleSocket) env.TVISOR_CONSOLE_SOCKET = consoleSocket;
      reported = spawnReporting([SANDBOX_MAIN, JSON.stringify(spec)], terminal,
        detached, env, (pid) => { sandboxPid = pid; }, [gofer.sock, gofer.pidfd]);
      // While the sandbox process starts: a move into a cgroup waits for an RCU grace period, which the sandbox's
      // start then need not wait for. The gofer serves nothing until the sandbox process tells it what.
      cgroup?.enterSentry([gofer.pid]);
    }
    const { child, exited, line } = await reported;
    if (!line.startsWith('ready ')) {
      throw new RuntimeError(line.startsWith('error ') ? line.slice(6) : 'the sandbox ended while it started');
    }
    const initPid = Number(line.slice(6));
    if (detached) child?.unref();
    applySysctls(initPid, config.sysctl);
    if (config.oomScoreAdj !== undefined) writeFileSync(`/proc/${sandboxPid}/oom_score_adj`, String(config.oomScoreAdj));
    const state: StateWithCgroup = {
      ociVersion: config.ociVersion, id, bundle, rootfs: config.sandbox.rootfs, created: new Date().toISOString(),
      annotations: config.annotations, sandboxPid, sandboxStart: startTime(sandboxPid) ?? '', initPid,
      hooks: config.hooks, ...(cgroup ? { cgroupRecord: cgroup.record } : {}),
    };
    created(store, state, o);
    return { pid: sandboxPid, exited };
  } catch (e) {
    if (sandboxPid > 0) killAndWait(sandboxPid);
    if (gofer) libcCalls.pidfdSendSignal(gofer.pidfd, 9, null, 0);
    cgroup?.remove();
    store.remove(id);
    throw e;
  } finally {
    // The sandbox process has its own copies (or failed).
    if (gofer) { closeSync(gofer.sock); closeSync(gofer.pidfd); }
  }
}

/** The sandbox process's fds of the gofer create starts for it: its socket, then its pidfd (3 is the ready pipe). */
const GOFER_FDS = 4;

/**
 * The sandbox's gofer, started by create beside the sandbox process rather
 * than by it: their Node start-ups overlap instead of following each other
 * (docs/design.md, "Start-up"). It outlives create, as the sandbox does;
 * the sentry watches it through the pidfd, as it is not its child.
 */
function startGofer(terminal: boolean, detached: boolean): Required<GoferProcess> {
  const gofer = spawnGofer({ quiet: terminal, detached });
  const pidfd = libcCalls.pidfdOpen(gofer.pid, 0);
  if (pidfd < 0) {
    native.kill(gofer.pid, 9);
    closeSync(gofer.sock);
    throw new RuntimeError(`cannot watch the gofer: errno ${-pidfd}`);
  }
  return { ...gofer, pidfd };
}

/**
 * create of a container of a running pod: it joins the pod's sandbox over
 * its control socket instead of starting one. The pid engines wait for is a
 * waiter (native/waiter.c) holding a socket on which the sandbox writes the
 * code to exit with when the container's first process ends.
 */
async function joinPod(store: StateStore, id: string, bundle: string, config: RuntimeConfig, o: CreateOptions,
    detached: boolean): Promise<{ pid: number; exited: Promise<number> | null }> {
  const pod = config.pod as Extract<RuntimeConfig['pod'], { kind: 'container' }>;
  const sandbox = store.read(pod.sandboxId) as StateWithCgroup;
  if (sandbox.pod) throw new RuntimeError(`${pod.sandboxId} is not the sandbox of a pod`);
  if (status(sandbox) === 'stopped') throw new RuntimeError(`the pod's sandbox ${pod.sandboxId} has stopped`);
  const { rootfs, rootReadonly, mounts, maskedPaths, readonlyPaths, process: proc } = config.sandbox;
  const terminal = proc.terminal ?? false;
  if (terminal && !o.consoleSocket) throw new RuntimeError('a container of a pod with a terminal needs --console-socket');
  store.claim(id);
  const pair = new Int32Array(2);
  let waiter: ChildProcess | null = null;
  let waiterPid = o.waiter?.pid ?? 0;
  let sock = -1;
  let cgroup: ContainerCgroup | null = null;
  try {
    // Its limits on its own processes: a container that exhausts them fails alone.
    const podCgroup = cgroupOf(sandbox);
    if (!podCgroup) throw new RuntimeError(`the pod's sandbox ${pod.sandboxId} has no cgroup`);
    const own = podCgroup.addContainer(id, config.resources);
    cgroup = own;
    if (!o.waiter && native.socketpair(pair) < 0) throw new RuntimeError('socketpair failed');
    const sandboxEnd = o.waiter?.sock ?? pair[0]!;
    // The request goes first: the sandbox mounts the container's tree while the waiter starts.
    sock = controlCall(() => sendRequest(store.controlSocket(pod.sandboxId), {
      createContainer: { containerId: id, sharePidNamespace: pod.sharePidNamespace,
        spec: JSON.stringify({ rootfs, rootReadonly, mounts, maskedPaths, readonlyPaths, process: proc, cgroupProcs: own.procs,
          memory: config.resources.memory }) },
    }, terminal ? [sandboxEnd] : [0, 1, 2, sandboxEnd]));
    let exited: Promise<number> | null = null;
    if (!o.waiter) {
      // Its end of the pair is fd 3; create's stdio goes to the container, not to it.
      waiter = spawn(WAITER, ['137'], { detached, stdio: ['ignore', 'ignore', 'ignore', pair[1]!] });
      exited = exitOf(waiter);
      waiterPid = waiter.pid ?? 0;
    }
    const { fd: master } = controlCall(() => firstAnswer(sock));
    closeSync(sock);
    sock = -1;
    if (master >= 0) relayTerminal(master, o.consoleSocket);
    if (detached) waiter?.unref();
    const state: StateWithCgroup = {
      ociVersion: config.ociVersion, id, bundle, rootfs: config.sandbox.rootfs, created: new Date().toISOString(),
      annotations: config.annotations, sandboxPid: waiterPid, sandboxStart: startTime(waiterPid) ?? '',
      initPid: sandbox.initPid, hooks: config.hooks, pod: { sandboxId: pod.sandboxId }, containerCgroup: cgroup,
    };
    created(store, state, o);
    return { pid: waiterPid, exited };
  } catch (e) {
    // Its answer first: a DeleteContainer served before the CreateContainer would find nothing to delete.
    if (sock >= 0) try { receiveResponse(sock); } catch { /* answered already, or the sandbox hung up */ }
    try { request(store.controlSocket(pod.sandboxId), { deleteContainer: { containerId: id } }); } catch { /* not added */ }
    // A waiter given by the caller is its child: killed here, reaped there.
    if (waiter?.pid) killAndWait(waiter.pid);
    else if (o.waiter) native.kill(o.waiter.pid, 9);
    if (cgroup) removeContainerCgroup(cgroup);
    store.remove(id);
    throw e;
  } finally {
    if (sock >= 0) closeSync(sock);
    for (const fd of pair) if (fd > 0) closeSync(fd);
  }
}

/** The control socket serving the container and its id there (the sandbox's own container is the default). */
function servedBy(store: StateStore, s: ContainerState): { socket: string; containerId?: string } {
  return s.pod ? { socket: store.controlSocket(s.pod.sandboxId), containerId: s.id } : { socket: store.controlSocket(s.id) };
}

/** The host pids of the container's processes: asked of the sandbox for a pod's container, the sandbox's tree otherwise. */
function containerPids(store: StateStore, s: ContainerState): number[] {
  if (!s.pod) return descendants(s.initPid);
  const { socket, containerId } = servedBy(store, s);
  const { sock, first } = request(socket, { processes: { containerId: containerId! } });
  closeSync(sock);
  return first.pids ?? [];
}

/** create's end: the state written, the create hooks run, the pid to wait for (sandboxPid) in --pid-file. */
function created(store: StateStore, state: StateWithCgroup, o: CreateOptions): void {
  store.write(state);
  // Hooks see init's pid: a process in the container's namespaces (the sandbox process is in the host's).
  const hookState = ociState(state, 'created', state.initPid);
  runHooks('prestart', state.hooks.prestart, hookState);
  runHooks('createRuntime', state.hooks.createRuntime, hookState);
  runHooks('createContainer', state.hooks.createContainer, hookState);
  if (o.pidFile) writePidFile(resolvePath(o.pidFile), state.sandboxPid);
}

function killAndWait(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { return; }
  for (let i = 0; i < 500 && startTime(pid) !== null; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
}

/** A call of the control client (sentry/control/client.ts), its failures as the runtime's errors. */
function controlCall<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ControlError) throw new RuntimeError(e.message);
    throw e;
  }
}

/** One request to the sandbox, waiting for its first answer. */
function request(path: string, req: ControlRequest, fds: number[] = []): ReturnType<typeof controlRequest> {
  return controlCall(() => controlRequest(path, req, fds));
}

export function start(g: GlobalOptions, id: string): void {
  const store = new StateStore(g.root);
  const s = store.locked(id, () => {
    const s = store.read(id) as StateWithCgroup;
    const st = status(s);
    if (st !== 'created') throw new RuntimeError(`cannot start a container in the ${st} state`);
    runHooks('startContainer', s.hooks.startContainer, ociState(s, 'created', s.initPid));
    const { socket, containerId } = servedBy(store, s);
    const { sock, first } = request(socket, { start: containerId ? { containerId } : {} });
    closeSync(sock);
    s.processPid = first.pid!;
    store.write(s);
    return s;
  });
  try { runHooks('poststart', s.hooks.poststart, ociState(s, 'running', s.initPid)); } catch (e) { warn((e as Error).message); }
}

function warn(msg: string): void { process.stderr.write(`tvisor: warning: ${msg}\n`); }

export function state(g: GlobalOptions, id: string): void {
  const s = new StateStore(g.root).read(id) as StateWithCgroup;
  process.stdout.write(JSON.stringify(ociState(s, status(s)), null, 2) + '\n');
}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8,
  KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19,
  TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29,
  PWR: 30, SYS: 31 };

export function parseSignal(v: string): number {
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n > 0 && n <= 64) return n;
  } else {
    const n = SIGNALS[v.toUpperCase().replace(/^SIG/, '')];
    if (n !== undefined) return n;
  }
  throw new RuntimeError(`unknown signal ${v}`);
}

export function kill(g: GlobalOptions, id: string, signal: string, all: boolean): void {
  const sig = parseSignal(signal);
  const store = new StateStore(g.root);
  store.locked(id, () => {
    const s = store.read(id) as StateWithCgroup;
    const st = status(s);
    if (st === 'stopped') throw new RuntimeError('container not running');
    if (s.pod && s.processPid === undefined) {
      // Not started: its process waits in the sandbox; ending the container is the signal's only effect.
      request(servedBy(store, s).socket, { deleteContainer: { containerId: id } });
      return;
    }
    const targets = s.pod ? (all ? containerPids(store, s) : [s.processPid!])
      : all ? [...descendants(s.initPid), ...(sig === 9 ? [s.initPid] : [])] : [s.processPid ?? s.initPid];
    for (const pid of targets) {
      try { process.kill(pid, sig); } catch { /* ended meanwhile */ }
    }
  });
}

export function deleteContainer(g: GlobalOptions, id: string, force: boolean): void {
  const store = new StateStore(g.root);
  if (!store.exists(id)) {
    if (force) { store.remove(id); return; }
    throw new RuntimeError(`container does not exist: ${id}`);
  }
  store.locked(id, () => {
    const s = store.read(id) as StateWithCgroup;
    const st = status(s);
    if ((st === 'running' || st === 'paused') && !force) {
      throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${st}`);
    }
    const cgroup = cgroupOf(s);
    if (st === 'paused') cgroup?.freeze(false);
    if (s.pod && sandboxAlive(s)) {
      // Its processes, tree and gofer go; the pod and its other containers stay.
      try { closeSync(request(servedBy(store, s).socket, { deleteContainer: { containerId: id } }).sock); } catch { /* the pod has stopped */ }
    }
    if (sandboxAlive(s)) killAndWait(s.sandboxPid);
    cgroup?.remove();
    if (s.containerCgroup) removeContainerCgroup(s.containerCgroup);
    try { runHooks('poststop', s.hooks.poststop, ociState(s, 'stopped', 0)); } catch (e) { warn((e as Error).message); }
  });
  store.remove(id);
}

export function list(g: GlobalOptions, format: string, quiet: boolean): void {
  const store = new StateStore(g.root);
  const states = store.ids().flatMap((id) => {
    try { const s = store.read(id) as StateWithCgroup; return [ociState(s, status(s))]; } catch { return []; }
  });
  if (quiet) { for (const s of states) process.stdout.write(`${s.id}\n`); return; }
  if (format === 'json') { process.stdout.write(JSON.stringify(states) + '\n'); return; }
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
    ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, 'root'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]! + 3)).join('').trimEnd() + '\n');
}

export function ps(g: GlobalOptions, id: string, format: string, psArgs: string[]): void {
  const s = new StateStore(g.root).read(id) as StateWithCgroup;
  if (status(s) === 'stopped') throw new RuntimeError('container not running');
  const pids = containerPids(new StateStore(g.root), s);
  if (format === 'json') { process.stdout.write(JSON.stringify(pids) + '\n'); return; }
  const out = spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
  if (out.status !== 0) throw new RuntimeError(`ps: ${out.stderr}`);
  const lines = out.stdout.split('\n');
  const header = lines[0] ?? '';
  const col = header.trim().split(/\s+/).indexOf('PID');
  process.stdout.write(header + '\n');
  for (const line of lines.slice(1)) {
    if (pids.includes(Number(line.trim().split(/\s+/)[col]))) process.stdout.write(line + '\n');
  }
}

/** A pod's container has no cgroup of its own: its usage is summed over its processes. */
/** A container's usage from its cgroup: the sandbox's, or in a pod its own, under the pod's (SandboxCgroup.addContainer). */
function statsEvent(store: StateStore, s: StateWithCgroup): object {
  let cgroup: SandboxCgroup | null = null;
  try {
    cgroup = cgroupOf(s.pod ? store.read(s.pod.sandboxId) as StateWithCgroup : s);
  } catch { /* the pod's sandbox is gone: nothing to report */ }
  const st = cgroup?.stats(s.containerCgroup) ?? {};
  return { type: 'stats', id: s.id, data: {
    cpu: { usage: { total: st.cpu?.total ?? 0 } },
    memory: { usage: { usage: st.memory?.usage ?? 0, limit: st.memory?.limit ?? 0 } },
    pids: { current: st.pids?.current ?? descendants(s.initPid).length, limit: st.pids?.limit ?? 0 },
  } };
}

export async function events(g: GlobalOptions, id: string, stats: boolean, intervalSec: number): Promise<void> {
  const store = new StateStore(g.root);
  const s = store.read(id) as StateWithCgroup;
  if (status(s) === 'stopped') throw new RuntimeError('container not running');
  if (stats) { process.stdout.write(JSON.stringify(statsEvent(store, s)) + '\n'); return; }
  while (status(s) !== 'stopped') {
    process.stdout.write(JSON.stringify(statsEvent(store, s)) + '\n');
    await new Promise((r) => setTimeout(r, intervalSec * 1000));
  }
}

export function pause(g: GlobalOptions, id: string, on: boolean): void {
  const store = new StateStore(g.root);
  store.locked(id, () => {
    const s = store.read(id) as StateWithCgroup;
    const st = status(s);
    if (on && st !== 'running') throw new RuntimeError(`container not running: ${st}`);
    if (!on && st !== 'paused') throw new RuntimeError(`container not paused: ${st}`);
    if (s.pod) throw new RuntimeError('pausing one container of a pod is not supported (the pod\'s sandbox container pauses the pod)');
    const cgroup = cgroupOf(s);
    if (!cgroup) throw new RuntimeError('the container has no freezer cgroup');
    cgroup.freeze(on);
  });
}

export interface ExecOptions {
  process?: string; cwd?: string; env: string[]; user?: string; tty: boolean; detach: boolean;
  pidFile?: string; consoleSocket?: string;
  /** Internal: a detached exec's waiter reports "started" on this fd. */
  notifyFd?: number;
}

/** The exec's process: from --process, or from the arguments with the container's process as defaults. */
function execProcess(s: ContainerState, args: string[], o: ExecOptions): ProcessConfig {
  if (o.process) {
    let raw: unknown;
    try { raw = JSON.parse(readFileSync(o.process, 'utf8')); } catch (e) { throw new ConfigError('--process', (e as Error).message); }
    return processConfig(raw, 'process');
  }
  if (args.length === 0) throw new RuntimeError('exec needs a command (or --process)');
  const base = loadConfig(s.bundle).sandbox.process;
  const [uid, gid] = (o.user ?? `${base.uid}:${base.gid}`).split(':').map(Number);
  return {
    ...base, args, cwd: o.cwd ?? base.cwd, env: [...base.env, ...o.env], uid: uid ?? 0, gid: gid ?? 0,
    terminal: o.tty, seccomp: base.seccomp,
  };
}

export async function exec(g: GlobalOptions, id: string, args: string[], o: ExecOptions): Promise<number> {
  const store = new StateStore(g.root);
  const s = store.read(id) as StateWithCgroup;
  const st = status(s);
  if (st !== 'running') throw new RuntimeError(`cannot exec in a ${st} container`);
  const proc = execProcess(s, args, o);
  if (o.tty) proc.terminal = true;
  if (proc.seccomp === undefined) {
    const base = loadConfig(s.bundle).sandbox.process;
    if (base.seccomp) proc.seccomp = base.seccomp;
  }
  if (o.detach) return execDetached(g, id, args, o);
  const { socket, containerId } = servedBy(store, s);
  const { sock, first, fd: master } = request(socket, { exec: { process: proc, ...(containerId ? { containerId } : {}) } },
    proc.terminal ? [] : [0, 1, 2]);
  const pid = first.pid!;
  if (o.notifyFd !== undefined) { writeFileSync(o.notifyFd, `started ${pid}\n`); closeSync(o.notifyFd); }
  if (o.pidFile && o.notifyFd === undefined) writePidFile(resolvePath(o.pidFile), pid);
  if (master >= 0) relayTerminal(master, o.consoleSocket);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const) {
    process.on(sig, () => { try { process.kill(pid, sig); } catch { /* ended */ } });
  }
  const ended = await awaitEnd(sock);
  if (!ended?.exited) return 137;
  return ended.signal ? 128 + ended.signal : ended.code ?? 0;
}

/** With a console socket the engine gets the master; otherwise this command relays it to its own terminal. */
function relayTerminal(master: number, consoleSocket?: string): void {
  if (consoleSocket) {
      const sock = libcCalls.socket(1, 1, 0);
    connectUnix(sock, textName(resolvePath(consoleSocket)));
    native.send(sock, new Uint8Array(Buffer.from('/dev/ptmx')), 9, Int32Array.of(master), 1);
    closeSync(sock);
    closeSync(master);
    return;
  }
  const fromGuest = new ReadStream(master);
  fromGuest.on('error', () => {});
  fromGuest.pipe(process.stdout);
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  process.stdin.pipe(new WriteStream(master));
}

/**
 * exec --detach: a waiter (this command without --detach) runs the exec and
 * exits as its process does; the engine, a subreaper, reaps it once this
 * command returns, so --pid-file names the waiter.
 */
async function execDetached(g: GlobalOptions, id: string, args: string[], o: ExecOptions): Promise<number> {
  const argv = [CLI_MAIN, '--root', g.root, 'exec', '--notify-fd', '3'];
  if (o.process) argv.push('--process', resolvePath(o.process));
  if (o.cwd) argv.push('--cwd', o.cwd);
  for (const e of o.env) argv.push('--env', e);
  if (o.user) argv.push('--user', o.user);
  if (o.tty) argv.push('--tty');
  if (o.consoleSocket) argv.push('--console-socket', resolvePath(o.consoleSocket));
  argv.push(id, ...args);
  const child = spawn(process.execPath, argv, { detached: true, stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
  const line = await new Promise<string>((res) => {
    let got = '';
    child.stdio[3]!.on('data', (d: Buffer) => { got += d.toString(); });
    child.stdio[3]!.on('close', () => res(got.trim()));
  });
  if (!line.startsWith('started ')) throw new RuntimeError('exec failed');
  if (o.pidFile) writePidFile(resolvePath(o.pidFile), child.pid!);
  child.unref();
  return 0;
}

export async function run(g: GlobalOptions, id: string, o: Omit<CreateOptions, 'waiter'> & { detach: boolean }): Promise<number> {
  const { exited } = await create(g, id, o, o.detach);
  start(g, id);
  if (o.detach) return 0;
  // This process started what the container's end is read from (no waiter was given).
  const code = await exited!;
  deleteContainer(g, id, true);
  return code;
}

export function spec(bundle: string): void {
  const path = join(resolvePath(bundle), 'config.json');
  if (existsSync(path)) throw new RuntimeError(`File ${path} exists. Remove it first`);
  writeFileSync(path, JSON.stringify(defaultSpec(), null, '\t') + '\n');
}

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

function defaultSpec(): object {
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true, user: { uid: 0, gid: 0 }, args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'], cwd: '/',
      capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }], noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'tvisor',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export function features(): void {
  process.stdout.write(JSON.stringify({
    ociVersionMin: '1.0.0', ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: ['ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'bind', 'rbind', 'private', 'rprivate',
      'shared', 'rshared', 'slave', 'rslave', 'relatime', 'strictatime', 'noatime'],
    linux: {
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'],
      capabilities: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
        'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_SYS_CHROOT', 'CAP_SYS_ADMIN', 'CAP_MKNOD'],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: { enabled: true, actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS',
        'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP'],
        operators: ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'],
        archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      apparmor: { enabled: false }, selinux: { enabled: false },
    },
    annotations: { 'org.opencontainers.runc.version': `tvisor ${VERSION}` },
  }, null, 2) + '\n');
}

export { VERSION };
