// The records getdents64(2) fills (struct linux_dirent64), read: the gofer
// lists host directories with them, and so does the sentry for the overlay's
// lower layer (fs/gofer/direct.ts).

/** One record: its name (a view of the buffer, without the NUL), d_ino, d_type, and where it starts. */
export interface Dirent64 { name: Uint8Array; ino: number; type: number; at: number }

/** The d_off of the record at `at`: the cookie that resumes a listing after it (8 bytes, a view of the buffer). */
export function direntCookie(buf: Uint8Array, at: number): Uint8Array {
  return buf.subarray(at + 8, at + 16);
}

/** Calls `each` for every record of the first `n` bytes of `buf`, "." and ".." too, until it returns false. */
export function forEachDirent64(buf: Uint8Array, n: number, each: (d: Dirent64) => boolean | void): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = 0; at < n; at += view.getUint16(at + 16, true)) {
    const end = buf.indexOf(0, at + 19);
    const d = { name: buf.subarray(at + 19, end), ino: view.getUint32(at + 4, true) * 0x1_0000_0000 + view.getUint32(at, true),
      type: view.getUint8(at + 18), at };
    if (each(d) === false) return;
  }
}

/** Whether a record's name is "." or "..". */
export function isDots(name: Uint8Array): boolean {
  return name.length <= 2 && name[0] === 0x2e && (name.length === 1 || name[1] === 0x2e);
}
