// docs/design.md stands alone, and its list of known gaps is the one made from known-gaps.json.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, readGaps, renderGaps, withGaps } from './fs-semantics/gaps-doc.js';
import { readCompat, readCompatDoc, renderCompat } from './fs-semantics/compat.js';

const design = readFileSync(new URL('../docs/design.md', import.meta.url), 'utf8');

describe('docs/design.md', () => {
  it('has its known gaps section as `npm run docs:gaps` makes it', () => {
    const gaps = readGaps();
    expect(Object.keys(gaps).length).toBeGreaterThan(0);
    expect(design).toContain(BEGIN);
    expect(design).toContain(END);
    expect(withGaps(design, renderGaps(gaps))).toBe(design);
  });

  it('lists every known gap, each reason once', () => {
    const section = design.slice(design.indexOf(BEGIN), design.indexOf(END));
    for (const reason of new Set(Object.values(readGaps()))) expect(section).toContain(`- ${reason}`);
  });

  it('refers to no document outside the repository', () => {
    expect(design).not.toMatch(/\.\.\/shared|shared\/DESIGN/);
    for (const [, target] of design.matchAll(/\]\(([^)#]+)\)/g)) expect(target).not.toMatch(/^\.\.\//);
  });

  it('has a table of contents whose links name its sections', () => {
    const anchor = (h: string) => h.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
    const sections = [...design.matchAll(/^## (.+)$/gm)].map((m) => anchor(m[1]!));
    const links = [...design.matchAll(/^- \[[^\]]+\]\(#([^)]+)\)$/gm)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    for (const l of links) expect(sections).toContain(l);
  });
});

describe('docs/compat.md', () => {
  it('is the table made from test/fs-semantics/compat.json (`npm run fs-semantics -- --json` writes both)', () => {
    const m = readCompat();
    expect(Object.keys(m.syscalls).length).toBeGreaterThan(20);
    expect(m.filesystems).toEqual(expect.arrayContaining(['tmpfs', 'overlay', 'bind']));
    expect(readCompatDoc()).toBe(renderCompat(m));
  });

  it('is linked from the README', () => {
    expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain('(docs/compat.md)');
  });
});
