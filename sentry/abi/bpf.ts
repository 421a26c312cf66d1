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
