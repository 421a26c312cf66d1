// The filesystem types a sandbox can mount, by name (Linux's
// register_filesystem): what boot mounts, and what mount(2) in the sandbox
// may create. Host filesystems never: those reach the sandbox only as the
// gofer's bind mounts.
import type { Container } from '../kernel/container.js';
import { E, SysErr } from '../abi/errno.js';
import type { Kernel } from '../kernel/kernel.js';
import { native, tv } from '../host/native.js';
import type { Filesystem, Owner } from '../vfs/inode.js';
import { DevptsFs } from './dev/devpts.js';
import type { EmptyDir } from '../host/emptydir.js';
import { ProcFs } from './proc/procfs.js';
import { SysFs } from './sys/sysfs.js';
import { Tmpfs } from './tmpfs/tmpfs.js';

/** The types a guest may mount, in /proc/filesystems' words. */
export const MOUNTABLE = ['tmpfs', 'proc', 'sysfs', 'devpts'] as const;

export interface FilesystemContext {
  emptyDir: EmptyDir;
  kernel: () => Kernel;
  /** The sandbox's memory limit in bytes (0: none): a tmpfs's default size is half of it, as Linux's is half of RAM. */
  memoryLimit: number;
}

const PAGE = 4096;

/**
 * A tmpfs's kernel limits: those the mount gives, else half of the
 * sandbox's memory and as many inodes as it has pages (the kernel's own
 * defaults, half of RAM, without a memory limit).
 */
export function tmpfsLimits(memoryLimit: number, given: [string, string][] = []): [string, string][] {
  const has = (k: string) => given.some(([key]) => key === k);
  const defaults: [string, string][] = memoryLimit > 0 ? [
    ...(has('size') || has('nr_blocks') ? [] : [['size', String(Math.floor(memoryLimit / 2))] as [string, string]]),
    ...(has('nr_inodes') ? [] : [['nr_inodes', String(Math.floor(memoryLimit / 2 / PAGE))] as [string, string]]),
  ] : [];
  return [...defaults, ...given];
}

/** tmpfs options as Linux's tmpfs takes them; the size and inode limits go to the kernel instance, which enforces them. */
function tmpfsOptions(data: string): { mode: number; owner: Owner; limits: [string, string][] } {
  let mode = 0o1777;
  const owner: Owner = { uid: 0, gid: 0 };
  const limits: [string, string][] = [];
  for (const opt of data.split(',').filter(Boolean)) {
    const [key, value = ''] = opt.split('=', 2) as [string, string?];
    const num = (re: RegExp, base: number) => {
      if (!re.test(value)) throw new SysErr(E.EINVAL);
      return parseInt(value, base);
    };
    switch (key) {
      case 'mode': mode = num(/^[0-7]+$/, 8) & 0o7777; break;
      case 'uid': owner.uid = num(/^\d+$/, 10); break;
      case 'gid': owner.gid = num(/^\d+$/, 10); break;
      case 'size': case 'nr_blocks': case 'nr_inodes': num(/^\d+[kmgtpe%]?$/i, 10); limits.push([key, value]); break;
      case 'huge': case 'mpol': case 'inode32': case 'inode64': case 'noswap': break;
      default: throw new SysErr(E.EINVAL);
    }
  }
  return { mode, owner, limits };
}

/** A new instance of filesystem type `type`, configured by the mount's data string. */
/** `container`: whose mount it is (a proc shows the processes of the pid namespace it was mounted in). */
export function makeFilesystem(ctx: FilesystemContext, type: string, data: string, container: Container | null = null): Filesystem {
  switch (type) {
    case 'tmpfs': {
      const { mode, owner, limits } = tmpfsOptions(data);
      return new Tmpfs(ctx.emptyDir, mode, owner, tmpfsLimits(container?.memoryLimit || ctx.memoryLimit, limits));
    }
    case 'proc': return new ProcFs(ctx.kernel, ctx.emptyDir, MOUNTABLE, container);
    case 'sysfs': return new SysFs(ctx.emptyDir);
    case 'devpts': return new DevptsFs(tv(native.devptsMount()), ctx.emptyDir);
    default: throw new SysErr(E.ENODEV);
  }
}
