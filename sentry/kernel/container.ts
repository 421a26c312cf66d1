// A container of the sandbox (a pod's member, as runsc's): its own root in
// the sentry's one mount tree, under the hidden directory, its own gofer,
// its own terminals, and the processes it started. Several containers
// share one kernel: its network, IPC and UTS namespaces are the pod's.
import type { DevptsFs } from '../fs/dev/devpts.js';
import type { GoferClient } from '../fs/gofer/client.js';
import type { Mount, VfsPath } from '../vfs/mount.js';
import type { ExitStatus } from './launch.js';

/** Where each container's root is mounted in the sentry's tree; no container's root holds it. */
export const CONTAINERS_DIR = '__tvisor_containers__';

/** A gofer process serving one or more containers (a shared volume keeps its gofer while any user lives). */
export interface GoferRef {
  client: GoferClient;
  pid: number;
  /** The containers that use a filesystem it serves. */
  users: Set<Container>;
}

export class Container {
  /** The host pid of its first process once started (0 before). */
  initTgid = 0;
  /** How its first process ended, once it has. */
  status: ExitStatus | null = null;
  /** Told once when its first process ends (or it is deleted). */
  readonly onEnd: ((s: ExitStatus) => void)[] = [];
  /** The gofers whose filesystems it mounts. */
  readonly gofers = new Set<GoferRef>();
  /**
   * The cgroup.procs files its processes are moved into as they are
   * launched (its own cgroup in a pod, with its limits); none: they stay in
   * init's, the sandbox's.
   */
  cgroupProcs: readonly string[] = [];
  /** Its own memory limit (ContainerSpec.memory; 0: the sandbox's): its tmpfs mounts default to half of it. */
  memoryLimit = 0;

  constructor(
    readonly id: string,
    /**
     * Its root: the mount on the hidden directory, at first its root
     * filesystem's; a pivot_root of its processes puts another there.
     */
    public root: VfsPath,
    /**
     * Whose processes its proc shows: its own id (a pid namespace of its
     * own), or the pod's sandbox container's (a shared pid namespace).
     */
    readonly pidGroup: string,
    /** Its own devpts instance: no container reaches another's terminals. */
    readonly devpts: DevptsFs,
  ) {}

  get rootMount(): Mount { return this.root.mount; }

  ended(s: ExitStatus): void {
    if (this.status) return;
    this.status = s;
    for (const f of this.onEnd.splice(0)) f(s);
  }
}
