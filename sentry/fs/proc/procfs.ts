// proc: the sandbox's processes and system, never the host's. Process state
// comes from the kernel's own proc of the sandbox's pid namespace (see
// sandbox-proc.ts); names, paths, mounts, credentials and file descriptors
// come from the sentry's view. DESIGN.md lists what is served and how.
import type { Kernel } from '../../kernel/kernel.js';
import { allocDev } from '../../vfs/devices.js';
import type { Filesystem, StatFs } from '../../vfs/inode.js';
import { now } from '../../host/clock.js';
import type { EmptyDir } from '../../host/emptydir.js';
import { type Entries, nsTidOf, ProcDir, ProcLink, self } from './nodes.js';
import { processDir, processOf } from './pid.js';
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
   */
  constructor(private readonly kernelOf: () => Kernel, readonly emptyDir: EmptyDir,
      readonly mountable: readonly string[]) {
    this.root = new ProcDir(this, 'root', 0o555, () => this.rootEntries());
  }

  get kernel(): Kernel { return this.kernelOf(); }

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
    for (const pid of this.kernel.proc.pids()) m.set(String(pid), () => processDir(this, processOf(this.kernel, pid)));
    for (const [name, make] of systemEntries(this)) m.set(name, make);
    return m;
  }
}

