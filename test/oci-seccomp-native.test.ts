// OCI seccomp profiles compiled by src/oci/seccomp.ts, loaded by the host kernel with no tvisor
// around: test/c/seccompexec.c installs the program as a container's process does before its
// execve, and runs a command; test/c/syscallprobe.c makes one call and prints what it got.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileSeccomp, seccompFilterFlags } from '../src/oci/seccomp.js';
import { SYSCALLS } from '../sentry/syscalls/numbers.js';
import { compile, ensureCommands, HANG_MS, REPO, tempDir } from './helpers.js';

let installer: string;
let probe: string;
let dir: string;
let work: string;
const docker = JSON.parse(readFileSync(join(REPO, 'test/fixtures/docker-default-seccomp.json'), 'utf8')) as unknown;

beforeAll(() => {
  ensureCommands({ unshare: 'util-linux', mkdir: 'coreutils' });
  installer = compile('seccompexec');
  probe = compile('syscallprobe');
  dir = tempDir('oci-seccomp');
  work = tempDir('oci-seccomp-work');
});

let files = 0;
/** Runs argv under the profile, compiled and installed with the flags it asks for. */
function under(profile: unknown, argv: string[]) {
  const file = join(dir, `filter-${files++}.bpf`);
  writeFileSync(file, compileSeccomp(profile));
  const r = spawnSync(installer, [file, String(seccompFilterFlags(profile)), ...argv], { encoding: 'utf8', timeout: HANG_MS, cwd: work });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** "RESULT ERRNO" of one call made under the profile. */
function call(profile: unknown, name: string, ...args: (number | bigint)[]): string {
  const nr = name.startsWith('0x') ? name : String(SYSCALLS[name]);
  const r = under(profile, [probe, nr, ...args.map((a) => `0x${a.toString(16)}`)]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

describe('Docker\'s default profile, loaded by the kernel', () => {
  it('runs /bin/true and a shell', () => {
    expect(under(docker, ['/bin/true'])).toMatchObject({ status: 0, signal: null, stderr: '' });
    expect(under(docker, ['/bin/sh', '-c', 'echo hello; mkdir made && ls'])).toMatchObject({ status: 0, stdout: 'hello\nmade\n' });
  });

  it('refuses a user namespace: unshare -U gets EPERM', () => {
    const r = under(docker, ['unshare', '-U', 'true']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Operation not permitted');
    expect(call(docker, 'unshare', 0x10000000)).toBe('-1 1');
  });

  it('refuses what Docker blocks with EPERM, and lets the rest through', () => {
    expect(call(docker, 'keyctl', 0, 0xfffffffd)).toBe('-1 1'); // KEYCTL_GET_KEYRING_ID
    expect(call(docker, 'personality', 0x40000)).toBe('-1 1'); // ADDR_NO_RANDOMIZE
    expect(call(docker, 'personality', 0xffffffff)).toBe('0 0'); // a query: allowed
    expect(call(docker, 'socket', 40, 1, 0)).toBe('-1 1'); // AF_VSOCK
    expect(call(docker, 'socket', 1, 1, 0)).toMatch(/^\d+ 0$/); // AF_UNIX
    expect(call(docker, 'clone', 0x10000000 | 17)).toBe('-1 1'); // CLONE_NEWUSER
  });

  it('gives clone3 its errnoRet (ENOSYS), and calls newer than the profile ENOSYS', () => {
    expect(call(docker, 'clone3', 0, 0)).toBe('-1 38');
    expect(call(docker, 'fchmodat2', 0, 0, 0)).toBe('-1 38');
  });
});

describe('custom profiles, loaded by the kernel', () => {
  const allowBut = (rule: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], ...rule }], ...extra });

  it('SCMP_ACT_ERRNO with errnoRet ENOSYS makes mkdir fail with ENOSYS', () => {
    const r = under(allowBut({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 }), ['mkdir', 'nope']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Function not implemented');
  });

  it('SCMP_ACT_KILL_PROCESS kills with SIGSYS', () => {
    const r = under(allowBut({ action: 'SCMP_ACT_KILL_PROCESS' }), ['mkdir', 'nope']);
    expect(r.signal).toBe('SIGSYS');
  });

  it('SCMP_ACT_TRACE without a tracer gives ENOSYS', () => {
    expect(call(allowBut({ action: 'SCMP_ACT_TRACE' }), 'mkdir', 0, 0)).toBe('-1 38');
  });

  it('compares 64-bit arguments as the kernel passes them', () => {
    const p = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpriority'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 1, value: 0x1_00000000, op: 'SCMP_CMP_GE' }] }] };
    expect(call(p, 'getpriority', 0, 0x1_00000000)).toBe('-1 22');
    expect(call(p, 'getpriority', 0, 0xffffffff)).not.toBe('-1 22');
  });

  it('an x32 call is a bad architecture unless SCMP_ARCH_X32 is listed', () => {
    const p = allowBut({ action: 'SCMP_ACT_ERRNO' });
    expect(under(p, [probe, '0x40000027']).signal).toBe('SIGSYS'); // x32 getpid
    const withX32 = { ...p, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'] };
    // Allowed by the filter; then the kernel's answer (ENOSYS without x32 support).
    expect(call(withX32, '0x40000027')).toMatch(/^(\d+ 0|-1 38)$/);
  });

  it('passes the flags the profile asks for to seccomp(2)', () => {
    expect(call(allowBut({ action: 'SCMP_ACT_ERRNO' }, { flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }), 'mkdir', 0, 0)).toBe('-1 1');
  });
});
