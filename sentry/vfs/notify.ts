// fsnotify for the sandbox's VFS: the events of Linux's fsnotify hooks, made
// where the VFS makes the change (vfs/ops.ts, and the open of open.ts), and
// handed to the marks watching the inodes involved (an inotify watch,
// kernel/inotify.ts). What the sentry does not see (native reads and writes
// of open files, changes a host process makes in a bind mount) comes from
// the host's own inotify, through `HostEvents`. With no mark anywhere, every
// hook returns at its first test.
import type { Inode, SetAttr } from './inode.js';

/** inotify's event bits (include/uapi/linux/inotify.h). */
export const IN = {
  ACCESS: 0x1, MODIFY: 0x2, ATTRIB: 0x4, CLOSE_WRITE: 0x8, CLOSE_NOWRITE: 0x10, OPEN: 0x20,
  MOVED_FROM: 0x40, MOVED_TO: 0x80, CREATE: 0x100, DELETE: 0x200, DELETE_SELF: 0x400, MOVE_SELF: 0x800,
  UNMOUNT: 0x2000, Q_OVERFLOW: 0x4000, IGNORED: 0x8000,
  ONLYDIR: 0x01000000, DONT_FOLLOW: 0x02000000, EXCL_UNLINK: 0x04000000, MASK_CREATE: 0x10000000,
  MASK_ADD: 0x20000000, ISDIR: 0x40000000, ONESHOT: 0x80000000,
} as const;
export const IN_ALL_EVENTS = 0xfff;
export const IN_CLOSE = IN.CLOSE_WRITE | IN.CLOSE_NOWRITE;

/** Who watches an inode: `event` gets every event on it, the caller filters by its mask. */
export interface Mark {
  /** The events it wants (IN_* bits). */
  readonly mask: number;
  /** `name`: the child's name for an event on a watched directory's entry; '' for the inode itself. */
  event(mask: number, cookie: number, name: string): void;
  /** The inode is gone (deleted, or the watch removed by the host): IN_IGNORED, and the mark goes. */
  ignored(): void;
}

/** The sentry's own change, as the host may report it: entries of directories, and files themselves. */
export interface OwnChange { entries: [dir: Inode, name: string][]; files: Inode[] }

/** The host's view: drains its pending events before a change (they came first), drops the ones the change itself causes after. */
export interface HostEvents {
  drain(): void;
  /** Reads what the host has queued: its report of `own` is dropped, the rest (other processes' changes) delivered. */
  afterOwn(own: OwnChange): void;
  /** The marks on `inode` changed, or its data may now live in another host file (a copy-up): (re)watch it on the host. */
  track(inode: Inode): void;
  /** Entry `name` of `dir` now names `child` (`added`), or no longer does: a watched directory's files are followed. */
  entry(dir: Inode, name: string, child: Inode, added: boolean): void;
}

const marks = new WeakMap<Inode, Set<Mark>>();
let count = 0;
let host: HostEvents | null = null;
let nextCookie = 1;

/** Is anything watched? Every hook asks this first. */
export const watching = (): boolean => count !== 0;

export function setHostEvents(h: HostEvents): void { host = h; }

export function marksOf(inode: Inode): ReadonlySet<Mark> | undefined { return count === 0 ? undefined : marks.get(inode); }

export function addMark(inode: Inode, m: Mark): void {
  let s = marks.get(inode);
  if (!s) marks.set(inode, s = new Set());
  if (!s.has(m)) { s.add(m); count++; }
  host?.track(inode);
}

export function removeMark(inode: Inode, m: Mark): void {
  const s = marks.get(inode);
  if (!s?.delete(m)) return;
  count--;
  if (s.size === 0) marks.delete(inode);
  host?.track(inode);
}

/** How many changes have begun: what a filesystem read during one is good for till the next (changesBegun). */
let changes = 0;

/** Before a change of the tree or of attributes: events the host has queued meanwhile go first. */
export function beforeChange(): void {
  changes++;
  if (count !== 0) host?.drain();
}

/**
 * The number of the change under way. A filesystem may keep what it read of a
 * file during a change for the calls that change makes after (tmpfs keeps a
 * host stat), and drops it once another change has begun.
 */
export const changesBegun = (): number => changes;

/**
 * After it: what the host saw of the sentry's own change is the sentry's to report, in Linux's order; a change a
 * host process made meanwhile is that process's, and is delivered.
 */
function afterChange(own: OwnChange): void {
  host?.afterOwn(own);
}

/** An event on `inode` itself. */
export function notifyInode(inode: Inode, mask: number, cookie = 0): void {
  const s = marks.get(inode);
  if (s) for (const m of [...s]) m.event(mask, cookie, '');
}

/**
 * An event on entry `name` of `dir` (fsnotify_parent and fsnotify_name): the
 * directory's marks get it with the name, then the child's own marks (for
 * an event about the child's data or attributes) without.
 */
export function notifyEntry(dir: Inode, name: string, child: Inode | null, mask: number, cookie = 0, self = false): void {
  const s = marks.get(dir);
  if (s) for (const m of [...s]) m.event(mask, cookie, name);
  if (self && child) notifyInode(child, mask, cookie);
}

const isDirInode = (i: Inode) => (i.fileType() & 0o170000) === 0o040000;
const dirBit = (i: Inode) => isDirInode(i) ? IN.ISDIR : 0;

/** The file was removed: IN_DELETE_SELF, after which its marks go (IN_IGNORED, the mark's part). */
export function deleted(inode: Inode): void {
  // Self events of removal and moves carry no IN_ISDIR (inotify's own rule); the others do.
  notifyInode(inode, IN.DELETE_SELF);
  const s = marks.get(inode);
  if (s) for (const m of [...s]) m.ignored();
}

// The hooks, one per kind of change, as Linux's fsnotify_* helpers. Each
// is called after the change succeeded, and does nothing without marks.

export function created(dir: Inode, name: string, child: Inode): void {
  if (count === 0) return;
  afterChange({ entries: [[dir, name]], files: [child] });
  host?.entry(dir, name, child, true);
  notifyEntry(dir, name, child, IN.CREATE | dirBit(child));
}

/** link(2): the file's link count changed, then the new name. */
export function linked(dir: Inode, name: string, target: Inode): void {
  if (count === 0) return;
  afterChange({ entries: [[dir, name]], files: [target] });
  host?.entry(dir, name, target, true);
  notifyInode(target, IN.ATTRIB);
  notifyEntry(dir, name, target, IN.CREATE);
}

/** unlink(2) or rmdir(2) of `victim`, named `name` in `dir`; `gone`: that was its last name. */
export function removed(dir: Inode, name: string, victim: Inode, wasDir: boolean, gone: boolean): void {
  if (count === 0) return;
  afterChange({ entries: [[dir, name]], files: [victim] });
  host?.entry(dir, name, victim, false);
  if (!wasDir) notifyInode(victim, IN.ATTRIB);
  if (gone) deleted(victim);
  notifyEntry(dir, name, victim, IN.DELETE | (wasDir ? IN.ISDIR : 0));
}

/** rename(2): fsnotify_move, for each file moved (two for RENAME_EXCHANGE), then the replaced file's removal. */
export function moved(fromDir: Inode, fromName: string, toDir: Inode, toName: string, moving: Inode,
    replaced: Inode | null, exchange: boolean, replacedGone: boolean): void {
  if (count === 0) return;
  afterChange({ entries: [[fromDir, fromName], [toDir, toName]], files: replaced ? [moving, replaced] : [moving] });
  const move = (fd: Inode, fn: string, td: Inode, tn: string, what: Inode, target: Inode | null) => {
    if (target) host?.entry(td, tn, target, false);
    host?.entry(fd, fn, what, false);
    host?.entry(td, tn, what, true);
    const cookie = nextCookie++;
    const isdir = dirBit(what);
    notifyEntry(fd, fn, what, IN.MOVED_FROM | isdir, cookie);
    notifyEntry(td, tn, what, IN.MOVED_TO | isdir, cookie);
    if (target) notifyInode(target, IN.ATTRIB);
    notifyInode(what, IN.MOVE_SELF);
  };
  const replacedIsDir = replaced !== null && isDirInode(replaced);
  if (replaced && replacedIsDir && !exchange) host?.entry(toDir, toName, replaced, false);
  move(fromDir, fromName, toDir, toName, moving, exchange ? null : (replacedIsDir ? null : replaced));
  if (exchange && replaced) move(toDir, toName, fromDir, fromName, replaced, null);
  else if (replaced && replacedGone) deleted(replaced);
}

/**
 * notify_change's events for an attribute change (fsnotify_change): size is
 * IN_MODIFY, owner and mode IN_ATTRIB, both times IN_ATTRIB (a utimes), one
 * time IN_ACCESS or IN_MODIFY.
 */
export function attrChanged(inode: Inode, attr: SetAttr): void {
  if (count === 0) return;
  afterChange(ownSelf(inode));
  let mask = 0;
  if (attr.uid !== undefined || attr.gid !== undefined || attr.mode !== undefined) mask |= IN.ATTRIB;
  if (attr.size !== undefined) mask |= IN.MODIFY;
  if (attr.atime !== undefined && attr.mtime !== undefined) mask |= IN.ATTRIB;
  else if (attr.atime !== undefined) mask |= IN.ACCESS;
  else if (attr.mtime !== undefined) mask |= IN.MODIFY;
  if (mask) changedSelf(inode, mask | dirBit(inode));
}

/** An xattr was set or removed: IN_ATTRIB. */
export function xattrChanged(inode: Inode): void {
  if (count === 0) return;
  afterChange(ownSelf(inode));
  changedSelf(inode, IN.ATTRIB | dirBit(inode));
}

/** The file was opened (not O_PATH): IN_OPEN; its data may have moved to another host file (copy-up). */
export function opened(inode: Inode): void {
  if (count === 0) return;
  // An open changes nothing the host reports (its own IN_OPEN is not asked for): what the host
  // has queued is other processes' and goes first.
  host?.drain();
  host?.track(inode);
  changedSelf(inode, IN.OPEN | dirBit(inode));
}

/** Does a mark on `inode`, or on its parent (whose marks get its events with its name), want its close events? */
export function wantsClose(inode: Inode): boolean {
  if (count === 0) return false;
  for (const i of [inode, inode.parent]) {
    const s = i ? marks.get(i) : undefined;
    if (s) for (const m of s) if (m.mask & IN_CLOSE) return true;
  }
  return false;
}

/**
 * The last of an open's descriptors went (fsnotify_close, at the last fput):
 * IN_CLOSE_WRITE if the open was for writing, else IN_CLOSE_NOWRITE. The
 * kernel finds it after the fact: close(2) runs natively (kernel/inotify.ts).
 */
export function closed(inode: Inode, forWriting: boolean): void {
  if (count === 0) return;
  changedSelf(inode, (forWriting ? IN.CLOSE_WRITE : IN.CLOSE_NOWRITE) | dirBit(inode));
}

/** A change of the file itself: the host reports it on the file and on its entry in its parent. */
function ownSelf(inode: Inode): OwnChange {
  return { entries: inode.parent ? [[inode.parent, inode.name]] : [], files: [inode] };
}

/**
 * An event about the file itself, for its parent's watches with its name,
 * then its own. The parent and name are the ones the inode keeps (a hard
 * link's latest; Linux names the one the caller went through).
 */
function changedSelf(inode: Inode, mask: number): void {
  if (inode.parent) notifyEntry(inode.parent, inode.name, inode, mask, 0, true);
  else notifyInode(inode, mask);
}
