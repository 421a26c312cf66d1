// SO_PEERCRED as the sandbox tells it. The host records a unix socket's
// peer (the process that connected, listened or made the pair, and its
// effective ids) when that call is made; but every guest is host uid 0 (see
// Credentials), and a connect to a sandbox path is made by the sentry for
// the guest (syscalls/socket.ts). The host's record says who on the host;
// this says who in the sandbox.
import { closeSync, openSync } from 'node:fs';
import { SysErr } from '../abi/errno.js';
import { closeQuietly, host } from '../host/fd.js';
import { native } from '../host/native.js';
import type { Task, ThreadGroup } from './task.js';

/** struct ucred: a pid in the reader's pid namespace and effective ids. */
export interface Ucred { pid: number; uid: number; gid: number }

/** How many ended processes, and connects the sentry made, are remembered. */
const REMEMBERED = 16384;
/** The ids of a peer no record names: the overflow ids, never more than Linux would show. */
const NOBODY = 65534;

function remember<K>(m: Map<K, Ucred>, key: K, v: Ucred): void {
  m.delete(key);
  m.set(key, v);
  if (m.size > REMEMBERED) m.delete(m.keys().next().value!);
}

const idsOf = (t: Task): Ucred => ({ pid: t.tg.nsPid, uid: t.creds.euid, gid: t.creds.egid });

export class PeerCredentials {
  /** By host tgid: what the sockets of a process that ended still say of it. */
  private readonly ended = new Map<number, Ucred>();
  /** By the connecting socket's inode: who a connect the sentry made was for, as Linux records it at connect. */
  private readonly connects = new Map<number, Ucred>();

  /** A NETLINK_SOCK_DIAG socket of the guests' network namespace, made at the first need; -errno if it cannot be. */
  private diag = 0;

  /** `netns`: the path of the guests' network namespace (init's), where their sockets are found. */
  constructor(private readonly sentryPid: number, private readonly tasks: ReadonlyMap<number, Task>,
      private readonly netns: () => string) {}

  /** The last task of a process exited. */
  processEnded(last: Task): void { remember(this.ended, last.tg.tgid, idsOf(last)); }

  /** The sentry connected the socket `sockIno` for `t`. */
  connectedFor(t: Task, sockIno: number): void { remember(this.connects, sockIno, idsOf(t)); }

  /** The sandbox's SO_PEERCRED of the socket `sockIno` from the host's (read by the sentry: its pid is a host pid). */
  translate(host: Ucred, sockIno: number): Ucred {
    // No peer (pid 0, ids -1), as Linux says for an unconnected socket.
    if (host.pid === 0) return host;
    // The sentry connected for a guest (with the guest's effective ids, native/tvisor.c's
    // tv_connect_as): its record names the process, found by the peer socket's inode.
    if (host.pid === this.sentryPid) {
      const peer = this.peerOf(sockIno);
      return (peer > 0 ? this.connects.get(peer) : undefined) ?? { pid: 0, uid: host.uid, gid: host.gid };
    }
    const tg = this.processOf(host.pid);
    if (tg) return idsOf(tg.tasks.values().next().value!);
    return this.ended.get(host.pid) ?? { pid: 0, uid: NOBODY, gid: NOBODY };
  }

  close(): void {
    if (this.diag > 0) closeQuietly(this.diag);
    this.diag = 0;
  }

  /** The inode of the peer of the guests' socket `ino` (0: none; below 0: not known). */
  private peerOf(ino: number): number {
    if (this.diag === 0) {
      const AF_NETLINK = 16, SOCK_DGRAM = 2, NETLINK_SOCK_DIAG = 4;
      try {
        const ns = host(() => openSync(this.netns(), 'r'));
        try { this.diag = native.socketIn(ns, AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG); } finally { closeSync(ns); }
      } catch (e) {
        // No namespace to ask in (init gone): the peer stays unknown, as without unix_diag.
        if (!(e instanceof SysErr)) throw e;
        this.diag = -e.errno;
      }
    }
    return this.diag > 0 ? native.unixPeer(this.diag, ino) : this.diag;
  }

  private processOf(tgid: number): ThreadGroup | undefined {
    const leader = this.tasks.get(tgid);
    if (leader) return leader.tg;
    // A leader that exited before its threads.
    for (const t of this.tasks.values()) if (t.tg.tgid === tgid) return t.tg;
    return undefined;
  }
}
