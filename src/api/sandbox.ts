// The library API: a sandbox as an object of the caller's program. The
// sandbox itself is a separate process (src/sandbox-main.ts: the sentry,
// which must be, as it ptraces the guests) booted with no process of its
// own; each run is an Exec on its control socket (sentry/control), with the
// run's stdio as pipes passed over it, and close() is its Shutdown. `tvisor
// do` is one sandbox and one run of this API.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants, totalmem } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { ReadStream, WriteStream } from 'node:tty';
import { libcCalls, native } from '../../native/index.js';
import type { SandboxSpec } from '../../sentry/boot.js';
import type { Change } from '../../sentry/fs/overlay/changes.js';
import { checkResponse, ControlError, receiveResponse, sendRequest, setNonBlocking } from '../../sentry/control/client.js';
import type { ControlRequest, ControlResponse } from '../../sentry/control/codec.js';
import type { ProcessConfig } from '../../sentry/control/process.js';
import { parseSize, SandboxCgroup } from '../cgroup.js';
import { descendants } from '../proctree.js';
import { nodeProgram, SANDBOX_MAIN } from '../programs.js';
import { readiness } from './readiness.js';
import { type Bind, DEFAULT_PATH, envList, mergeEnv, sandboxMounts } from './spec.js';
import { type VolumeFs, VolumeServer } from './volume.js';

export { ControlError as SandboxError };
export type { Bind };
export type { Change, ChangeKind, FileKind } from '../../sentry/fs/overlay/changes.js';

export interface Limits {
  /** Bytes (or a size such as '512m') the sandbox's processes may use together, tmpfs files included; 0: none. Default: half of RAM. */
  memory?: number | string;
  /** Processes and threads the sandbox may have together; 0: none. Default 4096. */
  pids?: number;
  /** Milliseconds a run may last before it and its descendants are killed (SIGKILL); 0: no limit (the default). */
  wallTime?: number;
}

export interface SandboxOptions {
  /**
   * The root's read-only lower layer, under a writable memory overlay: a
   * host directory; '/' (the default) is the host's root.
   */
  root?: string;
  binds?: Bind[];
  /**
   * In-memory volumes: a memfs Volume (or anything with its fs interface)
   * by the guest path it is mounted at. What the guest writes is in the
   * volume when its run's exit resolves (and at close).
   */
  volumes?: Record<string, VolumeFs>;
  /** The runs' environment, which each run's own adds to (default: PATH only). */
  env?: Record<string, string> | string[];
  limits?: Limits;
  /** Log every trapped system call to the sandbox process's stderr (as `do --strace`). */
  strace?: boolean;
  /**
   * Called with every trapped system call of the guests, as an object (the
   * records of --strace): it replaces `strace`'s lines. The sentry writes
   * them synchronously to a pipe this process reads: a slow callback slows
   * the guests. Not with debugLog, which takes every record.
   */
  onSyscall?: (call: SyscallRecord) => void;
  /** Write the sentry's debug log (JSON lines) to this host file. */
  debugLog?: string;
  /** Where the sandbox process's own messages go: 'inherit' (this process's stderr, the default) or 'ignore'. */
  sandboxStderr?: 'inherit' | 'ignore';
  /**
   * How long the sentry waits for a gofer's answer (the binds' gofer, an
   * in-memory volume's server in this process) before it gives it up:
   * the binds' gofer is killed and the sandbox ends, a volume is hung up
   * on and fails with EIO. Default 30 000; 0: wait forever.
   */
  goferTimeoutMs?: number;
}

/** A run's stdin: 'pipe' (run.stdin), 'inherit' (this process's), 'ignore' (empty), or an fd of this process. */
export type StdinOption = number | 'pipe' | 'inherit' | 'ignore';
/** A run's stdout or stderr: 'pipe' (a stream of the run, the default), 'inherit', 'ignore', or an fd of this process. */
export type OutputOption = number | 'pipe' | 'inherit' | 'ignore';

export interface RunOptions {
  /** Default 'ignore' (or `input`). */
  stdin?: StdinOption;
  /** Bytes (or UTF-8 text) the run reads on its stdin, then its end. */
  input?: string | Uint8Array;
  stdout?: OutputOption;
  stderr?: OutputOption;
  /** The working directory in the sandbox (default /). */
  cwd?: string;
  /** Added to the sandbox's environment, replacing its variables of the same name. */
  env?: Record<string, string> | string[];
  /** A terminal of the sandbox (a pty of its /dev/pts): run.stdout reads its master, run.stdin writes it; stdio options are ignored. */
  tty?: boolean | { rows: number; columns: number };
  /** Overrides the sandbox's limits.wallTime for this run. */
  wallTime?: number;
  uid?: number;
  gid?: number;
}

/** A trapped call: the host thread id of its caller, its name, decoded arguments and result ("-1 ENOENT", "(host)"…). */
export interface SyscallRecord { tid: number; name: string; args: string[]; result: string }

/** How a run ended: its exit code, or the signal that killed it. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed for passing its wall-time limit. */
  timedOut: boolean;
}

const DEFAULT_PIDS = 4096;
/** How long close() waits for the sandbox to end after Shutdown before it kills it. */
const CLOSE_GRACE_MS = 10_000;
const O_CLOEXEC = 0o2000000;
/** The sandbox process's fd of the first volume's gofer socket (3 is its ready pipe); the strace pipe follows them. */
const VOLUME_FD = 4;
const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

function pipe(): [number, number] {
  const p = new Int32Array(2);
  if (libcCalls.pipe2(p, O_CLOEXEC) < 0) throw new Error('pipe2 failed');
  return [p[0]!, p[1]!];
}

let made = 0;

/** Removes the control directories of programs that were killed before their close() (their pid is gone). */
function removeStaleDirs(): void {
  for (const name of readdirSync('/tmp')) {
    const pid = /^tvisor-api-(\d+)-/.exec(name)?.[1];
    if (!pid || existsSync(`/proc/${pid}`)) continue;
    rmSync(join('/tmp', name), { recursive: true, force: true });
  }
}

export class Sandbox {
  private readonly runs = new Set<Run>();
  private closing: Promise<void> | null = null;
  private ended = false;
  private readonly endedPromise: Promise<void>;

  private constructor(private readonly child: ChildProcess, private readonly dir: string,
      private readonly cgroup: SandboxCgroup | null, private readonly env: string[], private readonly wallTime: number,
      private readonly volumes: VolumeServer[], private readonly records: Promise<void>) {
    this.endedPromise = new Promise((res) => child.once('exit', () => { this.ended = true; res(); }));
  }

  /** Boots a sandbox; it serves runs until close(). */
  static async create(opts: SandboxOptions = {}): Promise<Sandbox> {
    if (opts.onSyscall && opts.debugLog) throw new TypeError('onSyscall and debugLog exclude each other: the debug log takes every record');
    const timeout = opts.goferTimeoutMs;
    if (timeout !== undefined && !(Number.isSafeInteger(timeout) && timeout >= 0)) {
      throw new TypeError(`goferTimeoutMs: ${timeout}: expected a whole number of milliseconds, 0 or more`);
    }
    const limits = opts.limits ?? {};
    const memory = typeof limits.memory === 'string' ? parseSize(limits.memory) : limits.memory ?? Math.floor(totalmem() / 2);
    // The first sandbox of a process has its pid as its cgroup's name: a stale one is then known by that pid.
    const name = made++ === 0 ? String(process.pid) : `${process.pid}-${made}`;
    const cgroup = SandboxCgroup.create({ memory, pids: limits.pids ?? DEFAULT_PIDS }, name);
    let dir = '';
    const servers: VolumeServer[] = [];
    const theirs: number[] = [];
    try {
      for (const vol of Object.values(opts.volumes ?? {})) {
        const pair = new Int32Array(2);
        if (native.socketpair(pair) < 0) throw new Error('socketpair failed');
        theirs.push(pair[1]!);
        servers.push(new VolumeServer(vol, pair[0]!));
      }
      const straceFd = opts.onSyscall ? VOLUME_FD + theirs.length : undefined;
      let records: Promise<void> = Promise.resolve();
      if (opts.onSyscall) {
        const [r, w] = pipe();
        theirs.push(w);
        records = readRecords(new Socket({ fd: r, readable: true, writable: false }), opts.onSyscall);
      }
      removeStaleDirs();
      dir = mkdtempSync(`/tmp/tvisor-api-${process.pid}-`);
      const spec: SandboxSpec = {
        rootfs: resolvePath(opts.root ?? '/'),
        mounts: sandboxMounts((opts.binds ?? []).map((b) => ({ ...b, host: resolvePath(b.host) })), Object.keys(opts.volumes ?? {}), VOLUME_FD), startAtBoot: false,
        controlSocket: join(dir, 'control'), strace: (opts.strace ?? false) || straceFd !== undefined, memory,
        ...(straceFd === undefined ? {} : { straceFd }),
        ...(opts.debugLog ? { debugLog: opts.debugLog } : {}), ...(cgroup ? { cgroup: cgroup.paths } : {}),
        ...(opts.goferTimeoutMs === undefined ? {} : { goferDeadlineMs: opts.goferTimeoutMs }),
      };
      const env: NodeJS.ProcessEnv = { ...process.env, TVISOR_READY_FD: '3', TVISOR_CLI_PID: String(process.pid) };
      delete env.TVISOR_CONSOLE_SOCKET;
      // TVISOR_SENTRY_CPU_PROF=DIR: the sentry writes a V8 CPU profile there (design.md: where a trapped call's time goes).
      const profile = process.env.TVISOR_SENTRY_CPU_PROF;
      const child = spawn(...nodeProgram([...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), SANDBOX_MAIN, JSON.stringify(spec)]),
        { env, stdio: ['ignore', 'ignore', opts.sandboxStderr ?? 'inherit', 'pipe', ...theirs] });
      for (const fd of theirs.splice(0)) closeSync(fd);
      const line = await new Promise<string>((res) => {
        let got = '';
        child.stdio[3]!.on('data', (d: Buffer) => { got += d.toString(); });
        child.stdio[3]!.on('close', () => res(got.trim()));
      });
      if (!line.startsWith('ready ')) {
        await new Promise((res) => child.exitCode !== null || child.signalCode !== null ? res(null) : child.once('exit', res));
        throw new ControlError(line.startsWith('error ') ? line.slice(6) : 'the sandbox ended while it started');
      }
      const base = opts.env ? envList(opts.env) : [DEFAULT_PATH];
      return new Sandbox(child, dir, cgroup, base, limits.wallTime ?? 0, servers, records);
    } catch (e) {
      for (const fd of theirs) closeSync(fd);
      for (const server of servers) server.close();
      cgroup?.remove();
      if (dir) rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** The host pid of the sandbox process. */
  get pid(): number { return this.child.pid!; }

  private get controlSocket(): string { return join(this.dir, 'control'); }

  /** Starts argv[0] (looked up in PATH when it has no slash) in the sandbox. */
  run(argv: string[], opts: RunOptions = {}): Run {
    if (this.closing || this.ended) throw new ControlError('the sandbox is closed');
    const tty = opts.tty ?? false;
    const config: ProcessConfig = {
      args: argv, env: mergeEnv(this.env, envList(opts.env)), cwd: opts.cwd ?? '/', uid: opts.uid ?? 0, gid: opts.gid ?? 0,
      terminal: tty !== false, ...(typeof tty === 'object' ? { consoleSize: { height: tty.rows, width: tty.columns } } : {}),
    };
    const run = new Run(this, opts.wallTime ?? this.wallTime);
    run.start(this.controlSocket, { exec: { process: config } }, tty !== false ? null : opts);
    this.runs.add(run);
    void run.exit.then(() => this.runs.delete(run), () => this.runs.delete(run));
    return run;
  }

  /** Runs argv to its end and collects its output (UTF-8). */
  async exec(argv: string[], opts: Omit<RunOptions, 'stdout' | 'stderr' | 'tty'> = {}): Promise<Exit & { stdout: string; stderr: string }> {
    const run = this.run(argv, opts);
    const [stdout, stderr] = [collect(run.stdout!), collect(run.stderr!)];
    const exit = await run.exit;
    return { ...exit, stdout: await stdout, stderr: await stderr };
  }

  /** Whether close() was called or the sandbox process ended. */
  get closed(): boolean { return this.closing !== null || this.ended; }

  /**
   * Ends the sandbox: every process in it is killed, the sandbox process
   * exits, and its cgroup and control socket's directory are removed.
   * Rejects (once all that is done) if a file the guests wrote could not be
   * copied back into its volume.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (!this.ended) {
      try {
        const sock = sendRequest(this.controlSocket, { shutdown: {} });
        await firstResponse(sock).finally(() => closeSync(sock));
      } catch (e) {
        // The sandbox is gone already (its exit follows) or does not answer: it is killed below.
        if (!(e instanceof ControlError)) throw e;
      }
      const timer = setTimeout(() => this.child.kill('SIGKILL'), CLOSE_GRACE_MS);
      await this.endedPromise;
      clearTimeout(timer);
    }
    await Promise.allSettled([...this.runs].map((r) => r.exit));
    // Every call the guests made has been given to onSyscall when close() resolves.
    await this.records;
    for (const v of this.volumes) v.close();
    this.cgroup?.remove();
    rmSync(this.dir, { recursive: true, force: true });
    const failures = this.volumes.flatMap((v) => v.failures);
    if (failures.length) throw new AggregateError(failures, 'files the guests wrote could not be copied back into their volumes');
  }

  /**
   * What the guests changed in the root overlay (its upper layer against
   * the root): files created, modified and deleted, parents first. Binds
   * and volumes are not the overlay: their changes are the host's or the
   * volume's own.
   */
  async changes(): Promise<Change[]> {
    const file = join(this.dir, `changes-${made++}.json`);
    const fd = openSync(file, 'w+');
    try {
      await this.request({ changes: {} }, [fd]);
      return JSON.parse(readFileSync(file, 'utf8')) as Change[];
    } finally {
      closeSync(fd);
      rmSync(file, { force: true });
    }
  }

  /** Writes the changes as an OCI image layer tar at tarPath (whiteouts as `.wh.<name>`, `.wh..wh..opq`). */
  async exportChanges(tarPath: string): Promise<void> {
    const fd = openSync(tarPath, 'w');
    try {
      await this.request({ changes: { tar: true } }, [fd]);
    } finally {
      closeSync(fd);
    }
  }

  private async request(req: ControlRequest, fds: number[]): Promise<ControlResponse> {
    if (this.closing || this.ended) throw new ControlError('the sandbox is closed');
    const sock = sendRequest(this.controlSocket, req, fds);
    return firstResponse(sock).finally(() => closeSync(sock));
  }

  /** The number of processes its memory limit made the host kill. */
  oomKills(): number { return this.cgroup?.oomKills() ?? 0; }

  /** @internal A run ended: what it wrote to the volumes is put in them. */
  syncVolumes(): void {
    for (const v of this.volumes) v.sync();
  }

}

/** A process started by Sandbox.run. */
export class Run {
  /** Writes the guest's stdin (stdin: 'pipe', or a tty). */
  stdin: Writable | null = null;
  /** The guest's stdout (stdout: 'pipe'), or the terminal's output. */
  stdout: Readable | null = null;
  /** The guest's stderr (stderr: 'pipe'); null with a tty. */
  stderr: Readable | null = null;
  /** The process's host pid, once it has started; rejects (SandboxError) if it could not start. */
  readonly started: Promise<number>;
  /**
   * How it ended; rejects as `started` does. The end of the process, not of its output: what it wrote last may
   * still be on its way on stdout and stderr, which end on their own ('end'), as child_process's 'exit' and 'close'.
   */
  readonly exit: Promise<Exit>;
  private pid = 0;
  private master = -1;
  private timedOut = false;
  private pendingSignal: NodeJS.Signals | number | null = null;
  private settle!: { started(pid: number): void; exit(e: Exit): void; fail(e: Error): void };

  /** @internal */
  constructor(private readonly sandbox: Sandbox, private readonly wallTime: number) {
    let started!: (pid: number) => void, exited!: (e: Exit) => void, failed!: (e: Error) => void, failedStart!: (e: Error) => void;
    this.started = new Promise((res, rej) => { started = res; failedStart = rej; });
    this.exit = new Promise((res, rej) => { exited = res; failed = rej; });
    // Either may be the one awaited: the other's rejection is not unhandled.
    this.started.catch(() => {});
    this.exit.catch(() => {});
    this.settle = { started, exit: exited, fail: (e) => { failedStart(e); failed(e); } };
  }

  /** @internal Sends the Exec: stdio per `opts`, or a terminal when null. */
  start(path: string, req: ControlRequest, opts: RunOptions | null): void {
    const guestEnds: number[] = [];
    let toFeed: Uint8Array | null = null;
    try {
      if (!opts) {
        // The terminal's master comes with the first answer: the streams are there at once, joined to it then.
        this.stdout = new PassThrough();
        this.stdin = new PassThrough();
      } else {
        if (opts.input !== undefined) toFeed = typeof opts.input === 'string' ? Buffer.from(opts.input) : opts.input;
        guestEnds.push(this.stdio(0, toFeed ? 'pipe' : opts.stdin ?? 'ignore'));
        guestEnds.push(this.stdio(1, opts.stdout ?? 'pipe'));
        guestEnds.push(this.stdio(2, opts.stderr ?? 'pipe'));
      }
      this.follow(sendRequest(path, req, guestEnds));
    } catch (e) {
      this.stdin?.destroy(); this.stdout?.destroy(); this.stderr?.destroy();
      throw e;
    } finally {
      // The sandbox has its own copies (SCM_RIGHTS): ours would hold the pipes open.
      for (const fd of guestEnds) closeSync(fd);
    }
    if (toFeed) {
      this.stdin!.end(toFeed);
      this.stdin = null;
    }
  }

  /** The guest's end of stdio slot `n`; with 'pipe', the other end becomes this run's stream. */
  private stdio(n: 0 | 1 | 2, how: StdinOption | OutputOption): number {
    if (how === 'inherit') return this.dupOf(n);
    if (typeof how === 'number') return this.dupOf(how);
    if (how === 'ignore') return openSync('/dev/null', n === 0 ? 'r' : 'w');
    const [r, w] = pipe();
    if (n === 0) {
      this.stdin = new Socket({ fd: w, readable: false, writable: true });
      return r;
    }
    const s = new Socket({ fd: r, readable: true, writable: false });
    if (n === 1) this.stdout = s; else this.stderr = s;
    return w;
  }

  /** A copy of one of this process's fds, so that closing the guest's ends never closes the caller's. */
  private dupOf(fd: number): number {
    const d = libcCalls.fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, 3);
    if (d < 0) throw new Error(`fd ${fd} is not open`);
    return d;
  }

  private follow(sock: number): void {
    setNonBlocking(sock);
    let first = true;
    const done = () => { readiness.unwatch(sock); closeSync(sock); };
    readiness.watch(sock, () => {
      let got: { res: ControlResponse; fd: number } | null;
      try {
        got = receiveResponse(sock);
      } catch (e) {
        done();
        this.hungUp(first, e as Error);
        return;
      }
      if (!got) return;
      if (first) {
        first = false;
        try {
          checkResponse(got.res);
        } catch (e) {
          done();
          this.settle.fail(e as Error);
          return;
        }
        this.begun(got.res.pid!, got.fd);
        return;
      }
      done();
      this.ended(got.res);
    });
  }

  private begun(pid: number, master: number): void {
    this.pid = pid;
    if (master >= 0) {
      this.master = master;
      const fromGuest = new ReadStream(master);
      // EIO once every slave is closed: the terminal's end.
      fromGuest.on('error', () => (this.stdout as PassThrough).end());
      fromGuest.pipe(this.stdout as PassThrough);
      // A copy of its own: each stream closes its fd.
      const toGuest = new WriteStream(this.dupOf(master));
      toGuest.on('error', () => {});
      this.stdin!.pipe(toGuest);
    }
    if (this.wallTime > 0) {
      const timer = setTimeout(() => { this.timedOut = true; this.killTree(); }, this.wallTime);
      void this.exit.finally(() => clearTimeout(timer)).catch(() => {});
    }
    this.settle.started(pid);
    if (this.pendingSignal !== null) this.kill(this.pendingSignal);
  }

  private ended(r: ControlResponse): void {
    this.sandbox.syncVolumes();
    const signal = r.signal ? SIGNAL_NAMES.get(r.signal) ?? null : null;
    this.settle.exit({ code: signal ? null : r.code ?? 0, signal, timedOut: this.timedOut });
  }

  /**
   * The connection ended without an answer: the sandbox was closed or ended
   * (its gofer died), and every process in it was killed with it.
   */
  private hungUp(beforeStart: boolean, e: Error): void {
    if (!beforeStart) this.settle.exit({ code: null, signal: 'SIGKILL', timedOut: this.timedOut });
    else this.settle.fail(e);
  }

  /** Sends a signal (default SIGKILL) to the process (once it has started). */
  kill(signal: NodeJS.Signals | number = 'SIGKILL'): void {
    if (!this.pid) { this.pendingSignal = signal; return; }
    try { process.kill(this.pid, signal); } catch { /* it has ended */ }
  }

  /** SIGKILL to the process and every process it started. */
  private killTree(): void {
    for (const pid of [this.pid, ...descendants(this.pid)]) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* ended meanwhile */ }
    }
  }

  /** With a tty: the terminal's size. */
  resize(rows: number, columns: number): void {
    if (this.master < 0) throw new Error('the run has no terminal');
    native.setWinsize(this.master, rows, columns);
  }
}

/** The strace lines (pino JSON) of the sandbox, as records; its other lines (warnings) are not calls. */
function readRecords(from: Socket, onSyscall: (call: SyscallRecord) => void): Promise<void> {
  let rest = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const r = JSON.parse(line) as { tid?: number; syscall?: string; args?: string[]; result?: string };
      if (r.syscall !== undefined) onSyscall({ tid: r.tid!, name: r.syscall, args: r.args!, result: r.result! });
    }
  });
  return new Promise((res) => from.on('close', () => res()));
}

/** The first answer on a control connection, waited for in the event loop. */
function firstResponse(sock: number): Promise<ControlResponse> {
  setNonBlocking(sock);
  return new Promise((res, rej) => readiness.watch(sock, () => {
    try {
      const got = receiveResponse(sock);
      if (!got) return;
      readiness.unwatch(sock);
      res(checkResponse(got.res));
    } catch (e) {
      readiness.unwatch(sock);
      rej(e);
    }
  }));
}

function collect(s: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  return new Promise((res, rej) => { s.on('end', () => res(Buffer.concat(chunks).toString('utf8'))); s.on('error', rej); });
}
