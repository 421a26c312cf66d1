// The new program's initial stack, at its exec stop: argc, argv, envp and the
// auxiliary vector the host kernel built (create_elf_tables), which the
// sentry corrects where the host could not know the sandbox's view.
import type { GuestMemory } from '../platform/memory.js';

const AT_NULL = 0;
const AT_SECURE = 23;
const AT_EXECFN = 31;

export class InitialStack {
  private readonly view: DataView;
  /** Where the auxiliary vector's pairs start, and the block's length (through AT_NULL's pair). */
  private readonly auxv: number;
  private readonly length: number;
  private execfn: Buffer | null = null;

  private constructor(private readonly sp: number, private readonly block: Uint8Array) {
    this.view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    let p = 8 * (this.word(0) + 2);
    while (this.word(p) !== 0) p += 8;
    this.auxv = p + 8;
    for (p = this.auxv; this.word(p) !== AT_NULL; p += 16);
    this.length = p + 16;
  }

  /**
   * Reads it from `sp` in one call: everything below argv[0]'s string, the lowest of the strings the kernel copied
   * (the pointers, then the platform string and AT_RANDOM's bytes).
   */
  static read(mem: GuestMemory, sp: number): InitialStack {
    const head = new DataView(mem.read(sp, 16).buffer);
    const argv0 = head.getUint32(12, true) * 0x1_0000_0000 + head.getUint32(8, true);
    if (argv0 <= sp) throw new Error('the initial stack has no argv[0] string above its pointers');
    return new InitialStack(sp, mem.read(sp, argv0 - sp));
  }

  private word(off: number): number {
    if (off + 8 > this.block.length) throw new Error('the initial stack ends before its auxiliary vector does');
    return this.view.getUint32(off + 4, true) * 0x1_0000_0000 + this.view.getUint32(off, true);
  }

  private setAux(type: number, value: number): void {
    for (let p = this.auxv; this.word(p) !== AT_NULL; p += 16) {
      if (this.word(p) === type) {
        this.view.setBigUint64(p + 8, BigInt(value), true);
        return;
      }
    }
    throw new Error(`no entry ${type} in the auxiliary vector`);
  }

  /** AT_SECURE, which the host (seeing no change of ids) left 0: the loader and libc run in secure mode. */
  markSecure(): void { this.setAux(AT_SECURE, 1); }

  /** AT_EXECFN names `name` (bytes, NUL-terminated), where the host's names the fd it ran. */
  nameProgram(name: Buffer): void { this.execfn = name; }

  /**
   * Writes it back, and the stack pointer the program starts with: to name the program, the pointers move down by
   * the name's length (rounded to keep the ABI's 16-byte alignment) and the name goes just above them, where they
   * were, since nothing above them may move (the strings the pointers point to).
   */
  write(mem: GuestMemory): number {
    if (this.execfn === null) {
      mem.write(this.sp, this.block.subarray(0, this.length));
      return this.sp;
    }
    const shift = (this.execfn.length + 15) & ~15;
    const sp = this.sp - shift;
    this.setAux(AT_EXECFN, sp + this.length);
    const out = new Uint8Array(this.length + this.execfn.length);
    out.set(this.block.subarray(0, this.length));
    out.set(this.execfn, this.length);
    mem.write(sp, out);
    return sp;
  }
}
