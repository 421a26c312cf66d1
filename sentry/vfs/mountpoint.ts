// The runtime's mount points: made in the sandbox's tree where missing, as
// runc does (`mkdir -p`, and an empty file for a bind of a file), through
// the same operations as a guest's calls, so symlinks are followed in the
// sandbox's view and never on the host.
import { E, SysErr } from '../abi/errno.js';
import { O } from '../abi/flags.js';
import { isDir } from '../abi/stat.js';
import type { VfsPath } from './mount.js';
import { type Actor, mkdirAt, openAt } from './ops.js';
import { resolve } from './walk.js';

/** What is mounted: a directory tree, or a single file (a mount's root and its mount point are both directories or both not). */
export type MountPointKind = 'dir' | 'file';

/** The entry `name` of `dir`, followed; made by `make` when it does not exist. */
function entry(actor: Actor, dir: VfsPath, name: string, make: () => void): VfsPath {
  try {
    return resolve(actor, dir, name, { followFinal: true });
  } catch (e) {
    if (!(e instanceof SysErr) || e.errno !== E.ENOENT) throw e;
  }
  make();
  return resolve(actor, dir, name, { followFinal: true });
}

/**
 * The place at absolute `path` to mount a `kind` on, made where missing:
 * its directories as mode 0755 and, for a file, an empty file of mode 0755
 * (runc's modes), with the actor's owner and umask. An existing place of
 * the other kind is an error naming it.
 */
export function ensureMountPoint(actor: Actor, path: string, kind: MountPointKind): VfsPath {
  const names = path.split('/').filter((p) => p !== '');
  let cur: VfsPath = actor.root;
  for (const [i, name] of names.entries()) {
    const dir = cur;
    const makeFile = kind === 'file' && i === names.length - 1;
    cur = entry(actor, dir, name, () => {
      if (makeFile) openAt(actor, dir, name, O.CREAT | O.RDONLY, 0o755);
      else mkdirAt(actor, dir, name, 0o755);
    });
  }
  if (isDir(cur.inode.stat().mode) !== (kind === 'dir')) {
    throw new Error(`mount point ${path} is ${kind === 'dir' ? 'not ' : ''}a directory in the sandbox, and the mount's source is ${kind === 'dir' ? 'one' : 'a file'}`);
  }
  return cur;
}
