// Running tvisor and compiling test programs, for the test suites.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { type Dirent, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const TVISOR = join(REPO, 'bin', 'tvisor.js');
/**
 * The runtime's front end as engines run it (native/front.c): a command goes to a warm command line (a pod's for a
 * joining create, else the state root's) when one answers, else to Node.
 */
export const FRONT_END = join(REPO, 'native', 'build', 'tvisor');

/** The warm command lines of a runtime state root (src/oci/warm.ts): their pids. */
export function rootWarms(root: string): number[] {
  const out = spawnSync('pgrep', ['-f', `warm-main.js --root ${root}$`], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

/**
 * Waits for a state root's warm command lines to end, as they do 5 s after the root holds no container (or
 * after 30 s without a command): true once none is left, nor their socket. A bound against hangs, not a measure.
 */
export async function rootWarmsEnded(root: string): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    if (rootWarms(root).length === 0 && !(existsSync(root) && readdirSync(root).includes('@warm.sock'))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export interface RunResult { status: number | null; stdout: string; stderr: string }

function result(r: SpawnSyncReturns<string>): RunResult {
  // A run killed for its time shows it: an empty stdout alone says nothing.
  const killed = r.error ? `\n[test helper: ${r.error.message}]\n` : r.signal ? `\n[test helper: killed by ${r.signal}]\n` : '';
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + killed };
}

/**
 * How long a sandbox may take before a test gives up on it: a bound for
 * hangs only, never a measure (a busy machine runs a sandbox many times
 * slower than a quiet one).
 */
export const HANG_MS = 300_000;

/** `tvisor do [opts] -- argv…`, waiting for it. */
export function tvisorDo(argv: string[], opts: { flags?: string[]; input?: string; cwd?: string; timeoutMs?: number } = {}): RunResult {
  return result(spawnSync(process.execPath, [TVISOR, 'do', ...(opts.flags ?? []), '--', ...argv], {
    encoding: 'utf8', input: opts.input ?? '', cwd: opts.cwd ?? '/', timeout: opts.timeoutMs ?? HANG_MS,
    maxBuffer: 64 << 20,
  }));
}

/** `sh -c script` inside tvisor. */
export function sandboxSh(script: string, opts: Parameters<typeof tvisorDo>[1] = {}): RunResult {
  return tvisorDo(['/bin/sh', '-c', script], opts);
}

/** The same script on the host, for comparison. */
export function hostSh(script: string, cwd = '/'): RunResult {
  return result(spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', cwd, maxBuffer: 64 << 20 }));
}

let scratch: string | null = null;

/**
 * The directory that holds what the tests make on the host: vitest's global
 * setup makes it and removes it when the run ends (test/global-setup.ts); a
 * script run outside vitest gets its own, removed when it exits.
 */
function scratchRoot(): string {
  if (scratch) return scratch;
  scratch = process.env.TVISOR_TEST_TMP ?? null;
  if (!scratch) {
    const own = mkdtempSync(`/tmp/tvisor-test-${process.pid}-`);
    process.on('exit', () => rmSync(own, { recursive: true, force: true }));
    scratch = own;
  }
  return scratch;
}

/** A new host directory for a test, removed with the scratch directory at the latest. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(scratchRoot(), `${prefix}-`));
}

let buildDir: string | null = null;

/** Compiles test/c/<name>.c (with extra cc flags) into a temporary directory; returns the binary's path. */
export function compile(name: string, flags: string[] = []): string {
  buildDir ??= tempDir('bin');
  const out = join(buildDir, name);
  execFileSync('cc', ['-O1', '-Wall', '-o', out, join(REPO, 'test', 'c', `${name}.c`), ...flags], { stdio: 'inherit' });
  return out;
}

/** Installs the Debian packages of the commands that are missing (tests run as root on Debian). */
export function ensureCommands(commands: Record<string, string>): void {
  const missing = Object.entries(commands).filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
  // A fresh machine may have no package lists yet.
  execFileSync('/bin/sh', ['-c', `apt-get install -y --no-install-recommends ${pkgs} || (apt-get update && apt-get install -y --no-install-recommends ${pkgs})`], {
    stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** The directories named `name` in the host's cgroup hierarchies (v1 or v2; a few levels deep). */
export function cgroupDirs(name: string, dir = '/sys/fs/cgroup', depth = 5): string[] {
  if (depth === 0) return [];
  let entries: Dirent[];
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return []; }
  return entries.filter((e) => e.isDirectory()).flatMap((e) => e.name === name ? [join(dir, e.name)] : cgroupDirs(name, join(dir, e.name), depth - 1));
}
