// A guest's bad pointers and flags get Linux's errno, and the sentry keeps serving.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, hostSh, sandboxSh, tempDir, tvisorDo } from './helpers.js';

/**
 * An ELF whose one segment lies past the end of user space: the kernel finds out only once the caller's image is
 * gone (past exec's point of no return), and kills it with SIGSEGV.
 */
function unloadableElf(path: string): void {
  const at = 0x8000_0000_0000n;
  const header = Buffer.alloc(64);
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(0x3e, 18); // x86-64
  header.writeUInt32LE(1, 20);
  header.writeBigUInt64LE(at + 120n, 24); // entry
  header.writeBigUInt64LE(64n, 32); // program headers
  header.writeUInt16LE(64, 52);
  header.writeUInt16LE(56, 54);
  header.writeUInt16LE(1, 56);
  const load = Buffer.alloc(56);
  load.writeUInt32LE(1, 0); // PT_LOAD
  load.writeUInt32LE(5, 4); // R+X
  load.writeBigUInt64LE(at, 16);
  load.writeBigUInt64LE(at, 24);
  load.writeBigUInt64LE(120n, 32);
  load.writeBigUInt64LE(120n, 40);
  load.writeBigUInt64LE(0x1000n, 48);
  writeFileSync(path, Buffer.concat([header, load]), { mode: 0o755 });
}

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

  it('an exec that fails past its point of no return kills the caller with SIGSEGV, and the sandbox serves on', () => {
    // The sentry held the fault back while it followed the exec to its end, and the task faulted again for ever.
    const program = join(tempDir('unloadable'), 'program');
    unloadableElf(program);
    const script = `${program}; echo status $?; echo after`;
    const expected = 'status 139\nafter\n';
    expect(hostSh(script).stdout).toBe(expected);
    expect(sandboxSh(script, { timeoutMs: 60_000 })).toMatchObject({ status: 0, stdout: expected });
  });

  it('match what the host kernel answers', () => {
    const bin = compile('badargs');
    // Natively its last file is made on the host: in a scratch directory, not in /tmp.
    const native = execFileSync(bin, [tempDir('badargs')], { encoding: 'utf8' });
    expect(tvisorDo([bin]).stdout).toBe(native);
  });
});
