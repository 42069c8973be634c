import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';

/** README.md and every page of docs/, as paths from the repository root. */
const PAGES = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).sort().map((f) => join('docs', f))];

/** The Markdown outside fenced code blocks: links and headings inside them are only text. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');
}

/** Every link target of a page: inline `[text](target)` and reference `[label]: target`. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const reference = [...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...reference];
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

describe('the docs', () => {
  it('README.md stays a front door: under 15,000 bytes', () => {
    expect(statSync('README.md').size).toBeLessThan(15_000);
  });

  it('README.md links every page of docs/', () => {
    const targets = new Set(linkTargets(readFileSync('README.md', 'utf8')).map((t) => normalize(t.split('#')[0])));
    for (const page of PAGES.slice(1)) expect(targets.has(page), `README.md does not link ${page}`).toBe(true);
  });

  describe.each(PAGES)('%s', (page) => {
    const markdown = readFileSync(page, 'utf8');
    const relative = linkTargets(markdown).filter((t) => !isExternal(t));

    it('has relative links', () => {
      expect(relative.length).toBeGreaterThan(0);
    });

    it('links only to files that exist, and to headings those files have', () => {
      for (const target of relative) {
        const [path, fragment] = target.split('#', 2);
        const file = path === '' ? page : normalize(join(dirname(page), decodeURI(path)));
        expect(existsSync(file), `${page}: link "${target}": no such file ${file}`).toBe(true);
        if (fragment && file.endsWith('.md')) {
          const headings = anchors(readFileSync(file, 'utf8'));
          expect(headings.has(fragment), `${page}: link "${target}": ${file} has no heading #${fragment}`).toBe(true);
        }
      }
    });
  });

  describe('the command lines they show', () => {
    const program = buildProgram({ out: () => {}, err: () => {}, interactive: false, stdoutClosed: new AbortController().signal }, () => {});
    const flagsOf = (name: string) => {
      // `help` is commander's own command, not one of the declared ones.
      if (name === 'help') return new Set(['--help']);
      const command = program.commands.find((c) => c.name() === name);
      return command ? new Set([...command.options.map((o) => o.long), '--help']) : null;
    };
    /**
     * Every `sweep COMMAND …` in the pages' shell and plain code blocks (after `npx`, `$`, `&&` or
     * `<(` too); a line that starts with spaces and `[` continues the one above. Blocks marked
     * `text` are captured output, not commands.
     */
    const lines = PAGES.flatMap((page) => [...readFileSync(page, 'utf8').matchAll(/^(```|~~~)([a-z]*)\n([\s\S]*?)^\1[ \t]*$/gm)]
      .filter((block) => block[2] !== 'text')
      .flatMap((block) => block[3].replace(/\n\s+\[/g, ' [').split('\n'))
      .flatMap((line) => [...line.matchAll(/(?:^|\$ |npx |&& |<\()sweep ([a-z]+)((?:[^>#&)|]| ?\| ?(?=[A-Za-z-]))*)/g)])
      .map((m) => ({ page, command: m[1], flags: [...m[2].matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((f) => f[0]) })));

    it('name only commands and options that exist', () => {
      expect(lines.length).toBeGreaterThan(20);
      for (const { page, command, flags } of lines) {
        const known = flagsOf(command);
        expect(known, `${page}: "sweep ${command}" is no command`).not.toBeNull();
        for (const flag of flags) expect(known!.has(flag), `${page}: sweep ${command} has no option ${flag}`).toBe(true);
      }
    });

    it('docs/cli.md shows every option of every command', () => {
      for (const command of program.commands) {
        const shown = new Set(lines.filter((l) => l.page === join('docs', 'cli.md') && l.command === command.name()).flatMap((l) => l.flags));
        for (const option of command.options) expect(shown.has(option.long!), `docs/cli.md never shows sweep ${command.name()} ${option.long}`).toBe(true);
      }
    });
  });
});
