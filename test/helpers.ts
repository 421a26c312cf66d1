// Running tvisor and compiling test programs, for the test suites.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const TVISOR = join(REPO, 'bin', 'tvisor.js');

export interface RunResult { status: number | null; stdout: string; stderr: string }

function result(r: SpawnSyncReturns<string>): RunResult {
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `tvisor do [opts] -- argv…`, waiting for it. */
export function tvisorDo(argv: string[], opts: { flags?: string[]; input?: string; cwd?: string; timeoutMs?: number } = {}): RunResult {
  return result(spawnSync(process.execPath, [TVISOR, 'do', ...(opts.flags ?? []), '--', ...argv], {
    encoding: 'utf8', input: opts.input ?? '', cwd: opts.cwd ?? '/', timeout: opts.timeoutMs ?? 60_000,
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

let buildDir: string | null = null;

/** Compiles test/c/<name>.c (with extra cc flags) into a temporary directory; returns the binary's path. */
export function compile(name: string, flags: string[] = []): string {
  buildDir ??= mkdtempSync('/tmp/tvisor-test-bin-');
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
