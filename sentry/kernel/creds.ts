// A task's credentials, as the sentry sees them. The host process keeps
// uid 0 with no capabilities; inside the sandbox, uid 0 acts as root.
export interface Creds {
  uid: number; euid: number; suid: number; fsuid: number;
  gid: number; egid: number; sgid: number; fsgid: number;
  groups: number[];
}

export function rootCreds(): Creds {
  return { uid: 0, euid: 0, suid: 0, fsuid: 0, gid: 0, egid: 0, sgid: 0, fsgid: 0, groups: [0] };
}

export function copyCreds(c: Creds): Creds {
  return { ...c, groups: [...c.groups] };
}
