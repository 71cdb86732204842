/**
 * The documentation's relative links resolve: every `[text](path)` and `[text](path#anchor)` in README.md,
 * docs/*.md and statemachines/*.md names a file of the repository, and its anchor a heading of that file
 * (GitHub's slugs) or an explicit `<a id="…">`. External links (http, mailto) are not checked.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** GitHub's heading anchor: lowercase, punctuation dropped (hyphens and underscores kept), spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a markdown text defines: its headings' slugs (repeats numbered as GitHub does) and `<a id>`s. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading?.[1] !== undefined) {
      const base = slug(heading[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) if (m[1] !== undefined) anchors.add(m[1]);
  }
  return anchors;
}

/** The relative link targets of a markdown text, outside code fences and inline code. */
function linksOf(markdown: string): string[] {
  const links: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const prose = line.replace(/`[^`]*`/g, '``');
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (target !== undefined && !/^[a-z]+:/i.test(target)) links.push(target);
    }
  }
  return links;
}

/** What is wrong with each relative link of `file` (repository-relative), as messages. */
function brokenLinks(root: string, file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const broken: string[] = [];
  for (const link of linksOf(text)) {
    const [target = '', anchor] = link.split('#', 2);
    const resolved = target === '' ? path.join(root, file) : path.join(root, path.dirname(file), target);
    if (!existsSync(resolved)) {
      broken.push(`${file}: ${link}: no such file`);
      continue;
    }
    if (anchor === undefined || anchor === '' || statSync(resolved).isDirectory()) continue;
    if (!resolved.endsWith('.md')) continue;
    if (!anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) {
      broken.push(`${file}: ${link}: no heading or anchor "${anchor}" in ${path.relative(root, resolved)}`);
    }
  }
  return broken;
}

const DOCS = [
  'README.md',
  ...['docs', 'statemachines'].flatMap((dir) =>
    readdirSync(path.join(ROOT, dir))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `${dir}/${f}`),
  ),
];

describe('documentation links', () => {
  it('every relative link in README.md, docs/ and statemachines/ resolves, anchors included', () => {
    expect(DOCS.length).toBeGreaterThan(10);
    expect(DOCS.flatMap((f) => brokenLinks(ROOT, f))).toEqual([]);
  });

  it('slugs headings as GitHub does: punctuation dropped, code marks dropped, spaces to hyphens', () => {
    expect(slug('Triggers and input')).toBe('triggers-and-input');
    expect(slug('`CertificateDaysLeft` and the expiry alarm')).toBe(
      'certificatedaysleft-and-the-expiry-alarm',
    );
    expect(slug('Step Functions limits, timeouts and idempotency')).toBe(
      'step-functions-limits-timeouts-and-idempotency',
    );
    expect(slug('Billing (the idle cost)')).toBe('billing-the-idle-cost');
    expect(slug('The twin: rehearse on a simulated AWS')).toBe('the-twin-rehearse-on-a-simulated-aws');
  });

  it('finds a missing file and a missing anchor; accepts headings, numbered repeats and <a id>', () => {
    const md = [
      '# Title',
      '## Part',
      '## Part',
      '<a id="pause"></a>text',
      '```',
      '[in a fence](nowhere.md)',
      '```',
      'see [a](#part-1), [b](#pause), [c](#nope), [d](missing.md), [e](https://example.com/x.md), `[f](code.md)`',
      'and [`g`](other.md#there), [h](other.md#elsewhere), [i](other.md)',
    ].join('\n');
    expect([...anchorsOf(md)]).toEqual(['title', 'part', 'part-1', 'pause']);
    expect(linksOf(md)).toEqual([
      '#part-1',
      '#pause',
      '#nope',
      'missing.md',
      'other.md#there',
      'other.md#elsewhere',
      'other.md',
    ]);
    const root = mkdtempSync(path.join(tmpdir(), 'doc-links-'));
    try {
      mkdirSync(path.join(root, 'docs'));
      writeFileSync(path.join(root, 'docs/page.md'), md);
      writeFileSync(path.join(root, 'docs/other.md'), '# Other\n\n## There\n');
      expect(brokenLinks(root, 'docs/page.md')).toEqual([
        'docs/page.md: #nope: no heading or anchor "nope" in docs/page.md',
        'docs/page.md: missing.md: no such file',
        'docs/page.md: other.md#elsewhere: no heading or anchor "elsewhere" in docs/other.md',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
