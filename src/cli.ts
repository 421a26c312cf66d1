// The tvisor command line.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { MountSpec, SandboxSpec } from '../sentry/boot.js';
import { CgroupError, type Limits, parseSize, SandboxCgroup } from './cgroup.js';
import { runWithTerminal } from './terminal.js';
import { registerRuntime } from './oci/commands.js';
import { SANDBOX_MAIN } from './programs.js';

/** Defaults of `do`'s limits: as Linux's tmpfs defaults to half of RAM, the sandbox's memory is half of RAM. */
const DEFAULT_MEMORY = Math.floor(totalmem() / 2);
const DEFAULT_PIDS = 4096;

interface BindMount { host: string; guest: string; readonly: boolean; recursive: boolean }

/**
 * -v HOST:GUEST[:OPTIONS]: OPTIONS is a comma-separated list of ro or rw and
 * rbind (the default: with the host mounts beneath HOST) or bind (without
 * them), as podman takes them. HOST is a directory or a file; a symlink is
 * resolved on the host first, as docker does, so the sandbox gets what it
 * names now.
 */
function parseVolume(value: string, previous: BindMount[]): BindMount[] {
  const parts = value.split(':');
  const options = parts[2]?.split(',') ?? [];
  const bad = options.find((o) => !['ro', 'rw', 'bind', 'rbind'].includes(o));
  if (parts.length < 2 || parts.length > 3 || bad !== undefined) {
    throw new InvalidArgumentError(`-v ${value}: expected HOST:GUEST[:ro|rw][,bind|rbind]`);
  }
  const [hostPath, guest] = parts as [string, string];
  let host: string;
  try {
    host = realpathSync(resolvePath(hostPath));
  } catch {
    throw new InvalidArgumentError(`-v ${value}: ${resolvePath(hostPath)} does not exist`);
  }
  const st = statSync(host);
  // A device node never opens on a bind (they are nodev); a bind of one would be a file nobody can use.
  if (!st.isDirectory() && !st.isFile() && !st.isFIFO() && !st.isSocket()) {
    throw new InvalidArgumentError(`-v ${value}: ${host} is a device node, which binds do not serve`);
  }
  if (!guest.startsWith('/')) throw new InvalidArgumentError(`-v ${value}: the guest path must be absolute`);
  return [...previous, { host, guest, readonly: options.includes('ro'), recursive: !options.includes('bind') }];
}

function parseRoot(value: string): string {
  const dir = resolvePath(value);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InvalidArgumentError(`--root ${value}: not a directory`);
  return dir;
}

function parseEnv(value: string, previous: string[]): string[] {
  if (!value.includes('=')) throw new InvalidArgumentError(`--env ${value}: expected K=V`);
  return [...previous, value];
}

function parseMemory(value: string): number {
  try { return parseSize(value); } catch (e) { throw new InvalidArgumentError((e as Error).message); }
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${value}: expected a number`);
  return Number(value);
}

/** `do`'s tree over the host root: /dev/shm, the volumes, /sys and /proc (boot adds /dev and /dev/pts). */
function doMounts(volumes: BindMount[]): MountSpec[] {
  return [
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'nodev'] },
    ...volumes.map((v) => ({ destination: v.guest, type: 'bind', source: v.host, options: [v.recursive ? 'rbind' : 'bind', v.readonly ? 'ro' : 'rw'] })),
    { destination: '/sys', type: 'sysfs', options: ['ro', 'nosuid', 'nodev', 'noexec'] },
    { destination: '/proc', type: 'proc', options: ['nosuid', 'nodev', 'noexec'] },
  ];
}

/** Puts the sandbox in a cgroup of its own with `limits`, removed when this process exits. */
function limitSandbox(limits: Limits): SandboxSpec['cgroup'] {
  let cgroup;
  try {
    cgroup = SandboxCgroup.create(limits);
  } catch (e) {
    if (!(e instanceof CgroupError)) throw e;
    process.stderr.write(`tvisor: cannot limit the sandbox's memory and processes: ${e.message}\n` +
      'tvisor: run it with --memory=0 --pids=0 to go without these limits\n');
    process.exit(125);
  }
  if (!cgroup) return undefined;
  process.on('exit', () => {
    const kills = cgroup.oomKills();
    if (kills > 0) {
      process.stderr.write(`tvisor: the sandbox reached its memory limit (--memory ${cgroup.limits.memory} bytes): ` +
        `the kernel killed ${kills} process${kills > 1 ? 'es' : ''}\n`);
    }
    cgroup.remove();
  });
  return cgroup.paths;
}

/** Runs the sandbox process with the spec and exits as it does. */
async function runSandboxProcess(spec: SandboxSpec): Promise<void> {
  if (spec.process.terminal) return runWithTerminal(SANDBOX_MAIN, spec);
  const child = spawn(process.execPath, [SANDBOX_MAIN, JSON.stringify(spec)], { env: { ...process.env, TVISOR_CLI_PID: String(process.pid) }, stdio: 'inherit' });
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  // The terminal's SIGINT/SIGQUIT reach the guests directly (same process group); the CLI just waits.
  process.on('SIGINT', () => {});
  process.on('SIGQUIT', () => {});
  child.on('exit', (code, signal) => process.exit(exitCode(code, signal)));
}

function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return 128 + (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 } as Record<string, number>)[signal] ?? 1);
  return code ?? 125;
}

const program = new Command('tvisor')
  .description('A gVisor-style sandbox: a userspace kernel serves the filesystem of untrusted Linux programs.')
  .version('tvisor version 0.1.0\nspec: 1.2.0', '--version')
  .enablePositionalOptions();

program.command('do')
  .description('run one command sandboxed; the host root is a read-only lower layer under a memory overlay')
  .argument('<command...>', 'the command and its arguments (after --)')
  .option('-v, --volume <HOST:GUEST[:OPTS]>', 'bind a host directory or file (OPTS: ro or rw, the default; rbind, the default, ' +
    'with the host mounts beneath it, or bind, without)', parseVolume, [])
  .option('--cwd <dir>', 'working directory inside the sandbox (default: the current directory, or / with --root)')
  .option('--root <dir>', 'the root filesystem: a host directory, the overlay\'s lower layer instead of the host root', parseRoot)
  .option('--env <K=V>', 'set an environment variable', parseEnv, [])
  .option('--debug-log <file>', 'write the sentry\'s debug log (JSON lines) to file')
  .option('--strace', 'log every trapped system call with its arguments and result')
  .option('-t, --tty', 'give the command a terminal of the sandbox (a pty of its /dev/pts), relayed to this one')
  .addOption(new Option('--memory <size>', 'memory the sandbox\'s processes may use together, tmpfs files included (e.g. 512m, 2g; 0: no limit)')
    .argParser(parseMemory).default(DEFAULT_MEMORY, 'half of RAM'))
  .option('--pids <n>', 'processes and threads the sandbox may have together (0: no limit)', parseCount, DEFAULT_PIDS)
  .action((command: string[], opts: { volume: BindMount[]; cwd?: string; root?: string; env: string[]; debugLog?: string; strace?: boolean;
      tty?: boolean; memory: number; pids: number }) => {
    const env = Object.entries(process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    const overrides = new Map(opts.env.map((e) => [e.slice(0, e.indexOf('=')), e]));
    void runSandboxProcess({
      process: {
        args: command,
        env: [...env.filter((e) => !overrides.has(e.slice(0, e.indexOf('=')))), ...overrides.values()],
        cwd: opts.cwd ?? (opts.root ? '/' : process.cwd()),
        uid: 0,
        gid: 0,
        terminal: opts.tty ?? false,
      },
      startAtBoot: true,
      rootfs: opts.root ?? '/',
      mounts: doMounts(opts.volume),
      debugLog: opts.debugLog ? resolvePath(opts.debugLog) : undefined,
      strace: opts.strace ?? false,
      memory: opts.memory,
      cgroup: limitSandbox({ memory: opts.memory, pids: opts.pids }),
    });
  });

registerRuntime(program);
program.parse();
