// In-memory volumes of the library API: a memfs Volume of this program,
// mounted in the sandbox (the probe suite runs on one too: the memfs column
// of test/fs-semantics.test.ts).
import { Volume } from 'memfs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from 'tvisor';

describe('memfs volumes', () => {
  const vol = new Volume();
  let sb: Sandbox;
  beforeAll(async () => {
    vol.mkdirSync('/in');
    vol.writeFileSync('/in/hello.txt', 'hello from node\n');
    sb = await Sandbox.create({ volumes: { '/data': vol }, limits: { memory: 0, pids: 0 } });
  });
  afterAll(async () => { await sb?.close(); });

  it('lets the guest read what Node wrote, and Node read what the guest wrote', async () => {
    const r = await sb.exec(['sh', '-c', 'cat /data/in/hello.txt; echo from the guest > /data/out.txt; mkdir /data/made; ln -s out.txt /data/link']);
    expect(r).toMatchObject({ code: 0, stdout: 'hello from node\n', stderr: '' });
    expect(vol.readFileSync('/out.txt', 'utf8')).toBe('from the guest\n');
    expect(vol.statSync('/made').isDirectory()).toBe(true);
    expect(vol.readlinkSync('/link')).toBe('out.txt');
  });

  it('sees Node\'s changes between runs, and the guest\'s appends to a file Node made', async () => {
    vol.writeFileSync('/in/hello.txt', 'changed by node\n');
    expect((await sb.exec(['cat', '/data/in/hello.txt'])).stdout).toBe('changed by node\n');
    expect((await sb.exec(['sh', '-c', 'echo appended >> /data/in/hello.txt'])).code).toBe(0);
    expect(vol.readFileSync('/in/hello.txt', 'utf8')).toBe('changed by node\nappended\n');
  });

  it('serves python3 writing, renaming and deleting there', async () => {
    const script = [
      'import os',
      'os.makedirs("/data/py/pkg", exist_ok=True)',
      'for i in range(50): open(f"/data/py/pkg/m{i}.py", "w").write(f"x = {i}\\n")',
      'os.rename("/data/py/pkg/m0.py", "/data/py/first.py")',
      'os.remove("/data/py/pkg/m1.py")',
      'print(len(os.listdir("/data/py/pkg")), open("/data/py/first.py").read().strip())',
    ].join('\n');
    const r = await sb.exec(['python3', '-c', script]);
    expect(r).toMatchObject({ code: 0, stdout: '48 x = 0\n' });
    expect(vol.readdirSync('/py/pkg').length).toBe(48);
    expect(vol.readFileSync('/py/first.py', 'utf8')).toBe('x = 0\n');
    expect(vol.existsSync('/py/pkg/m1.py')).toBe(false);
  });

  it('keeps Linux\'s rename rules, which memfs alone does not', async () => {
    const r = await sb.exec(['sh', '-c', 'cd /data && mkdir -p r/a r/b && touch r/b/f r/file && ' +
      'mv -T r/a r/b 2>&1 | grep -c "not empty"; mv -T r/file r/a 2>&1 | grep -ci "directory"; ls r']);
    expect(r.stdout).toBe('1\n1\na\nb\nfile\n');
  });

  it('gives a guest\'s open file Linux\'s offsets and sharing (two opens, one file)', async () => {
    const r = await sb.exec(['python3', '-c', [
      'import os',
      'a = os.open("/data/shared", os.O_CREAT | os.O_RDWR, 0o644); b = os.open("/data/shared", os.O_RDWR | os.O_APPEND)',
      'os.write(a, b"0123456789"); os.write(b, b"X"); os.lseek(a, 2, 0); os.write(a, b"ab")',
      'print(os.pread(b, 20, 0).decode(), os.lseek(a, 0, 1), os.fstat(b).st_size)',
    ].join('\n')]);
    expect(r).toMatchObject({ code: 0, stdout: '01ab456789X 4 11\n' });
    expect(vol.readFileSync('/shared', 'utf8')).toBe('01ab456789X');
  });
});

describe('an in-memory volume that stops answering', () => {
  it('is hung up on after goferTimeoutMs: its mount answers EIO, and the sandbox keeps serving the rest', async () => {
    const vol = new Volume();
    vol.writeFileSync('/hang', '');
    // A method that blocks this program's thread (the volume's server runs on it) longer than the deadline.
    const lstatSync = vol.lstatSync.bind(vol);
    const hanging = Object.assign(Object.create(vol), {
      lstatSync: (p: string, ...rest: unknown[]) => {
        if (String(p).endsWith('hang')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
        return (lstatSync as (...a: unknown[]) => ReturnType<typeof lstatSync>)(p, ...rest);
      },
    });
    await expect(Sandbox.create({ goferTimeoutMs: -1 })).rejects.toThrow(TypeError);
    const sb = await Sandbox.create({ volumes: { '/data': hanging }, goferTimeoutMs: 500, limits: { memory: 0, pids: 0 } });
    try {
      const r = await sb.exec(['sh', '-c', 'stat /data/hang; echo "stat $?"; ls /data; echo "ls $?"; echo rest > /tmp/f; cat /tmp/f']);
      expect(r.stdout).toBe('stat 1\nls 2\nrest\n');
      expect(r.stderr).toMatch(/stat: cannot statx? '\/data\/hang': Input\/output error\nls: cannot (open directory|access) '\/data'.*: Input\/output error\n/);
    } finally {
      await sb.close();
    }
  }, 60_000);
});
