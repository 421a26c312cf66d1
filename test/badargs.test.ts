// A guest's bad pointers and flags get Linux's errno, and the sentry keeps serving.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compile, tempDir, tvisorDo } from './helpers.js';

describe('bad arguments', () => {
  it('get the errno Linux gives and do not stop the sentry', () => {
    const r = tvisorDo([compile('badargs')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe([
      'open NULL: EFAULT', 'open unmapped: EFAULT', 'stat to NULL: EFAULT', 'stat to unmapped: EFAULT',
      'open long path: ENAMETOOLONG', 'creat long name: ENAMETOOLONG', 'mkdir empty: ENOENT',
      'getdents unmapped: EFAULT', 'getdents tiny: EINVAL', 'getdents bad fd: EBADF',
      'openat2 bad resolve: EINVAL', 'openat2 small size: EINVAL', 'renameat2 bad flags: EINVAL',
      'unlinkat bad flags: EINVAL', 'fchmodat2 bad flags: EINVAL', 'statx bad sync: EINVAL',
      'readlink zero size: EINVAL', 'execve unmapped argv: EFAULT', 'getcwd small: ERANGE',
      'afterwards open: ok', 'afterwards write: ok', 'afterwards fstat: ok', 'size 2', '',
    ].join('\n'));
    expect(r.status).toBe(0);
  });

  it('match what the host kernel answers', () => {
    const bin = compile('badargs');
    // Natively its last file is made on the host: in a scratch directory, not in /tmp.
    const native = execFileSync(bin, [tempDir('badargs')], { encoding: 'utf8' });
    expect(tvisorDo([bin]).stdout).toBe(native);
  });
});
