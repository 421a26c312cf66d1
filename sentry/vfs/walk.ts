// Path resolution, following path_resolution(7).
import type { Creds } from '../auth/creds.js';
import { E, SysErr } from '../abi/errno.js';
import type { Context } from './context.js';
import { type Inode, lookupChild } from './inode.js';
import { type MountNamespace, samePath, type VfsPath } from './mount.js';
import { checkAccess, checkFollow, MAY_EXEC } from './permissions.js';
import { isDir, isLnk } from '../abi/stat.js';
import { NAME_MAX, PATH_MAX, RESOLVE, SYMLINK_MAX_FOLLOWS } from '../abi/flags.js';

/** What a walk needs from the task that walks. */
/** A walker: its mount namespace, root and credentials, and who it is (see context.ts). */
export interface WalkContext extends Context {
  readonly ns: MountNamespace;
  readonly root: VfsPath;
  readonly creds: Creds;
}

export interface WalkOptions {
  /** Follow a symlink in the last component. */
  followFinal: boolean;
  /** openat2 RESOLVE_* flags. */
  resolve?: number;
}

interface Budget { links: number; start: VfsPath; resolve: number }

// Names hold one character per byte (abi/names.ts): a length is a byte count.
function checkLength(path: string): void {
  if (path.length === 0) throw new SysErr(E.ENOENT);
  if (path.length >= PATH_MAX) throw new SysErr(E.ENAMETOOLONG);
}

function checkName(name: string): void {
  if (name.length > NAME_MAX) throw new SysErr(E.ENAMETOOLONG);
}

/** The directory above `p`, crossing mount roots upwards, never above the task's root. */
export function parentOf(ctx: WalkContext, p: VfsPath, b?: Budget): VfsPath {
  let cur = p;
  for (;;) {
    if (samePath(cur, ctx.root)) return cur;
    if (b && (b.resolve & RESOLVE.BENEATH) && samePath(cur, b.start)) throw new SysErr(E.EXDEV);
    if (cur.inode !== cur.mount.root) break;
    // A mount on nothing (the tree's root, a detached mount) is its own parent, whatever its root's directory has above it.
    if (!cur.mount.parent || !cur.mount.mountpoint) return cur;
    if (b && (b.resolve & RESOLVE.NO_XDEV)) throw new SysErr(E.EXDEV);
    cur = { mount: cur.mount.parent, inode: cur.mount.mountpoint };
  }
  return { mount: cur.mount, inode: cur.inode.parent ?? cur.inode };
}

function searchable(ctx: WalkContext, dir: VfsPath): void {
  let st;
  try {
    st = dir.inode.stat();
  } catch (e) {
    // A file's type outlives its names: a dirfd of an unlinked file is no directory, though a bind's stat of it fails (the gofer asks by name).
    if (e instanceof SysErr && !isDir(dir.inode.fileType())) throw new SysErr(E.ENOTDIR);
    throw e;
  }
  if (!isDir(st.mode)) throw new SysErr(E.ENOTDIR);
  checkAccess(ctx, st, MAY_EXEC, dir.inode);
}

/** Looks `name` up in `dir` and enters whatever is mounted on the result. */
export function step(ctx: WalkContext, dir: VfsPath, name: string, b?: Budget): VfsPath {
  return enter(ctx, dir, dir.inode.lookup(name), b);
}

/** `child` of `dir`, or whatever is mounted on it. */
function enter(ctx: WalkContext, dir: VfsPath, child: Inode, b?: Budget): VfsPath {
  const p = { mount: dir.mount, inode: child };
  const entered = ctx.ns.enter(p);
  if (b && (b.resolve & RESOLVE.NO_XDEV) && entered.mount !== dir.mount) throw new SysErr(E.EXDEV);
  return entered;
}

/** What open(O_CREAT)'s walk ends at when the last name does not exist: where to create it. */
class Missing {
  constructor(readonly dir: VfsPath, readonly name: string) {}
}

/** parts[from…] up to the first `.` or `..`: the names a walk will look up in turn from where it is. */
function plainNames(parts: readonly string[], from: number): string[] {
  let to = from;
  while (to < parts.length && parts[to] !== '.' && parts[to] !== '..') to++;
  return parts.slice(from, to);
}

function walk(ctx: WalkContext, start: VfsPath, path: string, followFinal: boolean, b: Budget): VfsPath {
  return walkTo(ctx, start, path, followFinal, b, false) as VfsPath;
}

/**
 * The walk. With `creating` (open with O_CREAT), the last name is open's
 * (open_last_lookups): '.', '..', '/' or a trailing slash are EISDIR, and a
 * last name that does not exist, in the path or in the body of a final
 * symlink followed, ends the walk with its directory and name (Missing).
 * `then`: the names the walk goes on with after this one (a symlink's body
 * is walked before the rest of its path), offered to prefetch as well.
 */
function walkTo(ctx: WalkContext, start: VfsPath, path: string, followFinal: boolean, b: Budget, creating: boolean,
    then: readonly string[] = []): VfsPath | Missing {
  checkLength(path);
  let cur = start;
  if (path.startsWith('/')) {
    if (b.resolve & RESOLVE.BENEATH) throw new SysErr(E.EXDEV);
    cur = (b.resolve & RESOLVE.IN_ROOT) ? b.start : ctx.root;
  }
  const parts = path.split('/').filter((p) => p !== '');
  const trailingSlash = path.endsWith('/');
  if (creating && parts.length === 0) throw new SysErr(E.EISDIR);
  let prefetched: Inode | null = null;
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]!;
    const last = i === parts.length - 1;
    if (cur.inode.prefetch && cur.inode !== prefetched) {
      prefetched = cur.inode;
      const names = plainNames(parts, i);
      cur.inode.prefetch(then.length === 0 || names.length < parts.length - i ? names : [...names, ...plainNames(then, 0)]);
    }
    searchable(ctx, cur);
    let child: Inode | null = null;
    if (creating && last) {
      checkName(name);
      if (name === '.' || name === '..' || trailingSlash) throw new SysErr(E.EISDIR);
      child = lookupChild(cur.inode, name);
      if (!child) return new Missing(cur, name);
    }
    if (name === '.') continue;
    if (name === '..') {
      cur = (b.resolve & RESOLVE.IN_ROOT) && samePath(cur, b.start) ? cur : parentOf(ctx, cur, b);
      continue;
    }
    checkName(name);
    let next: VfsPath | Missing = child ? enter(ctx, cur, child, b) : step(ctx, cur, name, b);
    if (isLnk(next.inode.fileType()) && (!last || followFinal || trailingSlash)) {
      if (b.resolve & RESOLVE.NO_SYMLINKS) throw new SysErr(E.ELOOP);
      if (++b.links > SYMLINK_MAX_FOLLOWS) throw new SysErr(E.ELOOP);
      checkFollow(ctx.creds, cur.inode.stat(), next.inode.stat());
      const magic = next.inode.jump();
      if (magic && (b.resolve & RESOLVE.NO_MAGICLINKS)) throw new SysErr(E.ELOOP);
      // Following a link reads it, so its atime moves as readlink's does (Linux's pick_link touches it).
      if (!magic && !next.mount.readonly) next.inode.accessed();
      // A final link's body is walked as the path's own end: its missing last name is the one to create.
      next = magic ?? walkTo(ctx, cur, next.inode.readlink(ctx), true, b, creating && last, [...parts.slice(i + 1), ...then]);
      if (next instanceof Missing) return next;
    }
    cur = next;
  }
  if (trailingSlash && !isDir(cur.inode.fileType())) throw new SysErr(E.ENOTDIR);
  return cur;
}

/** open(O_CREAT)'s answer: the file found, or the directory and name to create it at. */
export type CreateLookup = { found: VfsPath } | { missing: { dir: VfsPath; name: string } };

/**
 * The walk of an open with O_CREAT, in one pass: the file `path` names
 * (a final symlink followed when `followFinal`), or, when the last name does
 * not exist (of the path, or of a final symlink's body), its directory and
 * name. One walk, so a link whose body changes meanwhile is read once.
 */
export function resolveForCreate(ctx: WalkContext, start: VfsPath, path: string, followFinal: boolean, resolveFlags = 0):
    CreateLookup {
  const end = walkTo(ctx, start, path, followFinal, { links: 0, start, resolve: resolveFlags }, true);
  return end instanceof Missing ? { missing: { dir: end.dir, name: end.name } } : { found: end };
}

/** Resolves `path` from `start` (the cwd or a directory fd). */
export function resolve(ctx: WalkContext, start: VfsPath, path: string, opts: WalkOptions): VfsPath {
  return walk(ctx, start, path, opts.followFinal, { links: 0, start, resolve: opts.resolve ?? 0 });
}

export interface ParentAndName {
  dir: VfsPath;
  /** The last component; '' for "/" itself, and '.' or '..' as given. */
  name: string;
  trailingSlash: boolean;
}

/** Resolves all but the last component, for calls that create or remove it. */
export function resolveParent(ctx: WalkContext, start: VfsPath, path: string, resolveFlags = 0): ParentAndName {
  checkLength(path);
  const trimmed = path.replace(/\/+$/, '');
  const trailingSlash = trimmed.length !== path.length;
  if (trimmed === '') return { dir: path.startsWith('/') ? ctx.root : start, name: '', trailingSlash };
  const slash = trimmed.lastIndexOf('/');
  const name = trimmed.slice(slash + 1);
  const dirPart = slash < 0 ? '.' : slash === 0 ? '/' : trimmed.slice(0, slash);
  const b: Budget = { links: 0, start, resolve: resolveFlags };
  const dir = walk(ctx, start, dirPart, true, b);
  searchable(ctx, dir);
  checkName(name);
  return { dir, name, trailingSlash };
}

/** The absolute path of `p` as seen from `root`, as getcwd and /proc/self/fd show it. */
export function pathOf(ctx: { ns: MountNamespace; root: VfsPath }, p: VfsPath): { path: string; reachable: boolean } {
  const names: string[] = [];
  let cur = p;
  for (let guard = 0; guard < 4096; guard++) {
    if (samePath(cur, ctx.root)) return { path: '/' + names.reverse().join('/'), reachable: true };
    if (cur.inode === cur.mount.root) {
      if (!cur.mount.parent || !cur.mount.mountpoint) break;
      cur = { mount: cur.mount.parent, inode: cur.mount.mountpoint };
      continue;
    }
    if (!cur.inode.parent) break;
    names.push(cur.inode.name);
    cur = { mount: cur.mount, inode: cur.inode.parent };
  }
  return { path: '/' + names.reverse().join('/'), reachable: false };
}
