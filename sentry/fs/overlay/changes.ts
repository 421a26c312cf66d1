// What the guests changed in the root overlay: its upper layer against the
// lower one (the library API's changes() and exportChanges(), `do --diff`).
// A file of the upper layer is created (no lower file under its name) or
// modified (copied up); a directory copied up only as the parent of a
// change is not listed unless its own attributes changed or it lost an
// entry of the lower layer. A whiteout is a
// deletion. The tar is an OCI image layer: whiteouts as `.wh.<name>` files,
// a directory made over a removed one followed by `.wh..wh..opq`.
import { closeSync, readSync, writeSync } from 'node:fs';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, type Stat } from '../../abi/stat.js';
import { O } from '../../abi/flags.js';
import { NO_TASK } from '../../vfs/context.js';
import type { OverlayInode } from './overlay.js';

export type ChangeKind = 'created' | 'modified' | 'deleted';
export type FileKind = 'file' | 'directory' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block';

export interface Change {
  /** Absolute, in the sandbox. */
  path: string;
  kind: ChangeKind;
  /** What it is now (for a deletion: what was removed). */
  type: FileKind;
  /** Bytes (0 for a deletion). */
  size: number;
  /** A directory made over a removed one: none of the old one's entries are kept. */
  opaque?: boolean;
}

const TYPES: Record<number, FileKind> = {
  [S_IFREG]: 'file', [S_IFDIR]: 'directory', [S_IFLNK]: 'symlink', [S_IFIFO]: 'fifo', [S_IFSOCK]: 'socket',
  [S_IFCHR]: 'char', [S_IFBLK]: 'block',
};
const typeOf = (mode: number): FileKind => TYPES[mode & S_IFMT] ?? 'file';

/** Attributes whose change makes a copied-up directory modified. */
const sameDir = (a: Stat, b: Stat) => a.mode === b.mode && a.uid === b.uid && a.gid === b.gid &&
  a.mtime.sec === b.mtime.sec && a.mtime.nsec === b.mtime.nsec;

interface Entry { change: Change; inode: OverlayInode | null }

/** The changes beneath `dir` (the overlay's root for all), parents before their children, names sorted. */
function walk(dir: OverlayInode, path: string, out: Entry[]): void {
  if (!dir.upper) return;
  const names = new Set(dir.upper.readdir().map((e) => e.name));
  for (const name of [...names, ...dir.removedNames()].sort()) {
    const full = `${path}/${name}`;
    if (!names.has(name)) {
      // A whiteout: what it hid is the lower entry of that name.
      const lowerEntry = dir.lower?.readdir().find((e) => e.name === name);
      const type = lowerEntry ? dtType(lowerEntry.type) : 'file';
      out.push({ change: { path: full, kind: 'deleted', type, size: 0 }, inode: null });
      continue;
    }
    const child = dir.lookup(name) as OverlayInode;
    const st = child.stat();
    const isDir = (st.mode & S_IFMT) === S_IFDIR;
    const base = { path: full, type: typeOf(st.mode), size: isDir ? 0 : st.size };
    if (!child.lower || child.isOpaque) {
      out.push({ change: { ...base, kind: 'created', ...(child.isOpaque ? { opaque: true } : {}) }, inode: child });
    } else if (!isDir || !sameDir(st, child.lower.stat()) || child.removedNames().length > 0) {
      out.push({ change: { ...base, kind: 'modified' }, inode: child });
    }
    if (isDir) walk(child, full, out);
  }
}

const DT_TYPES: Record<number, FileKind> = { 1: 'fifo', 2: 'char', 4: 'directory', 6: 'block', 8: 'file', 10: 'symlink', 12: 'socket' };
const dtType = (t: number): FileKind => DT_TYPES[t] ?? 'file';

export function listChanges(root: OverlayInode): Change[] {
  const out: Entry[] = [];
  walk(root, '', out);
  return out.map((e) => e.change);
}

/** Writes the changes as an OCI layer tar to `fd`. */
export function writeChangesTar(root: OverlayInode, fd: number): void {
  const entries: Entry[] = [];
  walk(root, '', entries);
  const tar = new TarWriter(fd);
  for (const { change, inode } of entries) {
    const rel = change.path.slice(1);
    if (change.kind === 'deleted') {
      const slash = rel.lastIndexOf('/');
      tar.entry(`${rel.slice(0, slash + 1)}.wh.${rel.slice(slash + 1)}`, { type: '0', mode: 0o644, uid: 0, gid: 0, mtime: 0 });
      continue;
    }
    const st = inode!.stat();
    const head = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime.sec };
    switch (change.type) {
      case 'directory':
        tar.entry(`${rel}/`, { ...head, type: '5' });
        if (change.opaque) tar.entry(`${rel}/.wh..wh..opq`, { type: '0', mode: 0o644, uid: 0, gid: 0, mtime: 0 });
        break;
      case 'symlink': tar.entry(rel, { ...head, type: '2', linkname: inode!.readlink(NO_TASK) }); break;
      case 'fifo': tar.entry(rel, { ...head, type: '6' }); break;
      case 'char': case 'block':
        tar.entry(rel, { ...head, type: change.type === 'char' ? '3' : '4', devmajor: Math.floor(st.rdev / 256) & 0xfff,
          devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) });
        break;
      case 'socket': break; // A tar has no sockets, as a layer does not.
      default: {
        const src = inode!.open(O.RDONLY, NO_TASK);
        try { tar.file(rel, head, src, st.size); } finally { closeSync(src); }
      }
    }
  }
  tar.end();
}

interface Header { type: string; mode: number; uid: number; gid: number; mtime: number; linkname?: string; devmajor?: number; devminor?: number }

/** A ustar writer (with pax headers for long names), straight to an fd. */
class TarWriter {
  constructor(private readonly fd: number) {}

  entry(name: string, h: Header, size = 0): void {
    const pax: string[] = [];
    if (Buffer.byteLength(name) > 100) pax.push(paxRecord('path', name));
    if (h.linkname && Buffer.byteLength(h.linkname) > 100) pax.push(paxRecord('linkpath', h.linkname));
    if (pax.length) {
      const body = Buffer.from(pax.join(''));
      this.write(header('PaxHeaders/entry', { type: 'x', mode: 0o644, uid: 0, gid: 0, mtime: 0 }, body.length));
      this.write(body);
      this.pad(body.length);
    }
    this.write(header(name.slice(0, 100), { ...h, linkname: h.linkname?.slice(0, 100) }, size));
  }

  file(name: string, h: Omit<Header, 'type'>, src: number, size: number): void {
    this.entry(name, { ...h, type: '0' }, size);
    const buf = Buffer.alloc(1 << 20);
    let done = 0;
    while (done < size) {
      const n = readSync(src, buf, 0, Math.min(buf.length, size - done), done);
      if (n === 0) break;
      this.write(buf.subarray(0, n));
      done += n;
    }
    // A file that shrank meanwhile still fills the size its header says.
    if (done < size) this.write(Buffer.alloc(size - done));
    this.pad(size);
  }

  end(): void { this.write(Buffer.alloc(1024)); }

  private pad(size: number): void {
    if (size % 512) this.write(Buffer.alloc(512 - (size % 512)));
  }

  private write(b: Uint8Array): void {
    for (let off = 0; off < b.length;) off += writeSync(this.fd, b, off, b.length - off);
  }
}

function paxRecord(key: string, value: string): string {
  // "LEN key=value\n", LEN counting its own digits.
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let len = n + String(n).length;
  if (String(len).length + n !== len) len = String(len).length + n;
  return `${len}${body}`;
}

function header(name: string, h: Header, size: number): Buffer {
  const b = Buffer.alloc(512);
  const octal = (v: number, off: number, width: number) => b.write(v.toString(8).padStart(width - 1, '0') + '\0', off, 'ascii');
  b.write(name, 0, 100, 'utf8');
  octal(h.mode, 100, 8);
  octal(h.uid, 108, 8);
  octal(h.gid, 116, 8);
  octal(size, 124, 12);
  octal(Math.max(0, h.mtime), 136, 12);
  b.write(h.type, 156, 1, 'ascii');
  if (h.linkname) b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\0', 257, 'ascii');
  b.write('00', 263, 'ascii');
  if (h.devmajor !== undefined) octal(h.devmajor, 329, 8);
  if (h.devminor !== undefined) octal(h.devminor, 337, 8);
  b.write('        ', 148, 'ascii');
  let sum = 0;
  for (const x of b) sum += x;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return b;
}
