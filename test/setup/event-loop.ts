// Most tests run sandboxes with spawnSync, which holds the test worker's event
// loop. vitest's worker answers its runner's messages only when the loop
// turns, and fails the run when a message waits more than 60 s: on a busy
// machine a file's tests back to back take longer than that. So the loop
// turns before every test.
import { beforeEach } from 'vitest';

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
