// File names are bytes (Linux never decodes them). The sentry keeps a name,
// a path, a symlink's body or an xattr name as a JS string of those bytes,
// one character per byte (U+0000..U+00FF, Node's 'latin1'): every byte
// sequence has exactly one such string and back, so nothing is lost, and
// names stay strings (Map keys, slicing at '/', comparisons) at no cost.
// Bytes become such strings where they come in (guest memory, the gofer's
// wire, the host's answers) and go back to bytes where they go out; text
// (the runtime's config, the command line: UTF-8) is turned into names once,
// where it enters, and names into text only to be shown (logs, messages).

/** The bytes of a name. */
export function nameBytes(name: string): Buffer {
  return Buffer.from(name, 'latin1');
}

/** A name from its bytes. */
export function bytesName(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** One name of a directory, as the *at calls take one to stay in it: not "", ".", "..", nor with a "/" or a NUL. */
export function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** UTF-8 text (a config's path, an argument) as the name its bytes spell. */
export function textName(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A name shown as text (logs, messages): its bytes read as UTF-8. */
export function nameText(name: string): string {
  return Buffer.from(name, 'latin1').toString('utf8');
}
