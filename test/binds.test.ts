// `tvisor do -v` of single files (as container engines bind /etc/hosts,
// /etc/resolv.conf, /etc/hostname) and of trees with host mounts beneath
// them (rbind, the default, and bind).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANG_MS, sandboxSh, tempDir, tvisorDo } from './helpers.js';

let dir: string;

beforeAll(() => {
  dir = tempDir('binds');
});

afterAll(() => {
  execFileSync('rm', ['-rf', dir]);
});

describe('tvisor do -v of a single file', () => {
  it('reads and writes the host file, and stat shows it', () => {
    const file = `${dir}/hosts`;
    writeFileSync(file, '127.0.0.1 localhost\n');
    const r = sandboxSh('stat -c "%s %F %a" /etc/hosts && cat /etc/hosts && echo "10.0.0.1 added" >> /etc/hosts && ' +
      'truncate -s 30 /etc/hosts && chmod 600 /etc/hosts && stat -c "%s %a" /etc/hosts && ' +
      'grep " /etc/hosts " /proc/self/mountinfo | cut -d" " -f5,6', { flags: ['-v', `${file}:/etc/hosts`] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('20 regular file 644\n127.0.0.1 localhost\n30 600\n/etc/hosts rw,nosuid,nodev\n');
    expect(r.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('127.0.0.1 localhost\n10.0.0.1 a');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('makes a read-only bind EROFS', () => {
    const file = `${dir}/ro`;
    writeFileSync(file, 'ro\n');
    const r = sandboxSh('cat /ro; echo x >> /ro; truncate -s 0 /ro; chmod 600 /ro; touch /ro; ' +
      'grep " /ro " /proc/self/mountinfo | cut -d" " -f6', { flags: ['-v', `${file}:/ro:ro`] });
    expect(r.stdout).toBe('ro\nro,nosuid,nodev\n');
    expect(r.stderr.match(/Read-only file system/g)).toHaveLength(4);
    expect(readFileSync(file, 'utf8')).toBe('ro\n');
  });

  it('refuses to rename, replace or remove the mount point (EBUSY), and the host file stays', () => {
    const file = `${dir}/busy`;
    writeFileSync(file, 'busy\n');
    const r = sandboxSh('mkdir -p /tmp/t && touch /tmp/t/other && ' +
      'python3 -c \'import os\nfor f in (lambda: os.rename("/tmp/t/f", "/tmp/t/g"), lambda: os.rename("/tmp/t/other", "/tmp/t/f"), ' +
      'lambda: os.unlink("/tmp/t/f")):\n  try: f(); print("done")\n  except OSError as e: print(e.strerror)\n\'; cat /tmp/t/f',
    { flags: ['-v', `${file}:/tmp/t/f`] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Device or resource busy\nDevice or resource busy\nDevice or resource busy\nbusy\n');
    expect(readFileSync(file, 'utf8')).toBe('busy\n');
  });

  it('binds the file a host symlink names, at a guest path made for it, visible only in the sandbox', () => {
    const file = `${dir}/target`;
    writeFileSync(file, 'the target\n');
    symlinkSync('target', `${dir}/link`);
    const r = sandboxSh('cat /new/dirs/bound && stat -c %F /new/dirs/bound /new/dirs && ls /new/dirs',
      { flags: ['-v', `${dir}/link:/new/dirs/bound`] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('the target\nregular file\ndirectory\nbound\n');
    expect(existsSync('/new')).toBe(false);
  });

  it('lets no `..` or symlink lead from the bound file to what lies beside it on the host', () => {
    const inner = `${dir}/inner`;
    mkdirSync(inner);
    writeFileSync(`${inner}/file`, 'bound\n');
    writeFileSync(`${inner}/secret`, 'secret\n');
    const r = sandboxSh('cat /b/../secret; cat /b/..; ls /b/; ln -s /b/.. /tmp/up; cat /tmp/up/secret; ' +
      'cd /b; cat /b/; cat /b/.; grep -r secret /proc/self/mountinfo; cat /b',
    { flags: ['-v', `${inner}/file:/b`] });
    expect(r.stdout).toBe('bound\n');
    expect(r.stdout).not.toMatch(/secret/);
    expect(r.stderr.match(/Not a directory/g)!.length).toBeGreaterThanOrEqual(6);
    expect(r.stderr).not.toMatch(/secret\n/);
  });

  it('binds a host unix socket, which the guest connects to', () => {
    const sock = `${dir}/host.sock`;
    const server = spawn('python3', ['-c', 'import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\n' +
      's.listen(1)\nc, _ = s.accept()\nc.sendall(b"from the host\\n")\nc.close()\n', sock], { stdio: 'ignore' });
    try {
      // Until the server has bound its name (a bound against hangs only, as HANG_MS).
      const nap = new Int32Array(new SharedArrayBuffer(4));
      for (let waited = 0; !existsSync(sock) && waited < HANG_MS; waited += 10) Atomics.wait(nap, 0, 0, 10);
      const r = tvisorDo(['python3', '-c', 'import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect("/run/host.sock")\n' +
        'print(s.recv(100).decode(), end="")'], { flags: ['-v', `${sock}:/run/host.sock`] });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('from the host\n');
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('says which mount point has the wrong kind, and which host paths cannot be bound', () => {
    const file = `${dir}/kind`;
    writeFileSync(file, '');
    const onDir = sandboxSh('true', { flags: ['-v', `${file}:/etc`] });
    expect(onDir.status).not.toBe(0);
    expect(onDir.stderr).toMatch(/mount point \/etc is a directory in the sandbox/);
    const fileDir = `${dir}/a-dir`;
    mkdirSync(fileDir);
    const onFile = sandboxSh('true', { flags: ['-v', `${fileDir}:/etc/passwd`] });
    expect(onFile.status).not.toBe(0);
    expect(onFile.stderr).toMatch(/mount point \/etc\/passwd is not a directory in the sandbox/);
    const device = sandboxSh('true', { flags: ['-v', '/dev/null:/null'] });
    expect(device.status).not.toBe(0);
    expect(device.stderr).toMatch(/\/dev\/null is a device node/);
    const missing = sandboxSh('true', { flags: ['-v', `${dir}/missing:/m`] });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/missing does not exist/);
  });
});

describe('tvisor do -v of a tree with a host mount beneath it', () => {
  it('shows the submount with rbind (the default) and the directory under it with bind', () => {
    const tree = `${dir}/tree`;
    mkdirSync(`${tree}/sub`, { recursive: true });
    writeFileSync(`${tree}/sub/under-the-mount`, '');
    execFileSync('mount', ['-t', 'tmpfs', 'tvisor-test', `${tree}/sub`]);
    try {
      writeFileSync(`${tree}/sub/on-the-tmpfs`, 'tmpfs\n');
      const r = sandboxSh('ls /rec/sub /rbind/sub /bind/sub && echo new > /bind/sub/written-under && cat /rec/sub/on-the-tmpfs',
        { flags: ['-v', `${tree}:/rec`, '-v', `${tree}:/rbind:rw,rbind`, '-v', `${tree}:/bind:bind`] });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('/bind/sub:\nunder-the-mount\n\n/rbind/sub:\non-the-tmpfs\n\n/rec/sub:\non-the-tmpfs\ntmpfs\n');
      expect(existsSync(`${tree}/sub/written-under`)).toBe(false);
    } finally {
      execFileSync('umount', [`${tree}/sub`]);
    }
    // The write through the non-recursive bind went to the directory under the mount.
    expect(readFileSync(`${tree}/sub/written-under`, 'utf8')).toBe('new\n');
  });
});

describe('gofer round trips of a walk on a bind mount', () => {
  /** A gofer request that looks up, lists, reads a symlink or an xattr, or opens in `tree`. */
  const lowerReads = (tree: string) => new RegExp(`gofer (lstat|walkstat|readdir|readlink|getxattr|listxattr|open)\\(\\\\"${tree.slice(1)}`);

  /** The gofer requests --strace shows right before the trapped call matching `call`. */
  function goferTripsBefore(stderr: string, call: RegExp): string[] {
    const lines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; gofer?: string });
    const at = lines.findIndex((l) => call.test(l.msg));
    expect(at).toBeGreaterThan(0);
    const trips: string[] = [];
    for (let i = at - 1; i >= 0 && lines[i]!.gofer; i--) trips.unshift(lines[i]!.msg);
    return trips;
  }

  it('opens /mnt/a/b/file in two (one walk, one open) and stats it in one', () => {
    const tree = `${dir}/trips`;
    mkdirSync(`${tree}/a/b`, { recursive: true });
    writeFileSync(`${tree}/a/b/file`, 'deep\n');
    const r = tvisorDo(['/bin/sh', '-c', 'cat /mnt/a/b/file && stat -c %s /mnt/a/b/file'],
      { flags: ['--strace', '-v', `${tree}:/mnt`] });
    expect(r.stdout).toBe('deep\n5\n');
    expect(goferTripsBefore(r.stderr, /^openat\(AT_FDCWD, "\/mnt\/a\/b\/file", 0x0/))
      .toEqual(['gofer walkstat("")', 'gofer open("a/b/file")']);
    expect(goferTripsBefore(r.stderr, /^(newfstatat|statx)\(AT_FDCWD, "\/mnt\/a\/b\/file"/)).toEqual(['gofer walkstat("")']);
  });

  it('reads the root\'s lower layer without the gofer, and a read-only bind\'s symlink in each call', () => {
    const tree = `${dir}/trips-ro`;
    mkdirSync(`${tree}/dir`, { recursive: true });
    writeFileSync(`${tree}/dir/f`, 'ro\n');
    symlinkSync('dir', `${tree}/link`);
    // The sandbox's root is an overlay over the host's: the sentry reads its lower layer through the
    // directory fds the gofer gave it (sentry/fs/gofer/direct.ts), and caches it for good (overlayfs
    // forbids changing it under the mount).
    const lower = tvisorDo(['/bin/sh', '-c', `cat ${tree}/link/f; cat ${tree}/link/f; ls ${tree}/dir; cat ${tree}/link/f`],
      { flags: ['--strace'] });
    expect(lower.stdout).toBe('ro\nro\nf\nro\n');
    expect(lower.stderr).not.toMatch(lowerReads(tree));
    // A read-only bind is the host's to change while the sandbox runs (test/host-coherency.test.ts): asked again.
    const r = tvisorDo(['/bin/sh', '-c', 'cat /ro/link/f; cat /ro/link/f; cat /ro/link/f'],
      { flags: ['--strace', '-v', `${tree}:/ro:ro`] });
    expect(r.stdout).toBe('ro\nro\nro\n');
    expect(r.stderr.match(/gofer readlink\(\\"link\\"\)/g)).toHaveLength(3);
    expect(r.stderr.match(/gofer open\(\\"dir\/f\\"\)/g)).toHaveLength(3);
  });

  it('leaves the root\'s lower layer unasked and unchanged, however often the sandbox makes and removes a name', () => {
    const tree = `${dir}/trips-absent`;
    mkdirSync(tree, { recursive: true });
    const r = tvisorDo(['/bin/sh', '-c', `cd ${tree} && for i in 1 2 3; do echo x > new; mv new moved; rm moved; mkdir d; rmdir d; done; ` +
      'ls; cat new 2>/dev/null || echo gone'], { flags: ['--strace'] });
    expect(r.stdout).toBe('gone\n');
    // The sentry looks the names up itself (each missing one once: overlayfs leaves a changing lower layer
    // undefined); nothing reached the host tree.
    expect(r.stderr).not.toMatch(lowerReads(tree));
    expect(readdirSync(tree)).toEqual([]);
  });

  it('reads the lower layer\'s extended attributes as the host has them, without the gofer', () => {
    const tree = `${dir}/trips-xattr`;
    mkdirSync(`${tree}/d`, { recursive: true });
    writeFileSync(`${tree}/f`, '');
    symlinkSync('f', `${tree}/l`);
    // A user xattr on a file and a directory, a trusted one on a symlink (user xattrs are refused there), an ACL.
    const show = 'import os, sys\n' +
      'for p in sys.argv[1:]:\n' +
      '  names = sorted(n for n in os.listxattr(p, follow_symlinks=False) if not n.startswith("security."))\n' +
      '  print(p.rsplit("/", 1)[1] or "/", [(n, os.getxattr(p, n, follow_symlinks=False)) for n in names])\n' +
      'try: os.getxattr(sys.argv[1], "user.none", follow_symlinks=False)\n' +
      'except OSError as e: print(e.strerror)\n';
    const set = 'import os, sys\nt = sys.argv[1]\nos.setxattr(t + "/f", "user.k", b"v")\nos.setxattr(t + "/d", "user.d", b"1")\n' +
      'os.setxattr(t + "/l", "trusted.t", b"2", follow_symlinks=False)\n' +
      'os.setxattr(t + "/d", "system.posix_acl_default", bytes.fromhex("0200000001000700ffffffff04000500ffffffff20000500ffffffff"))\n';
    execFileSync('python3', ['-c', set, tree]);
    const paths = ['f', 'd', 'l'].map((n) => `${tree}/${n}`);
    const native = execFileSync('python3', ['-c', show, ...paths], { encoding: 'utf8' });
    expect(native).toMatch(/user\.k/);
    const r = tvisorDo(['/usr/bin/python3', '-c', show, ...paths], { flags: ['--strace'] });
    expect(r.stdout).toBe(native);
    expect(r.stderr).not.toMatch(new RegExp(`gofer (getxattr|listxattr)\\(\\\\"${tree.slice(1)}`));
  });

  it('sees each call\'s changes: a symlink in the path, a missing name then made, a chmod then a stat', () => {
    const tree = `${dir}/trips2`;
    mkdirSync(`${tree}/a/b`, { recursive: true });
    writeFileSync(`${tree}/a/b/file`, 'deep\n');
    symlinkSync('b', `${tree}/a/link`);
    const r = sandboxSh('cat /mnt/a/link/file; cat /mnt/a/b/new 2>/dev/null || echo none; ' +
      'echo made > /mnt/a/b/new && cat /mnt/a/b/new && chmod 600 /mnt/a/b/new && stat -c %a /mnt/a/b/new && ' +
      'mkdir /mnt/a/b/c && touch /mnt/a/b/c/d && ls /mnt/a/b/c', { flags: ['-v', `${tree}:/mnt`] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('deep\nnone\nmade\n600\nd\n');
    expect(statSync(`${tree}/a/b/new`).mode & 0o777).toBe(0o600);
  });
});
