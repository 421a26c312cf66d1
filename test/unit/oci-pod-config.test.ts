// A container's place in a pod as src/oci/config.ts reads it from the annotations engines write
// (containerd's CRI and CRI-O's), runsc's mount hints, and the namespace paths a pod's container
// may give; what it cannot honour fails with the field's path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/oci/config.js';

const bundle = mkdtempSync(join(tmpdir(), 'tvisor-pod-config-'));
afterAll(() => rmSync(bundle, { recursive: true, force: true }));

function config(annotations: Record<string, string>, namespaces: object[] = [{ type: 'pid' }, { type: 'mount' }]) {
  return { ociVersion: '1.2.0', root: { path: '/' }, process: { args: ['sh'], cwd: '/' }, annotations,
    linux: { namespaces } };
}

describe('a container of a pod, from its annotations', () => {
  it('is a sandbox without annotations, or with the sandbox type', () => {
    expect(parseConfig(config({}), bundle).pod).toEqual({ kind: 'sandbox', joinable: false });
    expect(parseConfig(config({ 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': 'x' }), bundle).pod)
      .toEqual({ kind: 'sandbox', joinable: true });
    expect(parseConfig(config({ 'io.kubernetes.cri-o.ContainerType': 'sandbox' }), bundle).pod).toEqual({ kind: 'sandbox', joinable: true });
  });

  it('joins its sandbox as containerd\'s CRI and CRI-O name it, in the pod\'s pid namespace when it joins one', () => {
    const pause = '/proc/1/ns';
    const joined = [{ type: 'pid', path: `${pause}/pid` }, { type: 'ipc', path: `${pause}/ipc` }, { type: 'uts', path: `${pause}/uts` },
      { type: 'network', path: `${pause}/net` }, { type: 'mount' }];
    expect(parseConfig(config({ 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'pod1' }), bundle).pod)
      .toEqual({ kind: 'container', sandboxId: 'pod1', sharePidNamespace: false });
    const crio = parseConfig(config({ 'io.kubernetes.cri-o.ContainerType': 'container', 'io.kubernetes.cri-o.SandboxID': 'pod2' }, joined), bundle);
    expect(crio.pod).toEqual({ kind: 'container', sandboxId: 'pod2', sharePidNamespace: true });
    // The pod's network is the sandbox's: a container's path is not joined again.
    expect(crio.sandbox.netns).toBeUndefined();
  });

  it('refuses what it cannot honour, naming the field', () => {
    expect(() => parseConfig(config({ 'io.kubernetes.cri.container-type': 'container' }), bundle))
      .toThrow(/annotations\.io\.kubernetes\.cri\.sandbox-id: a container of a pod needs its sandbox's id/);
    expect(() => parseConfig(config({ 'io.kubernetes.cri.container-type': 'podlet' }), bundle))
      .toThrow(/annotations\.io\.kubernetes\.cri\.container-type: unknown container type podlet/);
    // Outside a pod, joining another pid namespace is still refused.
    expect(() => parseConfig(config({}, [{ type: 'pid', path: '/proc/1/ns/pid' }]), bundle))
      .toThrow(/linux\.namespaces\[0\]\.path: joining another pid namespace is not supported/);
  });
});

describe('runsc\'s mount hints', () => {
  const hint = (name: string, h: Record<string, string>) =>
    Object.fromEntries(Object.entries(h).map(([k, v]) => [`dev.gvisor.spec.mount.${name}.${k}`, v]));

  it('declare the pod\'s volumes (share pod or shared); a container one is the container\'s', () => {
    const c = parseConfig(config({
      ...hint('data', { source: bundle, type: 'bind', share: 'pod', options: 'rw,rprivate' }),
      ...hint('cache', { source: '/nowhere/on/the/host', type: 'tmpfs', share: 'shared' }),
      ...hint('own', { source: bundle, type: 'bind', share: 'container' }),
    }), bundle);
    expect(c.sandbox.volumes).toEqual([
      { name: 'data', source: bundle, type: 'bind', options: ['rw', 'rprivate'] },
      { name: 'cache', source: '/nowhere/on/the/host', type: 'tmpfs', options: [] },
    ]);
  });

  it('fail create when malformed, naming the hint', () => {
    expect(() => parseConfig(config(hint('v', { type: 'bind', share: 'pod' })), bundle))
      .toThrow(/dev\.gvisor\.spec\.mount\.v\.source: a mount hint needs a source/);
    expect(() => parseConfig(config(hint('v', { source: bundle, type: 'nfs', share: 'pod' })), bundle))
      .toThrow(/dev\.gvisor\.spec\.mount\.v\.type: expected bind or tmpfs, not nfs/);
    expect(() => parseConfig(config(hint('v', { source: bundle, type: 'bind', share: 'everyone' })), bundle))
      .toThrow(/dev\.gvisor\.spec\.mount\.v\.share: expected container, pod or shared, not everyone/);
    expect(() => parseConfig(config(hint('v', { source: '/nowhere/on/the/host', type: 'bind', share: 'pod' })), bundle))
      .toThrow(/dev\.gvisor\.spec\.mount\.v\.source: \/nowhere\/on\/the\/host does not exist/);
  });
});
