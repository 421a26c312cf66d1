// System V IPC objects as the sandbox's users own them. Every guest is host
// uid 0 and holds CAP_IPC_OWNER on the host (native/tvisor.c,
// drop_privileges), so the host lets any guest at any object of the
// sandbox's ipc namespace; the sentry traps every IPC call and decides with
// the sandbox's credentials (syscalls/ipc.ts). What creates an object or
// changes its owner runs as the guest (native.ipcAs: a thread of the
// sentry's in that namespace, with the guest's ids, groups and effective
// capabilities), so the host records the sandbox's ids and decides those
// calls itself, as Linux would.
import { closeSync, openSync } from 'node:fs';
import { E, SysErr } from '../abi/errno.js';
import { CAP, capable, type Creds, inGroup } from '../auth/creds.js';
import { host } from '../host/fd.js';
import { native } from '../host/native.js';

export type IpcKind = 'shm' | 'sem' | 'msg';

/** The owner, creator and mode of an object (struct ipc64_perm). */
export interface IpcPerm { uid: number; gid: number; cuid: number; cgid: number; mode: number }

/** A kind's ctl call (its number, and where its command and its struct argument go) and its struct's size. */
export interface IpcCtl { kind: IpcKind; nr: number; cmdArg: number; bufArg: number; size: number }

export const IPC_STAT = 2;

export class IpcObjects {
  /** The guests' ipc namespace (init's), opened at the first need. */
  private nsfd = -1;
  /** Each object's permissions, by kind and id: read from the host at the first need, forgotten when a call may change them. */
  private readonly perms = new Map<string, IpcPerm>();

  constructor(private readonly nsPath: () => string) {}

  /**
   * Runs the IPC call `nr` in the guests' namespace as `creds` (null: as the
   * sentry); `buf` stands for argument `bufArg`. Its result, or SysErr.
   */
  call(creds: Creds | null, nr: number, args: readonly number[], buf: Uint8Array | null = null, bufArg = -1): number {
    if (this.nsfd < 0) this.nsfd = host(() => openSync(this.nsPath(), 'r'));
    const a = BigInt64Array.from(args.map((v) => BigInt(v)));
    const c = creds;
    const r = native.ipcAs(this.nsfd, c ? c.euid : -1, c?.egid ?? 0, c?.fsgid ?? 0, Uint32Array.from(c?.groups ?? []),
      c?.groups.length ?? 0, Number((c?.capEff ?? 0n) & 0xffffffffn), Number((c?.capEff ?? 0n) >> 32n), nr, a, buf, bufArg);
    if (r < 0) throw new SysErr(-r);
    return r;
  }

  /** The permissions of object `id` (read with IPC_STAT as the sentry), or null when there is none (the host answers the call then). */
  perm(ctl: IpcCtl, id: number): IpcPerm | null {
    const key = `${ctl.kind}:${id}`;
    const known = this.perms.get(key);
    if (known) return known;
    const buf = new Uint8Array(ctl.size);
    const args = [id, 0, 0, 0];
    args[ctl.cmdArg] = IPC_STAT;
    try {
      this.call(null, ctl.nr, args, buf, ctl.bufArg);
    } catch (e) {
      if (e instanceof SysErr) return null;
      throw e;
    }
    const v = new DataView(buf.buffer);
    const perm = { uid: v.getUint32(4, true), gid: v.getUint32(8, true), cuid: v.getUint32(12, true),
      cgid: v.getUint32(16, true), mode: v.getUint32(20, true) & 0o777 };
    this.perms.set(key, perm);
    return perm;
  }

  /** A call the sentry ran may have made, changed or removed object `id`. */
  forget(kind: IpcKind, id: number): void { this.perms.delete(`${kind}:${id}`); }

  /** EACCES unless `creds` may use object `id` as `flag` asks (S_IRUGO, S_IWUGO, S_IXUGO bits): Linux's ipcperms. */
  check(creds: Creds, ctl: IpcCtl, id: number, flag: number): void {
    const p = this.perm(ctl, id);
    if (!p || mayUse(creds, p, flag)) return;
    throw new SysErr(E.EACCES);
  }

  close(): void {
    if (this.nsfd >= 0) closeSync(this.nsfd);
    this.nsfd = -1;
  }
}

/** ipcperms: the owner's or creator's bits, else the group's (owner or creator group), else the others', or CAP_IPC_OWNER. */
function mayUse(c: Creds, p: IpcPerm, flag: number): boolean {
  const requested = ((flag >> 6) | (flag >> 3) | flag) & 0o7;
  let granted = p.mode;
  if (c.euid === p.cuid || c.euid === p.uid) granted >>= 6;
  else if (inGroup(c, p.cgid) || inGroup(c, p.gid)) granted >>= 3;
  return (requested & ~granted & 0o7) === 0 || capable(c, CAP.IPC_OWNER);
}
