// OCI hooks: each runs as a host process with the container's state as JSON
// on its stdin, in runc's order (create: prestart, createRuntime,
// createContainer; start: startContainer, poststart; delete: poststop). A
// failing hook fails its command, but for poststart and poststop, which
// are only reported, as runc does.
import { spawnSync } from 'node:child_process';
import type { Hook } from './config.js';
import { RuntimeError } from './errors.js';

export function runHooks(kind: string, hooks: Hook[] | undefined, state: object): void {
  for (const [i, h] of (hooks ?? []).entries()) {
    const r = spawnSync(h.path, (h.args ?? [h.path]).slice(1), {
      argv0: h.args?.[0] ?? h.path,
      env: Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      input: JSON.stringify(state),
      stdio: ['pipe', 'inherit', 'pipe'],
      timeout: h.timeout ? h.timeout * 1000 : undefined,
    });
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
      throw new RuntimeError(`hooks.${kind}[${i}] (${h.path}): ${why}${r.stderr?.length ? `: ${r.stderr.toString().trim()}` : ''}`);
    }
  }
}
