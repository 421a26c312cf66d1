// The sandbox root's overlay over a host tree, end to end: the same random shell operations run natively on a copy
// of the tree and inside tvisor on the tree itself, as the root's lower layer (read through the gofer's directory
// fds), and leave the same statuses and the same tree. The probes of test/fs-semantics run in directories the
// sandbox makes, so no lower entry is ever in their way; here every name starts out in the lower layer.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hostSh, sandboxSh, tempDir } from './helpers.js';

const PATHS = ['a', 'b', 'c', 'a/a', 'a/b', 'b/a', 'c/b', 'c/c', 'a/b/c'];

/** A shell line per operation, each printing its exit status: what a program does to files it finds in place. */
function operations(seed: number, count: number): string {
  let s = seed;
  const pick = (n: number) => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) % n; };
  const path = () => PATHS[pick(PATHS.length)]!;
  const ops = [
    () => `mkdir ${path()}`, () => `touch ${path()}`, () => `rm ${path()}`, () => `rmdir ${path()}`,
    () => `rm -rf ${path()}`, () => `mv -T ${path()} ${path()}`, () => `ln ${path()} ${path()}`,
    () => `echo w${pick(100)} > ${path()}`, () => `echo a${pick(100)} >> ${path()}`,
  ];
  return Array.from({ length: count }, () => `${ops[pick(ops.length)]!()} 2>/dev/null; echo $?`).join('\n');
}

/** The tree as it ends: each entry's kind, a file's content and link count. */
const LISTING = `find . -mindepth 1 | LC_ALL=C sort | while read -r p; do
  if [ -d "$p" ]; then echo "d $p"; else echo "f $p $(stat -c %h "$p") $(cat "$p" | tr '\\n' ' ')"; fi; done`;

/** The starting tree: every path of PATHS either a file or a directory (with a file in it), in place before the run. */
function makeTree(dir: string): void {
  execFileSync('/bin/sh', ['-c', 'mkdir -p a/b c && echo A > a/a && echo ABC > a/b/c && echo B > b && echo CB > c/b && ln b c/c'],
    { cwd: dir });
}

describe('the overlay over a host tree, against Linux', () => {
  it.each([3, 17, 2026])('random operations on lower entries leave the same statuses and tree, seed %i', (seed) => {
    const lower = tempDir('overlay-lower');
    makeTree(lower);
    const native = tempDir('overlay-native');
    execFileSync('cp', ['-a', `${lower}/.`, native]);
    const script = `${operations(seed, 120)}\necho ---\n${LISTING}`;
    const want = hostSh(script, native);
    const got = sandboxSh(script, { cwd: lower });
    expect(got.stdout, `status ${got.status}`).toBe(want.stdout);
    // The shell's own messages (a redirection it cannot make) are Linux's too.
    expect(got.stderr).toBe(want.stderr);
    // The host tree is the lower layer, read-only: untouched.
    const fresh = tempDir('overlay-fresh');
    makeTree(fresh);
    expect(hostSh(LISTING, lower).stdout).toBe(hostSh(LISTING, fresh).stdout);
  });
});
