// `tvisor do -t`: the guest runs on a pty of the sandbox's own /dev/pts; the
// run's terminal (its master, which the sandbox hands over on the control
// socket) is relayed to the user's terminal, in raw mode, so the guest's
// line discipline does the editing, echo and job-control characters, with
// the window's size passed on.
import type { Run } from './api/sandbox.js';

/** How long output still in the pty may take to drain once the process ended. */
const DRAIN_MS = 500;

/** Relays the run's terminal to this process's until the run ends and its output has drained. */
export async function relayTerminal(run: Run): Promise<void> {
  try {
    await run.started;
  } catch {
    return;
  }
  const fromGuest = run.stdout!;
  const toGuest = run.stdin!;
  const drained = new Promise<void>((resolve) => fromGuest.on('close', () => resolve()));
  fromGuest.pipe(process.stdout, { end: false });
  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.pipe(toGuest);
  const resize = () => {
    if (process.stdout.isTTY) run.resize(process.stdout.rows, process.stdout.columns);
  };
  resize();
  process.stdout.on('resize', resize);
  try {
    await run.exit;
  } catch { /* the caller reports it */ }
  await Promise.race([drained, new Promise((r) => setTimeout(r, DRAIN_MS))]);
  stdin.unpipe(toGuest);
  if (stdin.isTTY) stdin.setRawMode(false);
}
