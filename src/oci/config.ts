// An OCI bundle's config.json, checked field by field and turned into what
// the sandbox runs. Whatever the sandbox cannot honour is a ConfigError
// naming the field: create fails, nothing is silently left out. What is
// accepted without effect, and why, is listed in docs/design.md
// ("The OCI runtime").
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import type { MountSpec, SandboxSpec, VolumeSpec } from '../../sentry/boot.js';
import type { ProcessConfig, RlimitConfig } from '../../sentry/control/process.js';
import { MountOptionError, parseMountOptions } from '../../sentry/vfs/mountopts.js';
import { ConfigError } from './errors.js';
import { compileSeccomp } from './seccomp.js';

export interface Hook { path: string; args?: string[]; env?: string[]; timeout?: number }
export type HookKind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';
export type Hooks = Partial<Record<HookKind, Hook[]>>;

export interface Resources {
  /** Bytes; 0: no limit. */
  memory: number;
  /** 0: no limit. */
  pids: number;
  cpu?: { shares?: number; quota?: number; period?: number };
}

/**
 * The container's place in a pod, from the annotations engines write:
 * containerd's CRI (io.kubernetes.cri.container-type, .sandbox-id) and
 * CRI-O's (io.kubernetes.cri-o.ContainerType, .SandboxID). A sandbox (or a
 * container outside any pod) starts a sentry; a container joins its pod's.
 * joinable: the annotations name it a pod's sandbox, which containers will join.
 */
export type PodRole = { kind: 'sandbox'; joinable: boolean } | { kind: 'container'; sandboxId: string; sharePidNamespace: boolean };

/** What create needs from the config, checked. */
export interface RuntimeConfig {
  ociVersion: string;
  sandbox: Pick<SandboxSpec, 'rootfs' | 'rootReadonly' | 'hostname' | 'mounts' | 'maskedPaths' | 'readonlyPaths' | 'netns' | 'volumes'> &
    Required<Pick<SandboxSpec, 'process'>>;
  pod: PodRole;
  resources: Resources;
  hooks: Hooks;
  annotations: Record<string, string>;
  /** Namespaced sysctls, written in the sandbox's namespaces before its process starts. */
  sysctl: Record<string, string>;
  oomScoreAdj?: number;
}

type Json = Record<string, unknown>;

function obj(v: unknown, field: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(field, 'expected an object');
  return v as Json;
}
function optObj(v: unknown, field: string): Json | undefined { return v === undefined || v === null ? undefined : obj(v, field); }
function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new ConfigError(field, 'expected a string');
  return v;
}
function optStr(v: unknown, field: string): string | undefined { return v === undefined ? undefined : str(v, field); }
function int(v: unknown, field: string, min = -(2 ** 53), max = 2 ** 53): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(field, 'expected an integer');
  return v;
}
function arr(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(field, 'expected an array');
  return v;
}
function strs(v: unknown, field: string): string[] { return arr(v, field).map((x, i) => str(x, `${field}[${i}]`)); }

/** Fields the sandbox does not implement: present and not empty, they fail create. */
function refuse(v: unknown, field: string, why: string): void {
  if (v === undefined || v === null) return;
  if (Array.isArray(v) && v.length === 0) return;
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) return;
  throw new ConfigError(field, why);
}

export function loadConfig(bundle: string): RuntimeConfig {
  const path = join(bundle, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError('config.json', `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseConfig(raw, bundle);
}

export function parseConfig(raw: unknown, bundle: string): RuntimeConfig {
  const c = obj(raw, 'config');
  const ociVersion = str(c.ociVersion, 'ociVersion');
  const root = obj(c.root, 'root');
  const rootPath = str(root.path, 'root.path');
  const rootfs = isAbsolute(rootPath) ? rootPath : resolvePath(bundle, rootPath);
  if (!isDirectory(rootfs)) throw new ConfigError('root.path', `${rootfs} is not a directory`);
  const linux = optObj(c.linux, 'linux') ?? {};
  refuse(linux.uidMappings, 'linux.uidMappings', 'user namespaces are not supported');
  refuse(linux.gidMappings, 'linux.gidMappings', 'user namespaces are not supported');
  refuse(linux.devices, 'linux.devices', 'device nodes from the host are not given to a sandbox');
  refuse(linux.intelRdt, 'linux.intelRdt', 'not supported');
  refuse(linux.personality, 'linux.personality', 'not supported');
  refuse(linux.timeOffsets, 'linux.timeOffsets', 'not supported');
  const process = processConfig(c.process, 'process');
  if (process.seccomp === undefined && linux.seccomp) {
    process.seccomp = Buffer.from(compileSeccomp(linux.seccomp, 'linux.seccomp')).toString('base64');
  }
  const oomScoreAdj = obj(c.process, 'process').oomScoreAdj;
  const annotations = stringMap(c.annotations, 'annotations');
  const role = podRole(annotations);
  const ns = namespaces(linux.namespaces, role);
  const pod: PodRole = role.kind === 'container' ? { ...role, sharePidNamespace: ns.joinsPid } : role;
  const volumes = mountHints(annotations).filter((h) => h.share !== 'container');
  return {
    ociVersion,
    sandbox: {
      rootfs,
      rootReadonly: root.readonly === undefined ? false : bool(root.readonly, 'root.readonly'),
      hostname: optStr(c.hostname, 'hostname'),
      mounts: arr(c.mounts, 'mounts').map((m, i) => mountSpec(m, `mounts[${i}]`, bundle)),
      maskedPaths: strs(linux.maskedPaths, 'linux.maskedPaths'),
      readonlyPaths: strs(linux.readonlyPaths, 'linux.readonlyPaths'),
      process,
      ...(ns.netns ? { netns: ns.netns } : {}),
      ...(volumes.length ? { volumes: volumes.map(({ share: _, ...v }) => v) } : {}),
    },
    pod,
    resources: resources(linux.resources),
    hooks: hooks(c.hooks),
    annotations,
    sysctl: sysctls(linux.sysctl),
    ...(oomScoreAdj === undefined ? {} : { oomScoreAdj: int(oomScoreAdj, 'process.oomScoreAdj', -1000, 1000) }),
  };
}

function isDirectory(p: string): boolean {
  try { return statSync(p).isDirectory(); } catch { return false; }
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(field, 'expected true or false');
  return v;
}

function stringMap(v: unknown, field: string): Record<string, string> {
  const o = optObj(v, field) ?? {};
  for (const [k, x] of Object.entries(o)) str(x, `${field}.${k}`);
  return o as Record<string, string>;
}

const CONTAINER_TYPE = ['io.kubernetes.cri.container-type', 'io.kubernetes.cri-o.ContainerType'];
const SANDBOX_ID = ['io.kubernetes.cri.sandbox-id', 'io.kubernetes.cri-o.SandboxID'];

function podRole(a: Record<string, string>): { kind: 'sandbox'; joinable: boolean } | { kind: 'container'; sandboxId: string; sharePidNamespace: false } {
  const typeKey = CONTAINER_TYPE.find((k) => a[k] !== undefined);
  if (!typeKey) return { kind: 'sandbox', joinable: false };
  const type = a[typeKey]!;
  if (type === 'sandbox') return { kind: 'sandbox', joinable: true };
  if (type !== 'container') throw new ConfigError(`annotations.${typeKey}`, `unknown container type ${type}`);
  const idKey = SANDBOX_ID.find((k) => a[k] !== undefined);
  if (!idKey || !a[idKey]) throw new ConfigError(`annotations.${SANDBOX_ID[0]}`, 'a container of a pod needs its sandbox\'s id');
  return { kind: 'container', sandboxId: a[idKey]!, sharePidNamespace: false };
}

const HINT = /^dev\.gvisor\.spec\.mount\.([^.]+)\.(source|type|share|options)$/;

/** runsc's mount hints (dev.gvisor.spec.mount.<name>.*): the pod's volumes and how they are shared. */
function mountHints(a: Record<string, string>): (VolumeSpec & { share: string })[] {
  const byName = new Map<string, Record<string, string>>();
  for (const [key, value] of Object.entries(a)) {
    const m = HINT.exec(key);
    if (!m) continue;
    const h = byName.get(m[1]!) ?? {};
    h[m[2]!] = value;
    byName.set(m[1]!, h);
  }
  return [...byName].map(([name, h]) => {
    const field = (k: string) => `annotations.dev.gvisor.spec.mount.${name}.${k}`;
    if (!h.source) throw new ConfigError(field('source'), 'a mount hint needs a source');
    if (h.type !== 'bind' && h.type !== 'tmpfs') throw new ConfigError(field('type'), `expected bind or tmpfs, not ${h.type}`);
    if (!['container', 'pod', 'shared'].includes(h.share ?? '')) {
      throw new ConfigError(field('share'), `expected container, pod or shared, not ${h.share}`);
    }
    if (h.type === 'bind') {
      try { statSync(h.source); } catch { throw new ConfigError(field('source'), `${h.source} does not exist`); }
    }
    return { name, source: h.source, type: h.type, share: h.share!, options: (h.options ?? '').split(',').filter(Boolean) };
  });
}

/**
 * The new namespaces are always pid, mount, ipc, uts and network; a
 * network namespace may be joined. A container of a pod is in its pod's
 * network, IPC and UTS namespaces whatever paths its engine gives (they are
 * the sandbox's), and in the pod's pid namespace when its config joins one.
 */
function namespaces(v: unknown, role: PodRole): { netns?: string; joinsPid: boolean } {
  let netns: string | undefined;
  let joinsPid = false;
  const inPod = role.kind === 'container';
  arr(v, 'linux.namespaces').forEach((n, i) => {
    const field = `linux.namespaces[${i}]`;
    const ns = obj(n, field);
    const type = str(ns.type, `${field}.type`);
    const path = optStr(ns.path, `${field}.path`);
    switch (type) {
      case 'network': if (path && !inPod) netns = path; break;
      case 'pid': case 'ipc': case 'uts': case 'mount':
        if (path && inPod && type !== 'mount') { if (type === 'pid') joinsPid = true; break; }
        if (path) throw new ConfigError(`${field}.path`, `joining another ${type} namespace is not supported`);
        break;
      case 'cgroup': break;
      case 'user': throw new ConfigError(field, 'user namespaces are not supported');
      case 'time': throw new ConfigError(field, 'time namespaces are not supported');
      default: throw new ConfigError(`${field}.type`, `unknown namespace type ${type}`);
    }
  });
  return { ...(netns ? { netns } : {}), joinsPid };
}

const MOUNT_TYPES = new Set(['bind', 'tmpfs', 'proc', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2']);

function mountSpec(v: unknown, field: string, bundle: string): MountSpec {
  const m = obj(v, field);
  const destination = str(m.destination, `${field}.destination`);
  if (!destination.startsWith('/')) throw new ConfigError(`${field}.destination`, 'must be an absolute path');
  const options = strs(m.options, `${field}.options`);
  let type = m.type === undefined ? 'none' : str(m.type, `${field}.type`);
  if (options.includes('bind') || options.includes('rbind')) type = 'bind';
  if (!MOUNT_TYPES.has(type)) throw new ConfigError(`${field}.type`, `mounts of type ${type} are not supported`);
  let source = optStr(m.source, `${field}.source`);
  if (type === 'bind') {
    if (!source) throw new ConfigError(`${field}.source`, 'a bind mount needs a source');
    source = isAbsolute(source) ? source : resolvePath(bundle, source);
    try { statSync(source); } catch { throw new ConfigError(`${field}.source`, `${source} does not exist`); }
  }
  try {
    parseMountOptions(type, options);
  } catch (e) {
    if (e instanceof MountOptionError) throw new ConfigError(`${field}.options`, e.message);
    throw e;
  }
  return { destination, type, ...(source ? { source } : {}), options };
}

/** Capability names, as numbers (linux/capability.h). */
const CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID',
  'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE'];

function capSet(v: unknown, field: string): string {
  let bits = 0n;
  strs(v, field).forEach((name, i) => {
    const n = CAPABILITIES.indexOf(name.replace(/^CAP_/, ''));
    if (n < 0) throw new ConfigError(`${field}[${i}]`, `unknown capability ${name}`);
    bits |= 1n << BigInt(n);
  });
  return bits.toString(16);
}

const RLIMITS = ['CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS', 'LOCKS',
  'SIGPENDING', 'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME'];

function u64(v: unknown, field: string): string {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ConfigError(field, 'expected a non-negative integer');
  // RLIM_INFINITY arrives as 2^64-1, which a JSON number rounds to 2^64.
  return v >= 2 ** 64 - 2048 ? (2n ** 64n - 1n).toString() : BigInt(v).toString();
}

/** The process of config.json, or of `exec --process`. */
export function processConfig(v: unknown, field: string): ProcessConfig {
  const p = obj(v, field);
  const args = strs(p.args, `${field}.args`);
  if (args.length === 0) throw new ConfigError(`${field}.args`, 'the process needs at least one argument');
  const cwd = str(p.cwd, `${field}.cwd`);
  if (!cwd.startsWith('/')) throw new ConfigError(`${field}.cwd`, 'must be an absolute path');
  const user = optObj(p.user, `${field}.user`) ?? {};
  refuse(p.commandLine, `${field}.commandLine`, 'Windows only');
  refuse(p.ioPriority, `${field}.ioPriority`, 'not supported');
  refuse(p.scheduler, `${field}.scheduler`, 'not supported');
  refuse(p.execCPUAffinity, `${field}.execCPUAffinity`, 'not supported');
  const caps = optObj(p.capabilities, `${field}.capabilities`);
  if (caps) refuse(caps.ambient, `${field}.capabilities.ambient`, 'ambient capabilities are not supported');
  const console = optObj(p.consoleSize, `${field}.consoleSize`);
  const rlimits: RlimitConfig[] = arr(p.rlimits, `${field}.rlimits`).map((r, i) => {
    const f = `${field}.rlimits[${i}]`;
    const l = obj(r, f);
    const type = str(l.type, `${f}.type`);
    const resource = RLIMITS.indexOf(type.replace(/^RLIMIT_/, ''));
    if (resource < 0) throw new ConfigError(`${f}.type`, `unknown resource limit ${type}`);
    return { resource, soft: u64(l.soft, `${f}.soft`), hard: u64(l.hard, `${f}.hard`) };
  });
  return {
    args,
    env: strs(p.env, `${field}.env`),
    cwd,
    uid: user.uid === undefined ? 0 : int(user.uid, `${field}.user.uid`, 0, 0xfffffffe),
    gid: user.gid === undefined ? 0 : int(user.gid, `${field}.user.gid`, 0, 0xfffffffe),
    additionalGids: arr(user.additionalGids, `${field}.user.additionalGids`)
      .map((g, i) => int(g, `${field}.user.additionalGids[${i}]`, 0, 0xfffffffe)),
    ...(user.umask === undefined ? {} : { umask: int(user.umask, `${field}.user.umask`, 0, 0o777) }),
    rlimits,
    ...(caps ? {
      capabilities: {
        bounding: capSet(caps.bounding, `${field}.capabilities.bounding`),
        effective: capSet(caps.effective, `${field}.capabilities.effective`),
        permitted: capSet(caps.permitted, `${field}.capabilities.permitted`),
        inheritable: capSet(caps.inheritable, `${field}.capabilities.inheritable`),
      },
    } : {}),
    noNewPrivileges: p.noNewPrivileges === undefined ? false : bool(p.noNewPrivileges, `${field}.noNewPrivileges`),
    terminal: p.terminal === undefined ? false : bool(p.terminal, `${field}.terminal`),
    ...(console ? { consoleSize: { height: int(console.height, `${field}.consoleSize.height`, 0, 65535),
      width: int(console.width, `${field}.consoleSize.width`, 0, 65535) } } : {}),
  };
}

function resources(v: unknown): Resources {
  const r = optObj(v, 'linux.resources') ?? {};
  const memory = optObj(r.memory, 'linux.resources.memory') ?? {};
  const pids = optObj(r.pids, 'linux.resources.pids') ?? {};
  const cpu = optObj(r.cpu, 'linux.resources.cpu');
  refuse(r.hugepageLimits, 'linux.resources.hugepageLimits', 'not supported');
  refuse(r.rdma, 'linux.resources.rdma', 'not supported');
  refuse(r.unified, 'linux.resources.unified', 'not supported');
  const limit = (x: unknown, field: string) => {
    if (x === undefined || x === null) return 0;
    const n = int(x, field);
    return n < 0 ? 0 : n;
  };
  const out: Resources = { memory: limit(memory.limit, 'linux.resources.memory.limit'), pids: limit(pids.limit, 'linux.resources.pids.limit') };
  if (cpu) {
    out.cpu = {};
    if (cpu.shares !== undefined && cpu.shares !== null) out.cpu.shares = int(cpu.shares, 'linux.resources.cpu.shares', 0);
    if (cpu.quota !== undefined && cpu.quota !== null) out.cpu.quota = int(cpu.quota, 'linux.resources.cpu.quota');
    if (cpu.period !== undefined && cpu.period !== null) out.cpu.period = int(cpu.period, 'linux.resources.cpu.period', 0);
    refuse(cpu.realtimeRuntime, 'linux.resources.cpu.realtimeRuntime', 'not supported');
    refuse(cpu.realtimePeriod, 'linux.resources.cpu.realtimePeriod', 'not supported');
  }
  return out;
}

const HOOK_KINDS: HookKind[] = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

function hooks(v: unknown): Hooks {
  const h = optObj(v, 'hooks') ?? {};
  const out: Hooks = {};
  for (const key of Object.keys(h)) {
    if (!HOOK_KINDS.includes(key as HookKind)) throw new ConfigError(`hooks.${key}`, 'unknown kind of hook');
  }
  for (const kind of HOOK_KINDS) {
    out[kind] = arr(h[kind], `hooks.${kind}`).map((x, i) => {
      const f = `hooks.${kind}[${i}]`;
      const hook = obj(x, f);
      const path = str(hook.path, `${f}.path`);
      if (!isAbsolute(path)) throw new ConfigError(`${f}.path`, 'must be an absolute path');
      return {
        path,
        ...(hook.args === undefined ? {} : { args: strs(hook.args, `${f}.args`) }),
        ...(hook.env === undefined ? {} : { env: strs(hook.env, `${f}.env`) }),
        ...(hook.timeout === undefined ? {} : { timeout: int(hook.timeout, `${f}.timeout`, 1) }),
      };
    });
  }
  return out;
}

/** Sysctls of the namespaces a sandbox has of its own (as runc allows): net.*, the ipc ones, the uts ones. */
function sysctls(v: unknown): Record<string, string> {
  const s = stringMap(v, 'linux.sysctl');
  for (const key of Object.keys(s)) {
    const ipc = /^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\.)/.test(key);
    if (!key.startsWith('net.') && !ipc && key !== 'kernel.domainname') {
      throw new ConfigError(`linux.sysctl.${key}`, 'not a sysctl of the sandbox\'s own namespaces');
    }
    if (key.includes('..') || key.includes('/')) throw new ConfigError(`linux.sysctl.${key}`, 'not a sysctl name');
  }
  return s;
}
