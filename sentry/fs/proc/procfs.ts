// proc: the sandbox's processes and system, never the host's. Process state
// comes from the kernel's own proc of the sandbox's pid namespace (see
// sandbox-proc.ts); names, paths, mounts, credentials and file descriptors
// come from the sentry's view. DESIGN.md lists what is served and how.
import type { Kernel } from '../../kernel/kernel.js';
import type { Container } from '../../kernel/container.js';
import type { ThreadGroup } from '../../kernel/task.js';
import type { VfsPath } from '../../vfs/mount.js';
import { allocDev } from '../../vfs/devices.js';
import type { Filesystem, StatFs } from '../../vfs/inode.js';
import { now } from '../../host/clock.js';
import type { EmptyDir } from '../../host/emptydir.js';
import { type Entries, nsTidOf, ProcDir, ProcLink, self } from './nodes.js';
import { processDir, processOf, type ProcessRef } from './pid.js';
import { systemEntries } from './system.js';

const PROC_SUPER_MAGIC = 0x9fa0;

export class ProcFs implements Filesystem {
  readonly name = 'proc';
  readonly dev = allocDev();
  readonly readonly = false;
  readonly root: ProcDir;
  private readonly inos = new Map<string, number>();
  private readonly bootTime = now();

  /**
   * The kernel is known once the first guest runs; proc is mounted before
   * that. `mountable`: the filesystem types /proc/filesystems lists.
   * `container`: the container it was mounted for; it lists the processes
   * of that container's pid namespace (its own, or the pod's it shares)
   * and no other, so no path through proc (root, cwd, fd links) leads into
   * another container's tree.
   */
  constructor(private readonly kernelOf: () => Kernel, readonly emptyDir: EmptyDir,
      readonly mountable: readonly string[], readonly container: Container | null = null) {
    this.root = new ProcDir(this, 'root', 0o555, () => this.rootEntries());
  }

  get kernel(): Kernel { return this.kernelOf(); }

  /** Is the process (null: the sandbox's init, pid 1 of every view) in this proc's pid namespace? */
  shows(tg: ThreadGroup | null): boolean {
    if (!tg || !this.container) return true;
    return tg.container?.pidGroup === this.container.pidGroup;
  }

  /** What init's root and cwd links lead to: the root of the container the proc is mounted for. */
  get initRoot(): VfsPath { return this.container?.root ?? this.kernel.rootView().root; }

  ino(key: string): number {
    let n = this.inos.get(key);
    if (n === undefined) { n = this.inos.size + 1; this.inos.set(key, n); }
    return n;
  }

  get time() { return this.bootTime; }

  statfs(): StatFs {
    return { type: PROC_SUPER_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0,
      namelen: 255, frsize: 4096, flags: 0x20 | 0x2 | 0x4 | 0x8 };
  }

  private rootEntries(): Entries {
    const m: Entries = new Map();
    m.set('self', () => new ProcLink(this, 'self', (ctx) => String(self(this, ctx).tg.nsPid)));
    m.set('thread-self', () => new ProcLink(this, 'thread-self', (ctx) => {
      const t = self(this, ctx);
      return `${t.tg.nsPid}/task/${nsTidOf(t)}`;
    }));
    for (const pid of this.kernel.proc.pids()) {
      let p: ProcessRef;
      try { p = processOf(this.kernel, pid); } catch { continue; /* ended meanwhile, or not (yet) the sentry's */ }
      if (this.shows(p.tg)) m.set(String(pid), () => processDir(this, p));
    }
    for (const [name, make] of systemEntries(this)) m.set(name, make);
    return m;
  }
}

