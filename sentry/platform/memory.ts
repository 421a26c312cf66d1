// A guest's memory, as the handlers read and write it: GuestMemory is what
// every platform gives (Platform.memory); the ptrace platform's is
// ProcessVmMemory (process_vm_readv/writev by tid). Another platform (one
// reading through shared mappings) gives its own, and no handler changes.
import { E, SysErr } from '../abi/errno.js';
import { native } from '../host/native.js';
import { MAX_ARG_STRLEN, PATH_MAX } from '../abi/flags.js';

/** Whose memory: a thread, by its current host tid (it changes when another thread of its group execs). */
export interface MemoryOwner {
  readonly tid: number;
}

export interface GuestMemory {
  /** A NUL-terminated string of at most `max` bytes, one character per byte (see abi/names.ts): EFAULT or ENAMETOOLONG otherwise. */
  readString(addr: number, max?: number): string;
  /** A path argument: EFAULT for a bad pointer, ENAMETOOLONG past PATH_MAX. */
  readPath(addr: number): string;
  /** Two path arguments (rename's, link's), read as readPath reads each, the first one's error first. */
  readPaths(first: number, second: number): [string, string];
  /** `len` bytes, or EFAULT. */
  read(addr: number, len: number): Uint8Array;
  /** All of `data`, or EFAULT. */
  write(addr: number, data: Uint8Array): void;
  /** A little-endian 64-bit value (up to 2^53). */
  readU64(addr: number): number;
  /** A NULL-terminated array of string pointers (argv, envp). */
  readStringArray(addr: number, maxCount?: number): string[];
}

const strBuf = Buffer.alloc(PATH_MAX + 1);
/** Both of readPaths' strings, one PATH_MAX + 1 apart, with their addresses and lengths. */
const pairBuf = Buffer.alloc(2 * (PATH_MAX + 1));
const pairAddrs = new Float64Array(2);
const pairLens = new Int32Array(2);
/** For the longer strings (exec's arguments and environment), made when one is first read. */
let longBuf: Buffer | null = null;

/**
 * A thread's memory through process_vm_readv/writev (the C glue's readStr
 * reads a string page by page). The same class, call for call, as the
 * handlers used before memory was the platform's: this is the hot path.
 */
export class ProcessVmMemory implements GuestMemory {
  constructor(private readonly owner: MemoryOwner) {}

  readString(addr: number, max = PATH_MAX - 1): string {
    const buf = max <= PATH_MAX ? strBuf : (longBuf ??= Buffer.alloc(MAX_ARG_STRLEN + 1));
    const n = native.readStr(this.owner.tid, addr, buf, Math.min(max, buf.length - 1));
    if (n < 0) throw new SysErr(-n);
    // Names are bytes: 'latin1' keeps each one as one character (abi/names.ts).
    return buf.toString('latin1', 0, n);
  }

  readPath(addr: number): string {
    return this.readString(addr, PATH_MAX - 1);
  }

  /**
   * One process_vm_readv for both when each ends on the page it starts on, as
   * most do: a call fewer than two readPath. Otherwise (a string that runs
   * onto the next page, a bad pointer) each is read by itself.
   */
  readPaths(first: number, second: number): [string, string] {
    pairAddrs[0] = first;
    pairAddrs[1] = second;
    if (native.readStrs(this.owner.tid, pairAddrs, 2, pairBuf, PATH_MAX + 1, PATH_MAX - 1, pairLens) === 0 &&
        pairLens[0]! >= 0 && pairLens[1]! >= 0) {
      return [pairBuf.toString('latin1', 0, pairLens[0]), pairBuf.toString('latin1', PATH_MAX + 1, PATH_MAX + 1 + pairLens[1]!)];
    }
    const a = this.readPath(first);
    return [a, this.readPath(second)];
  }

  read(addr: number, len: number): Uint8Array {
    const buf = new Uint8Array(len);
    if (len === 0) return buf;
    const n = native.readMem(this.owner.tid, addr, buf, len);
    if (n !== len) throw new SysErr(E.EFAULT);
    return buf;
  }

  write(addr: number, data: Uint8Array): void {
    if (data.length === 0) return;
    const n = native.writeMem(this.owner.tid, addr, data, data.length);
    if (n !== data.length) throw new SysErr(E.EFAULT);
  }

  readU64(addr: number): number {
    const b = this.read(addr, 8);
    const v = new DataView(b.buffer);
    return v.getUint32(4, true) * 0x1_0000_0000 + v.getUint32(0, true);
  }

  readStringArray(addr: number, maxCount = 0x7fffffff): string[] {
    const out: string[] = [];
    if (addr === 0) return out;
    for (let i = 0; ; i++) {
      if (i >= maxCount) throw new SysErr(E.E2BIG);
      const p = this.readU64(addr + 8 * i);
      if (p === 0) return out;
      try {
        out.push(this.readString(p, MAX_ARG_STRLEN - 1));
      } catch (e) {
        // A string longer than execve takes is E2BIG (copy_strings), not a name too long.
        throw e instanceof SysErr && e.errno === E.ENAMETOOLONG ? new SysErr(E.E2BIG) : e;
      }
    }
  }
}
