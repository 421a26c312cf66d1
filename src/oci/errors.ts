/**
 * A field of an OCI config (config.json) that is malformed or asks for something tvisor cannot
 * honour. The message starts with the field's path (`linux.seccomp.syscalls[3].args[0].op: …`),
 * so an engine's user sees which field to change; `create` fails with it, never silently.
 */
export class ConfigError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** A runtime command that cannot be done as asked (no such container, a wrong state…): one line, exit 1. */
export class RuntimeError extends Error {}
