// The tvisor package's library API: `import { Sandbox } from 'tvisor'`.
export { type Bind, type Change, type ChangeKind, type FileKind, type Exit, type Limits, Run, type RunOptions, Sandbox, SandboxError, type SandboxOptions,
  type OutputOption, type StdinOption, type SyscallRecord } from './sandbox.js';
export type { VolumeFs, VolumeStats } from './volume.js';
