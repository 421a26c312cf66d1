// inotify in the sandbox as programs use it: tail -f following a file other
// guest processes append to, a watcher seeing another process's changes, and
// a watcher of a -v bind mount seeing changes a host process makes there.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, sandboxSh, tempDir, tvisorDo } from './helpers.js';

/** Waits (in the guest's shell) until `file` has a line matching `re`, at most 10 s. */
const waitFor = (file: string, re: string) => `for i in $(seq 100); do grep -q '${re}' ${file} && break; sleep 0.1; done`;

describe('inotify', () => {
  it('lets tail -f follow a file that other processes append to, without polling', () => {
    // -s 60: were tail polling, the lines would come a minute late. On tmpfs: GNU tail takes an
    // overlay (/tmp here) for a remote filesystem and polls there, on Linux too.
    const r = sandboxSh(`cd /dev/shm && : > log && (tail -f -s 60 log > out 2>&1 &) && sleep 0.3 &&
      echo one >> log && ${waitFor('out', 'one')} && echo two >> log && ${waitFor('out', 'two')} &&
      pkill -x tail; cat out`, { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('one\ntwo\n');
  });

  it('ends an instance when its last fd closes, so 128 may be open at once, as on Linux', () => {
    const r = tvisorDo([compile('inotifyinstances')], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('fails 0, open at once 128\n');
  });

  it('shows a watcher the changes another process makes, in Linux order', () => {
    const watch = compile('inotifywatch');
    const r = sandboxSh(`cd /tmp && echo start > f && (${watch} ready 5 f > events &) &&
      for i in $(seq 100); do [ -e ready ] && break; sleep 0.1; done &&
      echo more >> f && ${waitFor('events', '0x2')} && mv f g && rm g && ${waitFor('events', '0x8000')}; cat events`,
    { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    // IN_MODIFY (a native write), IN_MOVE_SELF, then unlink: IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED.
    expect(r.stdout).toBe('1 0x2 -\n1 0x800 -\n1 0x4 -\n1 0x400 -\n1 0x8000 -\n');
  });

  it('shows a watcher of a -v bind mount the changes a host process makes there', async () => {
    const watch = compile('inotifywatch');
    const dir = tempDir('inotify-bind');
    mkdirSync(join(dir, 'w'));
    writeFileSync(join(dir, 'w', 'f'), 'start\n');
    // The host's changes, once the guest's watches are in place (the guest makes `ready`).
    const hostSide = spawn('/bin/sh', ['-c', `cd ${dir} && for i in $(seq 200); do [ -e ready ] && break; sleep 0.1; done &&
      echo more >> w/f && : > w/new && mv w/new w/new2 && rm w/new2`], { stdio: 'ignore' });
    const done = new Promise((resolve) => hostSide.on('exit', resolve));
    const r = tvisorDo([watch, '/b/ready', '6', '/b/w', '/b/w/f'], { flags: ['-v', `${dir}:/b`], timeoutMs: 60_000 });
    await done;
    expect(r.stderr).toBe('');
    // Names only, as Linux gives them; the directory's and the file's watch each see the write.
    expect(r.stdout).toBe('1 0x2 f\n2 0x2 -\n1 0x100 new\n1 0x40 new cookie\n1 0x80 new2 paired\n1 0x200 new2\n');
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, 'w', 'new2'))).toBe(false);
  });

  it('shows a host process\'s changes made while the sandbox makes its own there, none lost, none twice', async () => {
    const watch = compile('inotifywatch');
    const dir = tempDir('inotify-race');
    mkdirSync(join(dir, 'w'));
    const [guestFiles, hostFiles] = [3000, 100];
    // The host creates its files while the guest creates its own in the same watched directory (a shell's
    // redirections: the sandbox's changes one after another): the host's report of the sandbox's changes is
    // dropped, and nothing the host process did meanwhile.
    const hostSide = spawn('/bin/sh', ['-c', `cd ${dir} && for i in $(seq 300); do [ -e go ] && break; sleep 0.1; done &&
      for i in $(seq ${hostFiles}); do : > w/h$i; sleep 0.002; done`], { stdio: 'ignore' });
    const done = new Promise((resolve) => hostSide.on('exit', resolve));
    const r = tvisorDo(['/bin/sh', '-c', `(${watch} /b/ready ${guestFiles + hostFiles} /b/w > /tmp/events; echo $? > /tmp/status) &
      for i in $(seq 300); do [ -e /b/ready ] && break; sleep 0.1; done; : > /b/go;
      i=0; while [ $i -lt ${guestFiles} ]; do i=$((i+1)); : > /b/w/g$i; done;
      while [ ! -e /tmp/status ]; do sleep 0.1; done; cat /tmp/status /tmp/events`], { flags: ['-v', `${dir}:/b`], timeoutMs: 120_000 });
    await done;
    expect(r.stderr).toBe('');
    const [status, ...events] = r.stdout.trim().split('\n');
    const created = (prefix: string) => events.filter((e) => new RegExp(` 0x100 ${prefix}\\d+$`).test(e)).length;
    expect({ status, host: created('h'), guest: created('g') }).toEqual({ status: '0', host: hostFiles, guest: guestFiles });
  });

  it("never shows what a host process does in the host's root (the overlay's lower layer)", async () => {
    const watch = compile('inotifywatch');
    const dir = tempDir('inotify-lower');
    writeFileSync(join(dir, 'f'), 'start\n');
    const sig = tempDir('inotify-signal');
    // Once the guest watches `dir` and `dir/f` (seen through the overlay), the host names a file
    // there and writes to f; then the guest names one.
    const hostSide = spawn('/bin/sh', ['-c', `for i in $(seq 200); do [ -e ${sig}/ready ] && break; sleep 0.1; done &&
      : > ${dir}/host-made && echo more >> ${dir}/f && touch ${sig}/go`], { stdio: 'ignore' });
    const done = new Promise((resolve) => hostSide.on('exit', resolve));
    const r = sandboxSh(`(${watch} /s/ready 1 ${dir} ${dir}/f > /dev/shm/events &) &&
      for i in $(seq 200); do [ -e /s/go ] && break; sleep 0.1; done && sleep 0.5 && : > ${dir}/guest &&
      ${waitFor('/dev/shm/events', 'guest')}; cat /dev/shm/events`, { flags: ['-v', `${sig}:/s`], timeoutMs: 60_000 });
    await done;
    expect(r.stdout).toBe('1 0x100 guest\n');
    expect(existsSync(join(dir, 'guest'))).toBe(false);
  });
});
