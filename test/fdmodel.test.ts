// Descriptors that move natively (dup, dup2, fcntl, fork, exec, sockets)
// behave as on Linux under tvisor: the same program, the same output.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compile, tempDir, tvisorDo } from './helpers.js';

describe('the fd model', () => {
  it('matches Linux', () => {
    const bin = compile('fdmodel');
    const native = execFileSync(bin, [tempDir('fd'), bin], { encoding: 'utf8' });
    const r = tvisorDo(['/bin/sh', '-c', `mkdir /tmp/fdm && exec ${bin} /tmp/fdm ${bin}`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(native);
    expect(native).toMatch(/after exec: cloexec fd \d+ closed, kept fd open/);
  });
});
