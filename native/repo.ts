// Where the repository's files are, from the sources, from dist/ or from a
// bundle in dist/bundle/: without loading the native glue, so that a program
// that needs only a path (the CLI's `do`) does not pay for koffi.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Finds a file of the repository from either the sources or dist/. */
export function repoFile(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return join(dir, rel);
    dir = dirname(dir);
  }
  throw new Error(`tvisor: cannot find ${rel} above ${fileURLToPath(import.meta.url)}`);
}
