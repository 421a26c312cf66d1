// Reading and writing a guest's memory (process_vm_readv/writev).
import { E, SysErr } from '../abi/errno.js';
import { native } from '../host/native.js';
import { PATH_MAX } from '../abi/flags.js';

const strBuf = new Uint8Array(PATH_MAX + 1);
const decoder = new TextDecoder();

export class GuestMemory {
  constructor(private readonly tid: () => number) {}

  /** A NUL-terminated string of at most `max` bytes: EFAULT or ENAMETOOLONG otherwise. */
  readString(addr: number, max = PATH_MAX - 1): string {
    const n = native.readStr(this.tid(), addr, strBuf, Math.min(max, PATH_MAX));
    if (n < 0) throw new SysErr(-n);
    return decoder.decode(strBuf.subarray(0, n));
  }

  /** A path argument: EFAULT for a bad pointer, ENAMETOOLONG past PATH_MAX. */
  readPath(addr: number): string {
    return this.readString(addr, PATH_MAX - 1);
  }

  read(addr: number, len: number): Uint8Array {
    const buf = new Uint8Array(len);
    if (len === 0) return buf;
    const n = native.readMem(this.tid(), addr, buf, len);
    if (n !== len) throw new SysErr(E.EFAULT);
    return buf;
  }

  write(addr: number, data: Uint8Array): void {
    if (data.length === 0) return;
    const n = native.writeMem(this.tid(), addr, data, data.length);
    if (n !== data.length) throw new SysErr(E.EFAULT);
  }

  readU64(addr: number): number {
    const b = this.read(addr, 8);
    const v = new DataView(b.buffer);
    return v.getUint32(4, true) * 0x1_0000_0000 + v.getUint32(0, true);
  }

  /** A NULL-terminated array of string pointers (argv, envp). */
  readStringArray(addr: number, maxCount = 0x7fffffff): string[] {
    const out: string[] = [];
    if (addr === 0) return out;
    for (let i = 0; ; i++) {
      if (i >= maxCount) throw new SysErr(E.E2BIG);
      const p = this.readU64(addr + 8 * i);
      if (p === 0) return out;
      out.push(this.readString(p, 131072));
    }
  }
}
