// The sentry's one mount tree for a pod (runsc's boot/fs.go does the same):
// its root is a small tmpfs that no guest sees, holding the hidden
// directory; each container's root filesystem (an overlay over what its
// own gofer serves) is mounted at /__tvisor_containers__/<id>, with the
// container's mounts on it, and is the root of every task of the container.
// A walk never goes above a task's root, so no container reaches the hidden
// directory or another container's root. A sandbox of one container (`do`,
// an OCI container outside a pod) is a pod of one.
//
// Volumes: the same host source bound into several containers is one
// filesystem in the sentry (writes seen at once, locks between containers
// on one file), served by the gofer of the first container that bound it,
// which then lives while any container uses it. Volumes the pod declares
// (the dev.gvisor.spec.mount.* hints) are served by the sandbox's own gofer,
// or are one sentry tmpfs for type tmpfs.
import { GoferClient } from './fs/gofer/client.js';
import { GoferFs } from './fs/gofer/fs.js';
import type { GoferProcess } from './fs/gofer/spawn.js';
import type { EmptyDir } from './host/emptydir.js';
import { Overlay } from './fs/overlay/overlay.js';
import { populateDev } from './fs/dev/devices.js';
import type { DevptsFs } from './fs/dev/devpts.js';
import { tmpfsLimits } from './fs/filesystems.js';
import { Tmpfs } from './fs/tmpfs/tmpfs.js';
import { rootCreds } from './auth/creds.js';
import { E, SysErr } from './abi/errno.js';
import { isDir } from './abi/stat.js';
import { textName } from './abi/names.js';
import type { Filesystem } from './vfs/inode.js';
import { type MountFlags, MountNamespace, type VfsPath } from './vfs/mount.js';
import { parseMountOptions } from './vfs/mountopts.js';
import { type Actor, mkdirAt } from './vfs/ops.js';
import { ensureMountPoint } from './vfs/mountpoint.js';
import { CopyError, copyTree } from './vfs/copytree.js';
import { resolve } from './vfs/walk.js';
import { Container, CONTAINERS_DIR, type GoferRef } from './kernel/container.js';
import type { Log } from './log.js';

/** A mount of a container's tree, in the OCI config's terms. */
export interface MountSpec {
  destination: string;
  /** bind (a host path, served by the gofer), tmpfs, proc, sysfs, devpts, mqueue, cgroup. */
  type: string;
  /** For a bind: the host path. */
  source?: string;
  /**
   * For a bind: served by a gofer already connected on this fd of the
   * sandbox process (its attach 0), instead of the sandbox's own gofer
   * serving `source` (the library API's in-memory volumes, src/api/volume.ts).
   */
  goferSocket?: number;
  options: string[];
}

/** A volume of the pod (a mount hint with share pod or shared): one filesystem for every container that binds its source. */
export interface VolumeSpec { name: string; source: string; type: 'bind' | 'tmpfs'; options: string[] }

/** One container's filesystem view (its first process is the control layer's: control/process.ts). */
export interface ContainerSpec {
  /** Host directory served read-only as the lower layer of the root overlay. */
  rootfs: string;
  /** The root mount is read-only (EROFS) for the guests. */
  rootReadonly?: boolean;
  /** Mounted in order over the root, after the container's own /dev. */
  mounts: MountSpec[];
  /** Made unreadable: an empty read-only directory or /dev/null over each (absent paths are skipped). */
  maskedPaths?: string[];
  /** Made read-only (absent paths are skipped). */
  readonlyPaths?: string[];
  /**
   * Its memory limit in bytes (0 or absent: the sandbox's): its root's
   * upper layer and its tmpfs mounts default to half of it, as they do to
   * half of the sandbox's, so that copy-ups into its root (which the sentry
   * writes, outside the container's cgroup) stay within its share.
   */
  memory?: number;
}

const RW: MountFlags = { readonly: false, nosuid: false, nodev: false, noexec: false };
const RO: MountFlags = { ...RW, readonly: true };

/** The mounts every container has: a /dev of its own (with the default devices) and its devpts. */
const DEV_MOUNTS: MountSpec[] = [
  { destination: '/dev', type: 'tmpfs', options: ['nosuid', 'noexec', 'mode=755'] },
  { destination: '/dev/pts', type: 'devpts', options: ['nosuid', 'noexec'] },
];

export interface PodOptions {
  emptyDir: EmptyDir;
  log: Log;
  /** The guests' memory limit (tmpfs sizes default to half of it). */
  memory: number;
  /** A new filesystem of a type a container may mount. */
  makeFs: (type: string, data: string, container: Container | null) => Filesystem;
  /** Run when the sandbox ends: the clients of gofers the sandbox process was handed (MountSpec.goferSocket). */
  closers: (() => void)[];
  /** How long a gofer request may wait for its answer (GoferDeadline). */
  goferDeadlineMs: number;
}

/** The place at `path` in `actor`'s view, or null when nothing is there. */
export function lookup(actor: Actor, path: string): VfsPath | null {
  try {
    return resolve(actor, actor.root, path, { followFinal: true });
  } catch (e) {
    if (e instanceof SysErr && (e.errno === E.ENOENT || e.errno === E.ENOTDIR)) return null;
    throw e;
  }
}

/**
 * tmpcopyup: the new tmpfs gets a copy of the directory `at` it is to cover
 * (vfs/copytree.ts). A copy that fails (a tmpfs too small for it) fails the
 * container's start with a message naming the mount and the entry, and
 * gives the tmpfs's memory back at once.
 */
function copyUpInto(ns: MountNamespace, at: VfsPath, fs: Tmpfs, destination: string): void {
  try {
    copyTree(ns, at, fs.root);
  } catch (e) {
    fs.release();
    if (!(e instanceof CopyError)) throw e;
    const full = e.cause instanceof SysErr && e.cause.errno === E.ENOSPC ? ' (the tmpfs is too small for the copy: see its size= and nr_inodes=)' : '';
    throw new Error(`the tmpfs at ${destination}: tmpcopyup of ${destination.replace(/\/+$/, '')}${e.path}: ${e.reason}${full}`);
  }
}

/** A tmpfs over an existing directory takes its mode unless the mount gives one, as runc mounts it. */
function withModeOf(covered: VfsPath | null, data: string): string {
  if (!covered) return data;
  const mode = `mode=${(covered.inode.stat().mode & 0o7777).toString(8).padStart(4, '0')}`;
  return data ? `${mode},${data}` : mode;
}

/** The sentry's own work on a container's tree (as root, in that container's view). */
function actorIn(ns: MountNamespace, root: VfsPath): Actor {
  return { ns, root, creds: rootCreds(), tid: null, umask: 0 };
}

export class Pod {
  readonly ns: MountNamespace;
  /** The root of the sentry's tree: init's, and no container's. */
  readonly top: VfsPath;
  private readonly hidden: VfsPath;
  /** Shared volumes by host source (and how it is served: read-only, recursive). */
  private readonly volumes = new Map<string, { fs: Filesystem; gofer: GoferRef | null }>();

  constructor(private readonly o: PodOptions) {
    const top = new Tmpfs(o.emptyDir, 0o755, { uid: 0, gid: 0 }, tmpfsLimits(0));
    this.ns = new MountNamespace(top, RW, 'none');
    this.top = { mount: this.ns.root, inode: this.ns.root.root };
    this.hidden = mkdirAt(actorIn(this.ns, this.top), this.top, CONTAINERS_DIR, 0o700);
  }

  /** The empty directory of container `id` in the hidden one (left by a deleted container of that id, or made). */
  private placeOf(id: string): VfsPath {
    const actor = actorIn(this.ns, this.top);
    const found = lookup(actor, `/${CONTAINERS_DIR}/${id}`);
    if (found && this.ns.mountedOn(found)) throw new SysErr(E.EEXIST, `container ${id}`);
    return found ?? mkdirAt(actor, this.hidden, id, 0o700);
  }

  /** The volumes the pod declares, served by the sandbox's gofer from attach `firstAttach` on (binds) or by a sentry tmpfs. */
  addVolumes(volumes: VolumeSpec[], gofer: GoferRef, firstAttach: number): void {
    let attach = firstAttach;
    for (const v of volumes) {
      const fs = v.type === 'tmpfs' ? this.o.makeFs('tmpfs', 'mode=1777', null)
        : new GoferFs(gofer.client, attach++, false, this.o.emptyDir);
      // Whatever a container's bind of the source asks (read-only, recursive): the pod's one filesystem.
      for (const readonly of [false, true]) {
        for (const recursive of [false, true]) {
          this.volumes.set(volumeKey(v.source, readonly, recursive), { fs, gofer: v.type === 'tmpfs' ? null : gofer });
        }
      }
    }
  }

  /**
   * Mounts container `id`'s root under the hidden directory and its mounts
   * on it; `gofer` serves its root (attach 0) and its binds (attaches 1…,
   * in order). With `terminal`, its /dev/console is that pty of its devpts.
   */
  mountContainer(id: string, spec: ContainerSpec, gofer: GoferRef, pidGroup: string,
      terminal: (devpts: DevptsFs) => { index: number } | null): { container: Container; terminal: { index: number } | null } {
    if (!/^[\w+.-]+$/.test(id) || id === '.' || id === '..') throw new SysErr(E.EINVAL, `container id ${id}`);
    const { emptyDir, makeFs } = this.o;
    const lower = new GoferFs(gofer.client, 0, true, emptyDir);
    const lowerRoot = lower.root.stat();
    const upper = new Tmpfs(emptyDir, lowerRoot.mode & 0o7777, { uid: lowerRoot.uid, gid: lowerRoot.gid },
      tmpfsLimits(spec.memory || this.o.memory));
    const overlay = new Overlay(upper, lower.root);
    const at = this.placeOf(id);
    const rootMount = this.ns.mount(at, overlay, overlay.root, RW, 'overlay');
    const root: VfsPath = { mount: rootMount, inode: overlay.root };
    const devpts = makeFs('devpts', '', null) as DevptsFs;
    const container = new Container(id, root, pidGroup, devpts);
    container.memoryLimit = spec.memory ?? 0;
    container.gofers.add(gofer);
    gofer.users.add(container);
    const actor = actorIn(this.ns, root);
    const tty = terminal(devpts);
    try {
      let attach = 1;
      let hasDev = false;
      const mountOne = (m: MountSpec) => {
        const opts = parseMountOptions(m.type, m.options);
        let fs: Filesystem;
        let flags = opts.flags;
        // The spec's paths are text; the sandbox's names are bytes (abi/names.ts).
        const destination = textName(m.destination);
        let source = textName(m.source ?? m.type);
        switch (m.type) {
          case 'bind': {
            if (m.goferSocket !== undefined) {
              // Its server is the library's host program, not a process of the sandbox: given up on, it is only hung up on.
              const stalled = () => this.o.log.error({ destination: m.destination }, 'an in-memory volume did not answer in time: hung up');
              const client = new GoferClient(m.goferSocket, { ms: this.o.goferDeadlineMs, stalled });
              this.o.closers.push(() => client.close());
              // An in-memory volume (src/api/volume.ts): its open files are memfds holding copies.
              fs = new GoferFs(client, 0, opts.flags.readonly, emptyDir, false);
              flags = { ...flags, nosuid: true, nodev: true };
              source = 'none';
              break;
            }
            const index = attach++;
            const key = volumeKey(m.source!, opts.flags.readonly, m.options.includes('rbind'));
            let shared = this.volumes.get(key);
            if (!shared) {
              shared = { fs: new GoferFs(gofer.client, index, opts.flags.readonly, emptyDir), gofer };
              this.volumes.set(key, shared);
            }
            fs = shared.fs;
            if (shared.gofer) { container.gofers.add(shared.gofer); shared.gofer.users.add(container); }
            // Served nosuid,nodev by the gofer; its source is a host path, not told.
            flags = { ...flags, nosuid: true, nodev: true };
            source = 'none';
            break;
          }
          case 'devpts': fs = devpts; break;
          case 'mqueue': case 'cgroup': case 'cgroup2':
            // Known gap (docs/design.md): POSIX queues and cgroups are the host's, shown nowhere in the sandbox.
            this.o.log.warn({ destination: m.destination, type: m.type }, 'mounted as an empty read-only directory');
            fs = makeFs('tmpfs', 'mode=555', container);
            flags = { ...flags, readonly: true };
            break;
          case 'tmpfs':
            fs = makeFs(m.type, withModeOf(lookup(actor, destination), opts.data), container);
            break;
          default:
            fs = makeFs(m.type, opts.data, container);
        }
        if (m.destination === '/dev' && !(fs instanceof Tmpfs)) throw new Error('/dev must be a tmpfs in the sandbox');
        const at = ensureMountPoint(actor, destination, isDir(fs.root.stat().mode) ? 'dir' : 'file');
        if (opts.copyUp) copyUpInto(this.ns, at, fs as Tmpfs, m.destination);
        const mount = this.ns.mount(at, fs, fs.root, flags, source);
        if (m.destination === '/dev') {
          // The default devices, as runc makes them in the container's /dev, before anything is mounted in it.
          populateDev(actor, { mount, inode: fs.root }, tty ? `pts/${tty.index}` : null);
          hasDev = true;
        }
      };
      const explicit = new Set(spec.mounts.map((m) => m.destination));
      for (const m of DEV_MOUNTS) if (!explicit.has(m.destination)) mountOne(m);
      for (const m of spec.mounts) mountOne(m);
      if (!hasDev) throw new Error('the sandbox has no /dev');
    } catch (e) {
      this.unmountContainer(container);
      throw e;
    }
    return { container, terminal: tty };
  }

  /**
   * The container's masked and read-only paths, its read-only root, and the
   * lock on the runtime's mounts (no guest unmounts or loosens them). After
   * the kernel exists: proc's entries are the kernel's.
   */
  sealContainer(c: Container, spec: ContainerSpec): void {
    const actor = actorIn(this.ns, c.root);
    for (const path of spec.maskedPaths ?? []) {
      const at = lookup(actor, textName(path));
      if (!at) continue;
      if (isDir(at.inode.stat().mode)) {
        const empty = this.o.makeFs('tmpfs', 'mode=555', c);
        this.ns.mount(at, empty, empty.root, RO, 'tmpfs');
      } else {
        this.ns.bind(lookup(actor, '/dev/null')!, at, RO, false);
      }
    }
    for (const path of spec.readonlyPaths ?? []) {
      const at = lookup(actor, textName(path));
      if (at) this.ns.bind(at, at, { ...at.mount.flags, readonly: true }, true);
    }
    if (spec.rootReadonly) c.rootMount.flags = { ...c.rootMount.flags, readonly: true };
    for (const m of this.ns.all()) if (isWithin(m, c.rootMount)) m.lock();
  }

  /**
   * Takes the container's tree out of the sentry's (its processes are gone
   * or going); returns the gofers no container uses any more, for the
   * caller to stop.
   */
  unmountContainer(c: Container): GoferRef[] {
    if (c.rootMount.parent) this.ns.umount(c.rootMount, true);
    c.devpts.dispose();
    const unused: GoferRef[] = [];
    for (const g of c.gofers) {
      g.users.delete(c);
      if (g.users.size === 0) unused.push(g);
    }
    for (const [key, v] of this.volumes) if (v.gofer && unused.includes(v.gofer)) this.volumes.delete(key);
    return unused;
  }
}

/** A filesystem is shared by binds of one source that the gofer serves alike: read-only or not, with its submounts or not. */
function volumeKey(source: string, readonly: boolean, recursive: boolean): string {
  return `${readonly ? 'ro' : 'rw'},${recursive ? 'rbind' : 'bind'}:${source}`;
}

/** Is `m` `top` or mounted (through its parents) on it? */
function isWithin(m: { parent: typeof m | null }, top: object): boolean {
  for (let p: typeof m | null = m; p; p = p.parent) if (p === top) return true;
  return false;
}

/**
 * A gofer process as the pod tracks it (its client still to tell it what to serve: GoferClient.attach). One that
 * misses `deadlineMs` is killed: its death ends what it served (Kernel.watchGofer, Kernel.watchCritical).
 */
export function goferRef(g: GoferProcess, deadlineMs: number, log: Log): GoferRef {
  const stalled = () => {
    log.error({ pid: g.pid, deadlineMs }, `a gofer did not answer within ${deadlineMs} ms: killing it`);
    try { process.kill(g.pid, 'SIGKILL'); } catch { /* gone already */ }
  };
  return { client: new GoferClient(g.sock, { ms: deadlineMs, stalled }, g.pid), pid: g.pid, users: new Set() };
}
