// tmpcopyup (runc's and crun's extension of OCI tmpfs mounts; podman's
// --read-only mounts /tmp, /run and /var/tmp with it): a new tmpfs starts
// with a copy of the directory it is about to cover. The copy reads the
// covered tree as the container sees it (its overlay over the gofer's root,
// mounts below it crossed, as runc's path walk and crun's openat cross them)
// through the filesystems' own inode operations, and makes each entry with
// the new filesystem's: no host path is ever resolved, and a symlink is
// copied as a link, never followed, so a link in the image cannot lead the
// copy out of the container's tree.
//
// What a copy keeps is runc's (libcontainer's fileutils.CopyDirectory):
// the tree, file content, modes (set-id and sticky bits included), owners,
// symlink targets; not times (the copies are new files) nor xattrs nor hard
// links (each name is a file of its own). The covered directory's own mode
// is the tmpfs root's (mount's `mode=`, see pod.ts), its owner is not.
// Special files are made as crun makes them (mknod of FIFOs, sockets and
// device nodes): runc's copy makes block devices and fails on the other three
// (its type test misses them, and the chown that follows finds no file), an
// accident no engine relies on. A node is as safe in the tmpfs as in the
// image: a FIFO is a new pipe, a socket node reaches nothing, a device opens
// only what the sandbox's device table gives (fs/tmpfs/tmpfs.ts).
//
// The work is bounded by the tmpfs itself: its size= and nr_inodes= are the
// kernel instance's (fs/tmpfs/instance.ts), so a copy bigger than they allow
// fails with ENOSPC, named by the entry it was making.
import { closeSync } from 'node:fs';
import { O } from '../abi/flags.js';
import { nameText } from '../abi/names.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../abi/stat.js';
import { libcCalls, sys } from '../host/native.js';
import { NO_TASK } from './context.js';
import type { Inode } from './inode.js';
import type { MountNamespace, VfsPath } from './mount.js';

/** A copy that failed at `path` (relative to the copied directory, as text). */
export class CopyError extends Error {
  readonly reason: string;
  constructor(readonly path: string, override readonly cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${path}: ${reason}`);
    this.reason = reason;
  }
}

/** Copies the entries of directory `from` (followed into the mounts on them) into the empty directory `to`. */
export function copyTree(ns: MountNamespace, from: VfsPath, to: Inode, path = ''): void {
  for (const { name } of from.inode.readdir(true)) {
    const where = `${path}/${name}`;
    try {
      const child = ns.enter({ mount: from.mount, inode: from.inode.lookup(name) });
      const st = child.inode.stat();
      const owner = { uid: st.uid, gid: st.gid };
      const type = st.mode & S_IFMT;
      if (type === S_IFDIR) {
        copyTree(ns, child, to.mkdir(name, st.mode & 0o7777, owner), where);
      } else if (type === S_IFLNK) {
        to.symlink(name, child.inode.readlink(NO_TASK), owner);
      } else if (type === S_IFREG) {
        copyData(child.inode, to.create(name, st.mode & 0o7777, owner));
      } else {
        to.mknod(name, st.mode, type === S_IFCHR || type === S_IFBLK ? st.rdev : 0, owner);
      }
    } catch (e) {
      throw e instanceof CopyError ? e : new CopyError(nameText(where), e);
    }
  }
}

/**
 * The content of regular file `from` into the empty regular file `to`: to
 * the end of `from` as it reads (runc's io.Copy), or its first `size` bytes
 * (an overlay's copy-up, which knows the size and spares the last call); in
 * the kernel, by sendfile between the two host files the filesystems open.
 */
export function copyData(from: Inode, to: Inode, size = Infinity): void {
  const src = from.open(O.RDONLY, NO_TASK);
  try {
    const dst = to.open(O.WRONLY, NO_TASK);
    try {
      for (let left = size; left > 0;) {
        const n = sys(libcCalls.sendfile(dst, src, null, Math.min(left, 1 << 30)));
        if (n === 0) break;
        left -= n;
      }
    } finally {
      closeSync(dst);
    }
  } finally {
    closeSync(src);
  }
}
