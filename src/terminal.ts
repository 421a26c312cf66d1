// `tvisor do -t`: the guest runs on a pty of the sandbox's own /dev/pts; the
// sandbox process hands the pty's master to the CLI, which relays it to the
// user's terminal (in raw mode, so the guest's line discipline does the
// editing, echo and job-control characters) and passes on window sizes.
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import type { SandboxSpec } from '../sentry/boot.js';

/** How long output still in the pty may take to drain once the sandbox ended. */
const DRAIN_MS = 500;

export async function runWithTerminal(main: string, spec: SandboxSpec): Promise<void> {
  const { native } = await import('../native/index.js');
  const pair = new Int32Array(2);
  if (native.socketpair(pair) < 0) throw new Error('tvisor: socketpair failed');
  const child = spawn(process.execPath, [main, JSON.stringify(spec)], { env: { ...process.env, TVISOR_CLI_PID: String(process.pid) }, stdio: ['inherit', 'inherit', 'inherit', pair[1]!] });
  closeSync(pair[1]!);
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) =>
    resolve(signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : code ?? 125)));

  // Blocks until the sandbox has made the pty (or ended: then nothing arrives).
  const fds = new Int32Array(1);
  const nfds = new Int32Array(1);
  const got = native.recv(pair[0]!, new Uint8Array(1), 1, fds, 1, nfds);
  closeSync(pair[0]!);
  if (got <= 0 || nfds[0] !== 1) process.exit(await exited);
  const master = fds[0]!;

  const fromGuest = new ReadStream(master);
  const toGuest = new WriteStream(master);
  const drained = new Promise<void>((resolve) => {
    fromGuest.on('end', resolve);
    // EIO: every slave fd is closed (the sandbox has ended).
    fromGuest.on('error', () => resolve());
  });
  fromGuest.pipe(process.stdout, { end: false });
  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.pipe(toGuest);
  const resize = () => {
    if (process.stdout.isTTY) native.setWinsize(master, process.stdout.rows, process.stdout.columns);
  };
  resize();
  process.stdout.on('resize', resize);

  const code = await exited;
  await Promise.race([drained, new Promise((r) => setTimeout(r, DRAIN_MS))]);
  if (stdin.isTTY) stdin.setRawMode(false);
  process.exit(code);
}
