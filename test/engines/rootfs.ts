// A container root filesystem made at test time from Debian's busybox-static:
// no image is pulled (the machine reaches no registry), and the same tree
// serves podman/ctr (--rootfs DIR) and docker (a tar for `docker import`).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

export interface Rootfs { dir: string; tar: string }

/** Builds `<parent>/rootfs` (busybox, its applets as symlinks, passwd/group, mount points) and `<parent>/rootfs.tar`. */
export function buildBusyboxRootfs(parent: string): Rootfs {
  const dir = join(parent, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'mnt']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const list = spawnSync(BUSYBOX, ['--list'], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`${BUSYBOX} --list failed: ${list.stderr}`);
  for (const applet of list.stdout.split('\n').filter((a) => a && a !== 'busybox')) symlinkSync('busybox', join(dir, 'bin', applet));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  const tar = join(parent, 'rootfs.tar');
  const t = spawnSync('tar', ['-C', dir, '-cf', tar, '.'], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`tar of the rootfs failed: ${t.stderr}`);
  return { dir, tar };
}

/** Points the bundle `tvisor spec` made in `dir` at `rootfs`, its process without a terminal, and lets `edit` change the rest. */
export function editBundle(dir: string, rootfs: string, edit: (config: Record<string, any>) => void): void {
  const path = join(dir, 'config.json');
  const c = JSON.parse(readFileSync(path, 'utf8'));
  c.root.path = rootfs;
  c.process.terminal = false;
  edit(c);
  writeFileSync(path, JSON.stringify(c));
}
