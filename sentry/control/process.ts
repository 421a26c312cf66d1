// A new process as the runtime describes it to the sandbox (in the spec at
// boot, in an Exec request later): plain data that crosses a process
// boundary (JSON in the spec, protobuf on the control socket), turned here
// into the kernel's ProcessSpec.
import { processCreds } from '../auth/creds.js';
import type { ProcessSpec } from '../kernel/launch.js';
import { textName } from '../abi/names.js';
import type { ContainerSpec } from '../pod.js';

export interface RlimitConfig { resource: number; soft: string; hard: string }

/** Capability sets as hexadecimal bit masks (64 bits do not fit a JSON number). */
export interface CapabilitiesConfig { bounding: string; effective: string; permitted: string; inheritable: string }

export interface ProcessConfig {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  /** Absent: the sandbox process's own supplementary groups (`do`). */
  additionalGids?: number[];
  umask?: number;
  rlimits?: RlimitConfig[];
  capabilities?: CapabilitiesConfig;
  noNewPrivileges?: boolean;
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  /** The container's compiled seccomp profile, base64. */
  seccomp?: string;
}

export const DEFAULT_UMASK = 0o022;

/**
 * A container as the runtime adds it to a pod (CreateContainer's spec): its tree, its first process, and the
 * cgroup.procs files of its own cgroup (the runtime made it with the container's limits), one per hierarchy.
 */
export type ContainerConfig = ContainerSpec & { process: ProcessConfig; cgroupProcs?: string[] };

export function toProcessSpec(c: ProcessConfig): ProcessSpec {
  const caps = c.capabilities && {
    bounding: BigInt('0x' + c.capabilities.bounding), effective: BigInt('0x' + c.capabilities.effective),
    permitted: BigInt('0x' + c.capabilities.permitted), inheritable: BigInt('0x' + c.capabilities.inheritable),
  };
  return {
    // Text (UTF-8) here; the kernel's strings are bytes (abi/names.ts).
    argv: c.args.map(textName),
    env: c.env.map(textName),
    cwd: textName(c.cwd),
    creds: processCreds({ uid: c.uid, gid: c.gid, groups: c.additionalGids, caps, noNewPrivs: c.noNewPrivileges ?? false }),
    umask: c.umask ?? DEFAULT_UMASK,
    rlimits: (c.rlimits ?? []).map((l) => ({ resource: l.resource, soft: BigInt(l.soft), hard: BigInt(l.hard) })),
    ...(c.seccomp ? { seccomp: Buffer.from(c.seccomp, 'base64') } : {}),
  };
}
