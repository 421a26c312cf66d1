// A guest's own seccomp filters (allowed, as on Linux) against the sentry's
// mechanisms (docs/design.md, "Guest seccomp filters"): whatever a filter does
// to the fd-injection marker, to the execveat an execve runs as, to the close
// injected after a failed exec, the guest harms only itself and the sentry keeps serving every guest.
// test/c/guestseccomp.c runs one case per filter action in a child and prints
// what became of it.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, HANG_MS, sandboxSh, tvisorDo } from './helpers.js';

let bin: string;
beforeAll(() => { bin = compile('guestseccomp'); });

/** What each case gives in tvisor. */
const IN_TVISOR: Record<string, string> = {
  // The marker is the sentry's: a filter that ends it early makes the exec fail with its errno
  // (ENOSYS when it gives none), or the signal it asked for, or the death.
  'marker-errno': 'execve -1 EPERM',
  'marker-errno0': 'execve -1 ENOSYS',
  'marker-errno512': 'execve -1 512',
  'marker-trap': 'sigsys syscall=0x3ffffff0; execve -1 ENOSYS',
  'marker-kill-thread': 'signal 31',
  'marker-kill-process': 'signal 31',
  // Below the sentry's notification in seccomp's precedence: no effect.
  'marker-trace': 'exec ok',
  // A notification with no listener of the guest's: ENOSYS, as on Linux.
  'marker-user-notif': 'execve -1 ENOSYS',
  'marker-log': 'exec ok',
  'marker-allow': 'exec ok',
  // One listener per filter chain, and the sentry's is there: the kernel refuses a second.
  'new-listener': 'seccomp -1 EBUSY',
  'execve-errno': 'execve -1 EPERM',
  // A guest's RET_TRACE finds no tracer of its own: ENOSYS, as on Linux.
  'execve-trace': 'execve -1 ENOSYS',
  // execve runs as execveat: a filter on execveat refuses the guest's execve.
  'execveat-errno': 'execve -1 EACCES',
  // The SIGSYS comes as a plain signal, re-sent after the injected close (siginfo lost).
  'execveat-trap': 'sigsys syscall=0; execve -1 ENOSYS',
  'execveat-kill': 'signal 31',
  'execveat-trace': 'exec ok',
  'execveat-user-notif': 'execve -1 ENOSYS',
  // The close injected after the failed exec: refused, it leaves the guest its close-on-exec fd.
  'close-errno': 'execve -1 EACCES',
  'close-trap': 'sigsys syscall=0x3; execve -1 EACCES',
  'close-kill': 'signal 31',
  // The sentry injects no prctl into an exec (the program's name is the sentry's to show): a filter
  // on prctl meets only the guest's own calls, as on Linux.
  'prctl-errno': 'exec ok',
  'prctl-trap': 'exec ok',
  'prctl-kill': 'exec ok',
  // The program travels as an fd: with no room for it the exec fails (Linux would exec, then its loader fails).
  'fd-table-full': 'execve -1 EMFILE\nopen after exec: EMFILE',
};

/** The cases where tvisor must give what Linux gives natively. */
const AS_ON_LINUX = ['marker-trace', 'marker-log', 'marker-allow', 'execve-errno', 'execve-trace', 'execveat-trace', 'prctl-errno',
  'prctl-trap', 'prctl-kill'];

function expected(): string {
  return Object.entries(IN_TVISOR).map(([c, out]) => `${c}: ${out}\n`).join('') + 'open after: ok\nexec after: exec ok\n';
}

describe('guest seccomp filters', () => {
  it('harm only the guest that installs them; the sentry serves on', () => {
    const r = tvisorDo([bin]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expected());
    expect(r.status).toBe(0);
  });

  it('give what Linux gives where Linux has the same calls', () => {
    for (const c of AS_ON_LINUX) {
      const native = spawnSync(bin, [c], { encoding: 'utf8', timeout: HANG_MS });
      expect(native.stdout).toBe(`${c}: ${IN_TVISOR[c]}\n`);
    }
  });

  it('leave other guests of the sandbox served while one breaks its exec', () => {
    // Each breaking child makes a trapped call after its failed exec; the siblings keep trapping meanwhile.
    const cases = ['marker-errno', 'marker-trap', 'marker-errno512', 'execveat-errno', 'close-errno'];
    const script = `for c in ${cases.join(' ')}; do ${bin} $c > /tmp/out.$c & done; ` +
      'for i in 1 2 3 4 5 6 7 8 9 10; do cat /etc/hostname >/dev/null || echo cat failed; done; wait; cat /tmp/out.*';
    const r = sandboxSh(script);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe([...cases].sort().map((c) => `${c}: ${IN_TVISOR[c]}\n`).join(''));
    expect(r.status).toBe(0);
    // And the next sandbox starts and runs as ever.
    expect(sandboxSh('echo next').stdout).toBe('next\n');
  });
});
