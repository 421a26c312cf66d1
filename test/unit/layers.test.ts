// The import graph keeps its layers: no circle, and no arrow from a lower
// layer to a higher one. A folder may import itself (type-only circles
// inside one folder are one package's business, as in Go).
import { describe, expect, it } from 'vitest';
import { cycles, type ImportEdge, importGraph } from './imports.js';

const edges = importGraph(['sentry', 'gofer', 'native', 'src']);

/** The layer a file belongs to: its folder (fs/<name> for the filesystems), or the file itself at the top of sentry/. */
function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] !== 'sentry') return parts[0]!;
  if (parts[1] === 'fs') return parts.length > 3 ? parts.slice(0, 3).join('/') : file;
  return parts.length > 2 ? parts.slice(0, 2).join('/') : file;
}

/** Bottom to top; a layer imports only from lower ranks. */
const RANKS: Record<string, number> = {
  'sentry/abi': 0, 'native': 0,
  'sentry/host': 1, 'sentry/auth': 1, 'sentry/log.ts': 1, 'gofer': 1,
  'sentry/platform': 2, 'sentry/vfs': 2,
  'sentry/fs/tmpfs': 3, 'sentry/fs/dev': 3, 'sentry/fs/sys': 3, 'sentry/fs/gofer': 3,
  'sentry/fs/overlay': 4,
  'sentry/kernel': 5,
  'sentry/loader': 6, 'sentry/fs/proc': 6,
  'sentry/fs/filesystems.ts': 7, 'sentry/syscalls': 7,
  'sentry/pod.ts': 8,
  'sentry/control': 9,
  'sentry/boot.ts': 10,
  'src': 11,
};

const crossing = edges.map((e) => ({ ...e, fromLayer: layerOf(e.from), toLayer: layerOf(e.to) }))
  .filter((e) => e.fromLayer !== e.toLayer);

const show = (list: readonly ImportEdge[]) => list.map((e) => `${e.from} -> ${e.to}`);

describe('the import graph', () => {
  it('is read from the sources', () => {
    // The graph the rules below are checked on is the real one, not an empty list.
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'sentry/boot.ts', to: 'sentry/kernel/kernel.ts', typeOnly: false });
  });

  it('has no circle between files', () => {
    expect(cycles(edges.filter((e) => !e.typeOnly))).toEqual([]);
  });

  it('has no circle between layers, types included', () => {
    expect(cycles(crossing.map((e) => ({ from: e.fromLayer, to: e.toLayer })))).toEqual([]);
  });

  it('knows every layer', () => {
    const unknown = new Set(crossing.flatMap((e) => [e.fromLayer, e.toLayer]).filter((l) => !(l in RANKS)));
    expect([...unknown]).toEqual([]);
  });

  it('has no arrow from a lower layer to a higher one', () => {
    expect(show(crossing.filter((e) => RANKS[e.fromLayer]! <= RANKS[e.toLayer]!))).toEqual([]);
  });

  it('keeps the platform and the C glue free of the kernel', () => {
    const below = crossing.filter((e) => ['sentry/platform', 'native', 'sentry/host', 'sentry/abi'].includes(e.fromLayer));
    expect(show(below.filter((e) => !['sentry/abi', 'sentry/host', 'native'].includes(e.toLayer)))).toEqual([]);
  });

  it('lets vfs import only abi, host and credentials from below it', () => {
    const vfs = crossing.filter((e) => e.fromLayer === 'sentry/vfs');
    expect(show(vfs.filter((e) => !['sentry/abi', 'sentry/host', 'sentry/auth'].includes(e.toLayer)))).toEqual([]);
  });

  it('lets the kernel know no handler module', () => {
    expect(show(crossing.filter((e) => e.fromLayer === 'sentry/kernel' && e.toLayer === 'sentry/syscalls'))).toEqual([]);
  });
});
