// The host directories that stand behind guest descriptions of sandbox directories.
import { chmodSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { O } from '../abi/flags.js';
import { FILE_STATUS_FLAGS, host } from './fd.js';
import { removeEmptyDirTree, removeStaleEmptyDirs, SHM } from './shm.js';

/**
 * Empty, read-only host directories. A guest fd for a sandbox directory is
 * an open file description of one: `read` gives EISDIR as it should, and its
 * file position holds the guest's getdents cursor, so lseek/telldir/rewinddir
 * run natively. Everything else on it is trapped. Each sandbox directory gets
 * its own host directory (made on its first open, kept until the sandbox
 * ends), so that flock and record locks, which the host kernel keeps per
 * inode, tell two sandbox directories apart.
 */
export class EmptyDir {
  readonly path: string;
  private readonly perDir = new WeakMap<object, string>();
  private made = 0;
  /** The other way round, for a guest's description of one that the sentry has to know again (FileRegistry.adopt). */
  private readonly byPath = new Map<string, WeakRef<object>>();
  constructor() {
    removeStaleEmptyDirs();
    this.path = mkdtempSync(`${SHM}/tvisor-dir-${process.pid}-`);
    chmodSync(this.path, 0o555);
  }
  /**
   * A description of the host directory of sandbox directory `dir`, with the
   * guest's status flags (and O_DIRECTORY, which F_GETFL shows).
   */
  openFor(dir: object, flags: number): number {
    let path = this.perDir.get(dir);
    if (!path) {
      path = `${this.path}/${this.made++}`;
      host(() => mkdirSync(path!, 0o555));
      this.perDir.set(dir, path);
      this.byPath.set(path, new WeakRef(dir));
    }
    return openEmpty(path, flags);
  }
  /** The sandbox directory whose host directory is at `hostPath` (as /proc/self/fd names it), if it is alive. */
  dirAt(hostPath: string): object | null {
    return this.byPath.get(hostPath)?.deref() ?? null;
  }
  /** A description of an empty directory that stands for no sandbox directory in particular. */
  open(flags: number): number {
    return openEmpty(this.path, flags);
  }
  /**
   * The host object of every O_PATH description: an O_PATH fd (with the
   * guest's O_DIRECTORY and O_NOFOLLOW, which F_GETFL shows) of the empty
   * directory. Every call that needs an open file fails on it natively with
   * EBADF, as on Linux; the calls an O_PATH fd allows are trapped and served
   * from the description's sandbox place.
   */
  openPath(flags: number): number {
    return host(() => openSync(this.path, O.PATH | (flags & (O.DIRECTORY | O.NOFOLLOW)) | O.CLOEXEC));
  }
  dispose(): void {
    removeEmptyDirTree(this.path);
  }
}

function openEmpty(path: string, flags: number): number {
  const kept = flags & (FILE_STATUS_FLAGS & ~O.ACCMODE | O.DIRECTORY);
  return host(() => openSync(path, O.RDONLY | kept | O.CLOEXEC));
}

