// `tvisor do -t` under a real terminal (tmux): the guest gets a pty of the
// sandbox's /dev/pts as its controlling terminal, with job control and
// window sizes.
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCommands, HANG_MS, TVISOR } from './helpers.js';

const SESSION = `tvisor-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', SESSION);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the pane shows `re` (the guest's terminal is relayed to it); the bound is for hangs only. */
async function waitFor(re: RegExp, ms = HANG_MS): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen();
    if (re.test(s) || Date.now() > end) return s;
    await sleep(100);
  }
}

describe('tvisor do -t', () => {
  beforeAll(() => {
    ensureCommands({ tmux: 'tmux', script: 'bsdutils', stty: 'coreutils', ps: 'procps', python3: 'python3' });
    tmux('new-session', '-d', '-s', SESSION, '-x', '100', '-y', '40',
      `${process.execPath} ${TVISOR} do -t --cwd / -- /bin/sh -i; echo "exited $?"; sleep 60`);
  });
  afterAll(() => { spawnSync('tmux', ['kill-session', '-t', SESSION]); });

  it('gives a real terminal: tty, stty, window size and SIGWINCH, job control, script, python pty', async () => {
    expect(await waitFor(/^#/m)).toMatch(/^#/m);
    const send = (line: string) => tmux('send-keys', '-t', SESSION, line, 'Enter');
    send('clear; tty; stty size; ps -o pid=,stat=,tty= -p $$');
    let s = await waitFor(/\d+ Ss\+? +pts\/0/);
    expect(s).toMatch(/\/dev\/pts\/0\n40 100\n\s*2 Ss\+? +pts\/0/);

    // A resize reaches the guest's pty as SIGWINCH.
    send('clear; python3 -c "import signal; signal.signal(signal.SIGWINCH, lambda *a: print(\'WINCH\')); print(\'rea\' + \'dy\'); signal.pause()"; stty size');
    await waitFor(/^ready/m);
    await sleep(300);
    tmux('resize-window', '-t', SESSION, '-x', '120', '-y', '30');
    s = await waitFor(/30 120/);
    expect(s).toMatch(/WINCH\n30 120/);

    // ^C interrupts the foreground job only; the shell lives on.
    send('clear; sleep 100');
    await sleep(500);
    tmux('send-keys', '-t', SESSION, 'C-c');
    send('echo after $?');
    s = await waitFor(/after 130/);
    expect(s).toMatch(/after 130/);

    send('clear; script -qc tty /dev/null; python3 -c "import pty, os; print(\'py\', os.ttyname(0))"');
    s = await waitFor(/^py /m);
    expect(s).toMatch(/\/dev\/pts\/1\r?\n/);
    expect(s).toMatch(/^py \/dev\/pts\/0$/m);

    send('exit 3');
    expect(await waitFor(/exited 3/)).toMatch(/exited 3/);
  });
});
