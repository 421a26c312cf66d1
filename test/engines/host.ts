// What an engine run can leave on the host, and the commands tests run.
// Engines spread state beyond the directories they are given (see
// docs/engines.md): shim sockets in /run/containerd/s, runc's default root
// /run/runc, netns bind mounts, /run/docker/plugins. A harness records which of
// those it created and checks that nothing outlives it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Run { code: number | null; signal: string | null; stdout: string; stderr: string }

/**
 * Runs a command to its end and returns its output; never throws for a
 * non-zero exit (the caller asserts). `hangMs` only bounds a hang.
 */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; hangMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.hangMs ?? 240_000);
    child.on('error', (e) => { stderr += String(e); });
    // A command that ends without reading its input closes the pipe first (EPIPE): its output tells what it did.
    child.stdin.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE') stderr += String(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    child.stdin.end(opts.input ?? '');
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Mount points at or under `dir` (from /proc/self/mountinfo, deepest first). */
export function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const target = line.split(' ')[4];
    if (!target) continue;
    const path = target.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (path === dir || path.startsWith(`${dir}/`)) out.push(path);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or under `dir`, deepest first (lazily: a busy mount still leaves the tree). */
export async function unmountUnder(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) await run('umount', ['-l', m]);
}

/** Live (non-zombie) host pids whose command line mentions `needle` (an engine's private dir names it in every daemon, shim, conmon and runtime call). */
export function processesMentioning(needle: string): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline = '';
    try { cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { continue; }
    if (cmdline.includes(needle) && alive(Number(name))) out.push({ pid: Number(name), cmdline });
  }
  return out;
}

/** Host pids of the processes whose parent is `pid`, transitively. */
export function descendantsOf(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
  return kids.flatMap((k) => [k, ...descendantsOf(k)]);
}

export function alive(pid: number): boolean {
  try { return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'); } catch { return false; }
}

/** Sends SIGTERM, waits up to `graceMs` for the exit, then SIGKILL and waits again. */
export async function stopProcess(pid: number, graceMs = 30_000): Promise<void> {
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  for (let t = 0; t < graceMs && alive(pid); t += 100) await sleep(100);
  if (!alive(pid)) return;
  try { process.kill(pid, 'SIGKILL'); } catch { return; }
  while (alive(pid)) await sleep(100);
}

/**
 * Host-global directories an engine creates although told to keep its state
 * elsewhere. `snapshot()` notes which exist before a harness starts, `release()`
 * removes the ones that did not and hold nothing but empty directories (a
 * non-empty one is someone's state and is reported, not removed).
 */
export class GlobalDirs {
  private readonly preexisting: Set<string>;
  constructor(private readonly dirs: string[]) {
    this.preexisting = new Set(dirs.filter((d) => existsSync(d)));
  }

  release(): string[] {
    const left: string[] = [];
    for (const d of this.dirs) {
      if (this.preexisting.has(d) || !existsSync(d)) continue;
      if (!removeEmptyTree(d)) left.push(d);
    }
    return left;
  }
}

function removeEmptyTree(dir: string): boolean {
  if (!statSync(dir).isDirectory()) return false;
  let empty = true;
  for (const e of readdirSync(dir)) if (!removeEmptyTree(join(dir, e))) empty = false;
  if (!empty) return false;
  rmdirSync(dir);
  return true;
}

/** What an engine left behind, per kind; all empty means a clean host. */
export interface Leftovers { processes: string[]; mounts: string[]; paths: string[] }

// comm is cut at 15 bytes: containerd-shim-runc-v2 shows as containerd-shim.
const ENGINE_COMMS = new Set(['dockerd', 'containerd', 'containerd-shim', 'conmon', 'runc', 'docker-proxy']);

/**
 * Engine daemons, shims, conmons and runc calls anywhere on the host (test
 * files run one at a time, so any is a leftover). Zombies are not counted:
 * shims and conmon daemonise, so their exit is reaped by pid 1, which on this
 * VM does so seconds later; a zombie holds nothing but its pid.
 */
export function engineProcesses(): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!ENGINE_COMMS.has(readFileSync(`/proc/${name}/comm`, 'utf8').trim()) || !alive(Number(name))) continue;
      out.push({ pid: Number(name), cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

export function leftoversOf(root: string, globalLeft: string[]): Leftovers {
  const procs = new Map([...processesMentioning(root), ...engineProcesses()].map((p) => [p.pid, p.cmdline]));
  return {
    processes: [...procs].map(([pid, cmdline]) => `${pid} ${cmdline}`),
    mounts: mountsUnder(root),
    paths: [...(existsSync(root) ? [root] : []), ...globalLeft],
  };
}

/**
 * A private directory for one engine instance, directly in /tmp with a short
 * name: engines put unix sockets deep inside it (dockerd's containerd socket is
 * <exec-root>/containerd/containerd.sock.ttrpc) and a socket path has 108 bytes
 * at most; podman refuses a runroot longer than 50 characters. The owner's pid
 * is in the name: a run that was killed leaves its directory to the next one,
 * which unmounts and removes it.
 */
export async function privateDir(tag: string): Promise<string> {
  for (const name of readdirSync('/tmp')) {
    const pid = new RegExp(`^tv${tag}-(\\d+)-`).exec(name)?.[1];
    if (!pid || existsSync(`/proc/${pid}`)) continue;
    await unmountUnder(`/tmp/${name}`);
    rmSync(`/tmp/${name}`, { recursive: true, force: true });
  }
  return mkdtempSync(`/tmp/tv${tag}-${process.pid}-`);
}
