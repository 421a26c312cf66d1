// execve's loader decisions, made in the sandbox's view: `#!` scripts
// (nested, as binfmt_script does) and the ELF interpreter (PT_INTERP), which
// the host kernel would otherwise look up on the host.
import { closeSync, readSync } from 'node:fs';
import { E, SysErr } from '../abi/errno.js';
import type { LoaderProgram, Task } from '../kernel/task.js';
import type { VfsPath } from '../vfs/mount.js';
import { S_ISGID, S_ISUID, type Stat } from '../abi/stat.js';
import { HeldFd } from '../host/fd.js';
import { ForeignProgram } from './foreign.js';
import { openExecutable } from '../vfs/ops.js';
import { inodePermission, MAY_READ } from '../vfs/permissions.js';
import { pathOf, resolve } from '../vfs/walk.js';

/** binfmt_script's limit on interpreter nesting. */
const MAX_SCRIPT_DEPTH = 4;
const BINPRM_BUF_SIZE = 256;
const PT_INTERP = 3;

export interface ExecPlan {
  /** Sentry-owned fd of the file the host kernel maps: the program, or its ELF interpreter. */
  hostFd: number;
  /** argv as the host kernel receives it. */
  hostArgv: string[];
  /** argv as the program sees it (and /proc/self/cmdline shows it). */
  argv: string[];
  /** Sandbox path of the program, for /proc/self/exe. */
  exe: string;
  /** The ids a set-user-ID or set-group-ID program runs with (null: the caller's). */
  setuid: number | null;
  setgid: number | null;
  /**
   * A dynamic program, which its loader opens by a path: that path, and the file the exec checked, which that open
   * gets (ThreadGroup.takeLoaderProgram). Linux maps the very file it checked; the path may name another by then.
   */
  program: LoaderProgram | null;
  /** The caller may not read the program or its loader: the new image is not dumpable (would_dump). */
  unreadable: boolean;
}

/**
 * The program's set-id bits (`st`), unless its mount is nosuid or the task
 * has no_new_privs (bprm_fill_uid); a script's do not count.
 */
function setIds(t: Task, at: VfsPath, st: Stat): Pick<ExecPlan, 'setuid' | 'setgid'> {
  // A host object's ids and mode bits are not the sandbox's to honour.
  if (at.mount.flags.nosuid || t.creds.noNewPrivs || at.inode.isForeign()) return { setuid: null, setgid: null };
  return {
    setuid: (st.mode & S_ISUID) ? st.uid : null,
    setgid: (st.mode & (S_ISGID | 0o010)) === (S_ISGID | 0o010) ? st.gid : null,
  };
}

/** A program file open for the exec, with the attributes it was checked by. */
interface Opened { at: VfsPath; hostFd: number; st: Stat }

function openProgram(t: Task, at: VfsPath): Opened {
  const { hostFd, st } = openExecutable(t, at);
  t.tg.noteOpened(at.inode, pathOf(t, at).path);
  return { at, hostFd, st };
}

/** The caller may not read one of `files` (would_dump). */
function unreadable(t: Task, ...files: Opened[]): boolean {
  return files.some((f) => !inodePermission(t, f.st, MAY_READ, f.at.inode));
}

function readAt(fd: number, len: number, pos: number): Buffer {
  const buf = Buffer.alloc(len);
  const n = readSync(fd, buf, 0, len, pos);
  return buf.subarray(0, n);
}

function elfInterpreter(fd: number, head: Buffer): string | null {
  if (head.length < 64 || head[4] !== 2 /* ELFCLASS64 */) throw new SysErr(E.ENOEXEC);
  const phoff = Number(head.readBigUInt64LE(32));
  const phentsize = head.readUInt16LE(54);
  const phnum = head.readUInt16LE(56);
  if (phentsize < 56 || phnum > 1024) throw new SysErr(E.ENOEXEC);
  const phdrs = readAt(fd, phentsize * phnum, phoff);
  for (let i = 0; i < phnum; i++) {
    const off = i * phentsize;
    if (off + 56 > phdrs.length) break;
    if (phdrs.readUInt32LE(off) !== PT_INTERP) continue;
    const pOffset = Number(phdrs.readBigUInt64LE(off + 8));
    const size = Number(phdrs.readBigUInt64LE(off + 32));
    if (size < 2 || size > 4096) throw new SysErr(E.ENOEXEC);
    const raw = readAt(fd, size, pOffset);
    const nul = raw.indexOf(0);
    return raw.subarray(0, nul < 0 ? raw.length : nul).toString('latin1');
  }
  return null;
}

/** `#!interp [arg]`: what binfmt_script takes from the first line. */
function parseShebang(head: Buffer): { interp: string; arg: string | null } {
  let line = head.subarray(2).toString('latin1');
  const nl = line.indexOf('\n');
  if (nl >= 0) line = line.slice(0, nl);
  else if (head.length >= BINPRM_BUF_SIZE) throw new SysErr(E.ENOEXEC);
  line = line.replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
  if (line === '') throw new SysErr(E.ENOEXEC);
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line)!;
  return { interp: m[1]!, arg: m[2] ?? null };
}

/** glibc's dynamic loader takes --argv0 (since 2.33); others get the plain form. */
function loaderArgv(interp: string, argv: string[], program: string): string[] {
  const base = interp.slice(interp.lastIndexOf('/') + 1);
  if (base.startsWith('ld-linux')) return [interp, '--argv0', argv[0] ?? program, program, ...argv.slice(1)];
  return [interp, program, ...argv.slice(1)];
}

/**
 * Decides what the host kernel runs for execve(path, argv) by task `t`:
 * `start` is where a relative path starts.
 */
export function planExec(t: Task, start: VfsPath, path: string, argv: string[], depth = 0): ExecPlan {
  return planExecOf(t, resolve(t, start, path, { followFinal: true }), start, path, argv, depth);
}

/** The same for a program already found (fexecve): `path` is how the loader may reopen it. */
export function planExecOf(t: Task, at: VfsPath, start: VfsPath, path: string, argv: string[], depth = 0): ExecPlan {
  const opened = openProgram(t, at);
  const fd = opened.hostFd;
  let keep = false;
  try {
    const head = readAt(fd, BINPRM_BUF_SIZE, 0);
    if (head[0] === 0x23 && head[1] === 0x21 /* #! */) {
      if (depth >= MAX_SCRIPT_DEPTH) throw new SysErr(E.ELOOP);
      const { interp, arg } = parseShebang(head);
      const scriptArgv = [interp, ...(arg !== null ? [arg] : []), path, ...argv.slice(1)];
      return planExec(t, start, interp, scriptArgv, depth + 1);
    }
    if (head.readUInt32BE(0) !== 0x7f454c46 /* \x7fELF */) throw new SysErr(E.ENOEXEC);
    // A host object has no place in the sandbox: it is named as its fd's link names it.
    const exe = at.inode instanceof ForeignProgram ? at.inode.shownAs : at.inode.isForeign() ? path : pathOf(t, at).path;
    const interp = elfInterpreter(fd, head);
    if (interp === null) {
      keep = true;
      return { hostFd: fd, hostArgv: argv, argv, exe, ...setIds(t, at, opened.st), program: null, unreadable: unreadable(t, opened) };
    }
    const loader = openProgram(t, resolve(t, t.fs.root, interp, { followFinal: true }));
    // The loader opens the program itself, through the sentry, from the same cwd (by a path with a slash: it looks a
    // bare name up in its library directories), and gets the file opened here, held until then.
    const program = path.startsWith('/') ? path : start !== t.fs.cwd ? exe : path.includes('/') ? path : './' + path;
    const held = new HeldFd(fd);
    keep = true;
    return {
      hostFd: loader.hostFd, hostArgv: loaderArgv(interp, argv, program), argv, exe, ...setIds(t, at, opened.st),
      unreadable: unreadable(t, opened, loader),
      program: { path: program, at: { mount: at.mount, inode: at.inode, through: held }, release: () => held.close() },
    };
  } finally {
    if (!keep) closeSync(fd);
  }
}
