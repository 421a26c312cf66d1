// The tvisor command line. What only `do` needs (the library API, the
// terminal relay) is loaded by `do`: the runtime's commands, which engines
// call for every container, start without it (docs/design.md, "Pods").
import { existsSync, realpathSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { InvalidArgumentError, Option } from 'commander';
import type { Bind } from './api/spec.js';
import { parseSize } from './cgroup.js';
import type { DoOptions } from './do.js';
import { goferTimeoutOption, newProgram, registerRuntime } from './oci/commands.js';

/** Defaults of `do`'s limits: as Linux's tmpfs defaults to half of RAM, the sandbox's memory is half of RAM. */
const DEFAULT_MEMORY = Math.floor(totalmem() / 2);
const DEFAULT_PIDS = 4096;

/**
 * -v HOST:GUEST[:OPTIONS]: OPTIONS is a comma-separated list of ro or rw and
 * rbind (the default: with the host mounts beneath HOST) or bind (without
 * them), as podman takes them. HOST is a directory or a file; a symlink is
 * resolved on the host first, as docker does, so the sandbox gets what it
 * names now.
 */
function parseVolume(value: string, previous: Bind[]): Bind[] {
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

const program = newProgram();

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
  .option('--diff', 'after the command, list on stderr what it changed in the overlay (A added, C changed, D deleted)')
  .option('-t, --tty', 'give the command a terminal of the sandbox (a pty of its /dev/pts), relayed to this one')
  .addOption(new Option('--memory <size>', 'memory the sandbox\'s processes may use together, tmpfs files included (e.g. 512m, 2g; 0: no limit)')
    .argParser(parseMemory).default(DEFAULT_MEMORY, 'half of RAM'))
  .option('--pids <n>', 'processes and threads the sandbox may have together (0: no limit)', parseCount, DEFAULT_PIDS)
  .addOption(goferTimeoutOption())
  .action(async (command: string[], opts: DoOptions) => (await import('./do.js')).doCommand(command, opts));

registerRuntime(program);
program.parse();
