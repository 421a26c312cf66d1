// A set-user-ID exec must run the file the sentry checked, with the arguments
// it checked: a user who swaps either before the host kernel maps the program
// would run a program of their own with the owner's ids. test/c/setidrace.c
// races one, as uid 1000, against a setuid-root copy of itself.
import { describe, expect, it } from 'vitest';
import { compile, sandboxSh } from './helpers.js';

describe('set-id exec races', () => {
  // symlink: another process flips the path between the exec's checks and the loader's open of the program;
  // thread: another thread rewrites the program's path in the arguments staged below the caller's stack.
  it.each(['symlink', 'thread'])('%s: the owner\'s ids go to the checked program only', (mode) => {
    const racer = compile('setidrace', ['-pthread']);
    const r = sandboxSh(`mkdir /tmp/race && ${racer} /tmp/race ${mode} 150`);
    expect(r.stdout).toBe('victim as root yes, evil as root 0\n');
    expect(r.status).toBe(0);
  });
});
