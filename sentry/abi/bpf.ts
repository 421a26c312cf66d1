// Classic BPF as seccomp programs use it (linux/filter.h, linux/seccomp.h):
// the opcodes and the offsets of struct seccomp_data.
export const BPF = {
  LD_W_ABS: 0x20, ALU_AND_K: 0x54, JMP_JA: 0x05, JMP_JEQ_K: 0x15, JMP_JGT_K: 0x25, JMP_JGE_K: 0x35, JMP_JSET_K: 0x45,
  RET_K: 0x06,
} as const;

export const SECCOMP_DATA = {
  NR: 0,
  ARCH: 4,
  /** The low 32 bits of argument i (little-endian). */
  argLow: (i: number) => 16 + 8 * i,
  argHigh: (i: number) => 16 + 8 * i + 4,
} as const;

/** The most instructions the kernel loads in one program. */
export const BPF_MAXINSNS = 4096;

/** One struct sock_filter. */
export interface Insn { code: number; jt: number; jf: number; k: number }

/** The program as the kernel takes it: struct sock_filter, 8 bytes each, little-endian. */
export function encodeProgram(insns: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * 8);
  const view = new DataView(bytes.buffer);
  insns.forEach((ins, i) => {
    view.setUint16(i * 8, ins.code, true);
    view.setUint8(i * 8 + 2, ins.jt);
    view.setUint8(i * 8 + 3, ins.jf);
    view.setUint32(i * 8 + 4, ins.k >>> 0, true);
  });
  return bytes;
}
