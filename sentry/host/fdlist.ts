// The fd numbers a guest process has open, as its /proc/<tgid>/fd lists them,
// read through a directory fd kept for the process's life: a listing is then
// lseek and getdents64 into one reused buffer, where readdirSync walked the
// path (the pid's lookup and proc's ptrace access check) and opened and closed
// the directory each time. The sweep and every unlink of a file the sentry
// has descriptions of list every guest process.
import { openSync } from 'node:fs';
import { E, SysErr } from '../abi/errno.js';
import { O } from '../abi/flags.js';
import { closeQuietly, host } from './fd.js';
import { libcCalls, sys } from './native.js';

const SEEK_SET = 0;
/** struct linux_dirent64: d_reclen's and d_name's offsets. */
const RECLEN = 16;
const NAME = 19;
const DOT = 0x2e;
const DIGIT_0 = 0x30;

const buf = new Uint8Array(16384);
const view = new DataView(buf.buffer);

export class FdList {
  private dir = -1;
  private ended = false;

  constructor(private readonly tgid: number) {}

  /**
   * The process's fds. The directory is the process's own (proc ties it to
   * the process, not to its number): once the process is gone it lists
   * nothing (ENOENT), even if the number is another's.
   */
  list(): number[] {
    // Its number may be another process's by now.
    if (this.ended) throw new SysErr(E.ENOENT);
    if (this.dir < 0) this.dir = host(() => openSync(`/proc/${this.tgid}/fd`, O.RDONLY | O.DIRECTORY | O.CLOEXEC));
    sys(libcCalls.lseek(this.dir, 0, SEEK_SET));
    const fds: number[] = [];
    // Only a getdents64 of 0 says the listing is whole: one that left room in the buffer may have
    // stopped early for a signal pending on this thread (filldir64), and ptrace stops send SIGCHLD.
    for (;;) {
      const n = sys(Number(libcCalls.getdents64(this.dir, buf, buf.length)));
      if (n === 0) return fds;
      for (let at = 0; at < n; at += view.getUint16(at + RECLEN, true)) {
        if (buf[at + NAME] === DOT) continue;
        let fd = 0;
        for (let i = at + NAME; buf[i] !== 0; i++) fd = fd * 10 + buf[i]! - DIGIT_0;
        fds.push(fd);
      }
    }
  }

  /** The process ended. */
  close(): void {
    if (this.dir >= 0) closeQuietly(this.dir);
    this.dir = -1;
    this.ended = true;
  }
}
