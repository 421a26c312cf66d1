// The sandbox process: the sentry serving one sandbox. Started by the CLI
// with the sandbox's spec as JSON in argv[2]; exits as the guest's main
// process did (128 + signal for a signal). The gofer is started first, so
// that its start-up overlaps the loading of the sentry.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { goferAttaches, spawnGofer } from '../sentry/fs/gofer/spawn.js';
import type { SandboxSpec } from '../sentry/boot.js';
import { libcCalls, native } from '../native/index.js';

// The sandbox lives no longer than the CLI that runs it: orphaned, it would
// serve on with no one to see its end (and a killed CLI was no reason to stop).
const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
const cli = Number(process.env.TVISOR_CLI_PID);
libcCalls.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
if (process.ppid !== cli) process.exit(125);

/** With -t the CLI passes a socket as fd 3 and relays the pty's master (sent over it) to the user's terminal. */
const TERMINAL_SOCKET = 3;

function handTerminalToCli(master: number): void {
  const r = native.send(TERMINAL_SOCKET, new Uint8Array([1]), 1, Int32Array.of(master), 1);
  if (r < 0) throw new Error(`handing the terminal to the CLI: errno ${-r}`);
}

const spec = JSON.parse(process.argv[2] ?? '{}') as SandboxSpec;
const RLIMIT_NOFILE = 7;

/**
 * The sentry holds an fd per open description of its guests (and the
 * gofer's fds while it serves them): its soft limit on fds goes up to the
 * hard one. The guests inherit it, as they could raise it themselves.
 */
function raiseFdLimit(): void {
  const limit = new BigUint64Array(2);
  if (libcCalls.prlimit(0, RLIMIT_NOFILE, null, limit) < 0) throw new Error('getting RLIMIT_NOFILE');
  if (limit[0] === limit[1]) return;
  limit[0] = limit[1]!;
  if (libcCalls.prlimit(0, RLIMIT_NOFILE, limit, null) < 0) throw new Error('raising RLIMIT_NOFILE');
}

/** Joins the sandbox's cgroup (before the gofer starts, so it is in it too); opens the guests' for init. */
function enterCgroup(): number[] {
  if (!spec.cgroup) return [];
  for (const procs of spec.cgroup.sentryProcs) writeFileSync(procs, String(process.pid));
  return spec.cgroup.guestProcs.map((procs) => openSync(procs, 'w'));
}

let boot: typeof import('../sentry/boot.js') | undefined;
let status;
let guestCgroups: number[] = [];
try {
  raiseFdLimit();
  guestCgroups = enterCgroup();
  const gofer = spawnGofer(goferAttaches(spec));
  const [sentry, { openLog }] = await Promise.all([import('../sentry/boot.js'), import('../sentry/log.js')]);
  boot = sentry;
  status = sentry.runSandbox(spec, gofer, await openLog(spec), { guestCgroups, ...(spec.tty ? { terminal: handTerminalToCli } : {}) });
} catch (e) {
  process.stderr.write(`tvisor: ${(e as Error).message}\n`);
  if (process.env.TVISOR_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(boot && e instanceof boot.CommandNotFound ? 127 : 125);
}
for (const fd of guestCgroups) closeSync(fd);
process.exit('code' in status ? status.code : 128 + status.signal);
