// `tvisor do -t`: one sandbox of the library API (src/api), one run of it
// with a terminal this process relays, and its exit status as the
// command's. Without a terminal, `do` runs the sandbox in its own process
// (do.ts).
import { constants as osConstants } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { Sandbox, SandboxError } from './api/sandbox.js';
import { type DoOptions, printChanges } from './do.js';
import { CgroupError } from './cgroup.js';
import { relayTerminal } from './terminal.js';

/** `do -t`: one sandbox, one run (src/api), and its exit status as ours (128 + signal for a signal, 127: not found). */
export async function doRelayed(command: string[], opts: DoOptions): Promise<never> {
  let sandbox: Sandbox;
  try {
    sandbox = await Sandbox.create({
      root: opts.root ?? '/', binds: opts.volume, env: [], limits: { memory: opts.memory, pids: opts.pids },
      strace: opts.strace ?? false, ...(opts.debugLog ? { debugLog: resolvePath(opts.debugLog) } : {}),
      ...(opts.goferTimeout === undefined ? {} : { goferTimeoutMs: opts.goferTimeout }),
    });
  } catch (e) {
    if (e instanceof CgroupError) {
      process.stderr.write(`tvisor: cannot limit the sandbox's memory and processes: ${e.message}\n` +
        'tvisor: run it with --memory=0 --pids=0 to go without these limits\n');
    }
    // Otherwise the sandbox process has said why.
    process.exit(125);
  }
  const env = Object.entries(process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  const tty = opts.tty && process.stdout.isTTY ? { rows: process.stdout.rows, columns: process.stdout.columns } : opts.tty ?? false;
  const run = sandbox.run(command, {
    cwd: opts.cwd ?? (opts.root ? '/' : process.cwd()), env: [...env, ...opts.env], tty,
    stdin: 'inherit', stdout: 'inherit', stderr: 'inherit',
  });
  let ended = false;
  const end = async (code: number): Promise<never> => {
    if (ended) return new Promise<never>(() => {});
    ended = true;
    const kills = sandbox.oomKills();
    await sandbox.close();
    if (kills > 0) {
      process.stderr.write(`tvisor: the sandbox reached its memory limit (--memory ${opts.memory} bytes): ` +
        `the kernel killed ${kills} process${kills > 1 ? 'es' : ''}\n`);
    }
    process.exit(code);
  };
  // SIGTERM and SIGHUP end the sandbox; the terminal's SIGINT/SIGQUIT reach the guests directly (same process group).
  process.on('SIGTERM', () => void end(128 + 15));
  process.on('SIGHUP', () => void end(128 + 1));
  process.on('SIGINT', () => {});
  process.on('SIGQUIT', () => {});
  const relayed = opts.tty ? relayTerminal(run) : Promise.resolve();
  try {
    const exit = await run.exit;
    await relayed;
    if (opts.diff) printChanges(await sandbox.changes());
    return await end(exit.signal ? 128 + osConstants.signals[exit.signal] : exit.code ?? 125);
  } catch (e) {
    process.stderr.write(`tvisor: ${(e as Error).message}\n`);
    return end(e instanceof SandboxError && e.notFound ? 127 : 125);
  }
}
