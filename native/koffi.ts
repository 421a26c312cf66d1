// koffi, as every tvisor process loads it: its native addon, required
// directly. koffi's own index.js finds the addon with its installer's code,
// which loads Node's https, tls, crypto and zlib first: ≈ 30 ms of CPU at
// the start of every Node process of tvisor (the command line, the sandbox,
// each gofer) for modules none of them uses (docs/design.md, "Pods").
// koffi's wrapper adds only deprecated aliases to the addon's exports.
import { createRequire } from 'node:module';
import type Koffi from 'koffi';

const require = createRequire(import.meta.url);

/**
 * The addon of this Linux machine: koffi ships one per architecture (glibc,
 * and musl for x64 and arm64). An architecture whose addon koffi chooses by
 * reading the node binary's ELF header (arm's float ABI, riscv's) is left to
 * koffi's index.js, which knows them.
 */
function load(): typeof Koffi {
  if (process.platform !== 'linux' || !['x64', 'arm64', 'ia32', 'loong64'].includes(process.arch)) {
    return require('koffi') as typeof Koffi;
  }
  let addon: typeof Koffi & { version: string };
  try {
    addon = require(`koffi/build/koffi/linux_${process.arch}/koffi.node`);
  } catch (glibc) {
    if (process.arch !== 'x64' && process.arch !== 'arm64') throw glibc;
    addon = require(`koffi/build/koffi/musl_${process.arch}/koffi.node`);
  }
  const { version } = require('koffi/package.json') as { version: string };
  if (addon.version !== version) throw new Error(`koffi's addon is version ${addon.version}, its package ${version}`);
  return addon;
}

const koffi = load();
export default koffi;
