// `node memfs-runner.js CMD…`: runs CMD in a sandbox of the library API with
// an empty memfs volume at /vol, stdio passed through, and exits as it does:
// the fs-semantics suite's memfs column (run.ts).
import { Volume } from 'memfs';
import { Sandbox } from '../../src/api/index.js';

const sandbox = await Sandbox.create({ volumes: { '/vol': new Volume() }, limits: { memory: 0, pids: 0 } });
let code = 125;
try {
  const exit = await sandbox.run(process.argv.slice(2), { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' }).exit;
  code = exit.code ?? 128 + 9;
} finally {
  await sandbox.close();
}
process.exit(code);
