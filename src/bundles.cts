// The programs of dist/bundle/ (scripts/bundle.mjs) are CommonJS files run
// through a V8 code cache made when they are built: a start-up then reads
// bytecode instead of parsing and compiling about a megabyte of JavaScript
// (docs/design.md, "Start-up"). Node 20 gives ES modules no code cache,
// hence CommonJS and this loader, itself CommonJS as the programs' launchers
// are (dist/bundle/NAME.js): a start-up through Node's ES module loader
// took ≈ 5 ms more. It imports nothing of tvisor: it runs before anything
// is loaded.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as V8 from 'node:v8';
import { Script } from 'node:vm';

type ModuleFunction = (exports: object, require: NodeRequire, module: { exports: object }, filename: string, dirname: string) => void;

/** CommonJS's module wrapper, on the source's first line so that its line numbers stand. */
function wrapped(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
}

function cacheOf(file: string): string {
  return `${file}.cache`;
}

/**
 * A script run from a code cache has no loader for import() (Node 20 loses
 * importModuleDynamically then): scripts/bundle.mjs refuses a bundle that
 * would import() a package left outside it, and the modules require those.
 */
function compile(file: string, cachedData?: Buffer): Script {
  return new Script(wrapped(readFileSync(file, 'utf8')), { filename: file, ...(cachedData ? { cachedData } : {}) });
}

/**
 * Runs a bundle as Node runs a CommonJS module, with its code cache if it has
 * one that this Node accepts. Another Node version or other V8 flags make V8
 * reject it: the program then compiles as without a cache, only slower, and
 * says so under TVISOR_DEBUG.
 */
export function runBundle(file: string): void {
  let cachedData: Buffer | undefined;
  try { cachedData = readFileSync(cacheOf(file)); } catch { /* not built: compiled as it runs */ }
  const script = compile(file, cachedData);
  if (process.env.TVISOR_DEBUG && (!cachedData || script.cachedDataRejected)) {
    process.stderr.write(`tvisor: ${file}: ${cachedData ? 'code cache rejected' : 'no code cache'}\n`);
  }
  const module = { exports: {} };
  (script.runInThisContext() as ModuleFunction)(module.exports, createRequire(file), module, file, dirname(file));
}

/**
 * Writes a bundle's code cache: every function compiled now (V8's --no-lazy),
 * not only those its first run would reach, so that no start-up compiles one
 * of tvisor's functions. V8 keys a cache to its flags: --lazy is set back
 * before the cache is taken, so it matches a Node run without flags.
 */
export function writeCodeCache(file: string): void {
  // Required here, at build: node:v8 loads Node's streams, ≈ 2 ms of every start-up that runs a bundle.
  const { setFlagsFromString } = require('node:v8') as typeof V8;
  setFlagsFromString('--no-lazy');
  let script: Script;
  try {
    script = compile(file);
  } finally {
    setFlagsFromString('--lazy');
  }
  writeFileSync(cacheOf(file), script.createCachedData());
}
