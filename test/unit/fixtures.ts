// In-process trees for the unit tests: tmpfs (memfd-backed, no root needed) in a mount namespace.
import { closeSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { afterAll } from 'vitest';
import { SysErr } from '../../sentry/abi/errno.js';
import { O } from '../../sentry/abi/flags.js';
import { rootCreds } from '../../sentry/auth/creds.js';
import { Tmpfs } from '../../sentry/fs/tmpfs/tmpfs.js';
import { EmptyDir } from '../../sentry/host/emptydir.js';
import { NO_TASK } from '../../sentry/vfs/context.js';
import type { Inode, Owner } from '../../sentry/vfs/inode.js';
import { type MountFlags, MountNamespace, type VfsPath } from '../../sentry/vfs/mount.js';
import type { WalkContext } from '../../sentry/vfs/walk.js';

export const ROOT_OWNER: Owner = { uid: 0, gid: 0 };
export const RW: MountFlags = { readonly: false, nosuid: false, nodev: false, noexec: false };

/** The errno `f` fails with (a SysErr's), or 0 if it does not fail. */
export function errnoOf(f: () => unknown): number {
  try { f(); } catch (e) { if (e instanceof SysErr) return e.errno; throw e; }
  return 0;
}

/** Replaces a file's content through an open of the inode (O_TRUNC is the VFS's, above it: the host fd is truncated here). */
export function writeFile(inode: Inode, text: string): void {
  const fd = inode.open(O.WRONLY, NO_TASK);
  try { ftruncateSync(fd, 0); writeSync(fd, text); } finally { closeSync(fd); }
}

/** A file's content (its first 256 bytes) through an open of the inode. */
export function readFile(inode: Inode): string {
  const fd = inode.open(O.RDONLY, NO_TASK);
  try {
    const buf = Buffer.alloc(256);
    return buf.subarray(0, readSync(fd, buf)).toString();
  } finally { closeSync(fd); }
}

let emptyDir: EmptyDir | null = null;
/** One EmptyDir per test file, removed after it. */
export function sharedEmptyDir(): EmptyDir {
  if (!emptyDir) {
    emptyDir = new EmptyDir();
    const mine = emptyDir;
    afterAll(() => { mine.dispose(); emptyDir = null; });
  }
  return emptyDir;
}

export function tmpfs(mode = 0o755): Tmpfs {
  return new Tmpfs(sharedEmptyDir(), mode, ROOT_OWNER);
}

/** A namespace whose root is a fresh tmpfs, and root's walk context in it. */
export function rootedTree(): { fs: Tmpfs; ns: MountNamespace; root: VfsPath; ctx: WalkContext } {
  const fs = tmpfs();
  const ns = new MountNamespace(fs, RW, 'tmpfs');
  const root = { mount: ns.root, inode: ns.root.root };
  return { fs, ns, root, ctx: { ns, root, creds: rootCreds([]), tid: null } };
}

/** Makes `path` (relative, slash-separated) as directories under `dir`; returns the last. */
export function mkdirs(dir: Inode, path: string, mode = 0o755, owner = ROOT_OWNER): Inode {
  let cur = dir;
  for (const name of path.split('/')) cur = cur.mkdir(name, mode, owner);
  return cur;
}
