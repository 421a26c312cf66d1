// What the guests changed in the root overlay: Sandbox.changes(),
// exportChanges() (an OCI layer tar) and `tvisor do --diff`.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from 'tvisor';
import { tempDir, tvisorDo } from './helpers.js';

/** pip-install-like work: many new files, renames, deletions of new and old files, a directory replaced. */
const WORK = [
  'mkdir -p /opt/site/pkg/sub',
  'for i in $(seq 1 40); do echo "v = $i" > /opt/site/pkg/m$i.py; done',
  'for i in $(seq 1 5); do echo "# sub $i" > /opt/site/pkg/sub/s$i.py; done',
  'mv /opt/site/pkg/m1.py /opt/site/pkg/first.py',
  'rm /opt/site/pkg/m2.py /opt/site/pkg/sub/s5.py',
  'echo changed > /etc/hostname',
  'rm /etc/issue',
  'mv /etc/issue.net /opt/site/issue.net',
  'rm -rf /etc/apt/apt.conf.d && mkdir /etc/apt/apt.conf.d && echo new > /etc/apt/apt.conf.d/z',
  'ln -s pkg /opt/site/link',
  'touch /tmp/made && rm /tmp/made',
].join(' && ');

describe('changes()', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await Sandbox.create({ limits: { memory: 0, pids: 0 } });
    const r = await sb.exec(['sh', '-c', WORK]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });
  afterAll(async () => { await sb?.close(); });

  it('lists exactly what was created, modified and deleted, parents first', async () => {
    const changes = await sb.changes();
    const pkg = [[1, 'first.py'], ...[...Array(38).keys()].map((i) => [i + 3, `m${i + 3}.py`])]
      .map(([n, name]) => ({ path: `/opt/site/pkg/${name}`, kind: 'created', type: 'file', size: `v = ${n}\n`.length }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    const expected = [
      { path: '/etc', kind: 'modified', type: 'directory', size: 0 },
      { path: '/etc/apt', kind: 'modified', type: 'directory', size: 0 },
      { path: '/etc/apt/apt.conf.d', kind: 'created', type: 'directory', size: 0, opaque: true },
      { path: '/etc/apt/apt.conf.d/z', kind: 'created', type: 'file', size: 4 },
      { path: '/etc/hostname', kind: 'modified', type: 'file', size: 8 },
      { path: '/etc/issue', kind: 'deleted', type: 'file', size: 0 },
      { path: '/etc/issue.net', kind: 'deleted', type: 'file', size: 0 },
      { path: '/opt', kind: 'modified', type: 'directory', size: 0 },
      { path: '/opt/site', kind: 'created', type: 'directory', size: 0 },
      { path: '/opt/site/issue.net', kind: 'created', type: 'file', size: expect.any(Number) },
      { path: '/opt/site/link', kind: 'created', type: 'symlink', size: 3 },
      { path: '/opt/site/pkg', kind: 'created', type: 'directory', size: 0 },
      ...pkg,
      { path: '/opt/site/pkg/sub', kind: 'created', type: 'directory', size: 0 },
      ...[1, 2, 3, 4].map((i) => ({ path: `/opt/site/pkg/sub/s${i}.py`, kind: 'created', type: 'file', size: 8 })),
      { path: '/tmp', kind: 'modified', type: 'directory', size: 0 },
    ];
    expect(changes).toEqual(expected);
  });

  it('exports them as an OCI layer tar, with whiteouts', async () => {
    const tar = join(tempDir('api-changes'), 'layer.tar');
    await sb.exportChanges(tar);
    const names = execFileSync('tar', ['-tf', tar], { encoding: 'utf8' }).trim().split('\n');
    expect(names).toContain('etc/.wh.issue');
    expect(names).toContain('etc/.wh.issue.net');
    expect(names).toContain('etc/apt/apt.conf.d/.wh..wh..opq');
    expect(names).toContain('opt/site/pkg/sub/');
    expect(names.filter((n) => /^opt\/site\/pkg\/[^/]+\.py$/.test(n))).toHaveLength(39);
    expect(names.indexOf('opt/site/pkg/')).toBeLessThan(names.indexOf('opt/site/pkg/first.py'));
    expect(execFileSync('tar', ['-xOf', tar, 'opt/site/pkg/first.py'], { encoding: 'utf8' })).toBe('v = 1\n');
    expect(execFileSync('tar', ['-xOf', tar, 'etc/hostname'], { encoding: 'utf8' })).toBe('changed\n');
    expect(execFileSync('tar', ['-tvf', tar, 'opt/site/link'], { encoding: 'utf8' })).toMatch(/opt\/site\/link -> pkg/);
  });
});

describe('tvisor do --diff', () => {
  it('prints the changes after the command, on stderr', () => {
    const r = tvisorDo(['sh', '-c', 'echo out; echo x > /tmp/diffed; rm /etc/issue'], { flags: ['--diff'] });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('C /etc (directory)\nD /etc/issue (file)\nC /tmp (directory)\nA /tmp/diffed (file, 2 bytes)\n');
  });
});
