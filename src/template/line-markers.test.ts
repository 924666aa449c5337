import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addLineMarkers, stripLineMarkers, templateLine } from './line-markers.js';
import { createTemplateEnvironment } from './environment.js';
import nunjucks from 'nunjucks';

function render(src: string, ctx: Record<string, unknown> = {}, macros: { path: string; file: string; text: string }[] = []) {
  const t = createTemplateEnvironment(macros);
  const out = new nunjucks.Template(addLineMarkers(src), t.env, 'm.sql', true).render(ctx);
  return stripLineMarkers(out);
}

describe('line markers map compiled SQL back to template lines', () => {
  it.each([
    ['plain lines map one to one', 'select\n  a,\n  b\nfrom t', [1, 2, 3, 4]],
    ['a block tag on its own line keeps later lines aligned', "{{ config(x=1) }}\nselect 1\n{% if true %}\nwhere x\n{% endif %}\n", [1, 2, 3, 4, 5, 6]],
    ['a removed branch drops its lines', 'select 1\n{% if false %}\nwhere a\nand b\n{% endif %}\nlimit 1', [1, 5, 6]],
  ])('%s', (_name, src, expected) => {
    const { lineMap } = render(src, { config: () => '' });
    expect(lineMap).toEqual(expected);
  });

  it('lines a macro expands to belong to the line that called it', () => {
    const macros = [{ path: 'macros/m.sql', file: '/p/macros/m.sql', text: '{% macro cols() %}a,\nb,\nc{% endmacro %}' }];
    const { text, lineMap } = render('select\n{{ cols() }}\nfrom t', {}, macros);
    expect(text).toBe('select\na,\nb,\nc\nfrom t');
    expect(lineMap).toEqual([1, 2, 2, 2, 3]);
  });

  it('never changes the text of string literals that span lines', () => {
    const { text } = render("select 'a\nb' as x");
    expect(text).toBe("select 'a\nb' as x");
  });

  it('templateLine is undefined past the end', () => {
    expect(templateLine([1, 2], 3)).toBeUndefined();
    expect(templateLine([1, 2], 2)).toBe(2);
  });
});

/** The rules of line-markers.ts, spelled out one character at a time: what the real code must equal. */
function markByCharacter(source: string): string {
  let out = '';
  let line = 1;
  let inTag: string | null = null;
  for (let i = 0; i < source.length; ) {
    if (inTag === null) {
      const two = source.slice(i, i + 2);
      if (two === '{{' || two === '{%' || two === '{#') {
        inTag = two === '{{' ? '}}' : two === '{%' ? '%}' : '#}';
        out += two;
        i += 2;
        continue;
      }
      if (source[i] === '\n') out += `\uE000${line++}\uE001`;
    } else if (source.startsWith(inTag, i)) {
      out += inTag;
      i += 2;
      inTag = null;
      continue;
    } else if (source[i] === '\n') line++;
    out += source[i++];
  }
  return inTag === null ? `${out}\uE000${line}\uE001` : out;
}

function stripByLine(rendered: string): { text: string; lineMap: number[] } {
  const lines = rendered.split('\n');
  const lineMap = lines.map((l) => Number(/\uE000(\d+)\uE001/.exec(l)?.[1] ?? 0));
  let next = lineMap[lineMap.length - 1] || 0;
  for (let i = lineMap.length - 1; i >= 0; i--) {
    if (lineMap[i] === 0) lineMap[i] = next;
    else next = lineMap[i]!;
  }
  return { text: lines.map((l) => l.replace(/\uE000\d+\uE001/g, '')).join('\n'), lineMap };
}

describe('line markers, for any text', () => {
  const piece = fc.constantFrom('{{', '}}', '{%', '%}', '{#', '#}', '{', '}', '%', '#', '\n', '\n', 'a', ' ', '\uE000', '\uE001', '\uE0003\uE001', '\uE00012\uE001', '7');
  const text = fc.array(piece, { maxLength: 40 }).map((a) => a.join(''));

  it('are added as the character-by-character rules say', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(addLineMarkers(t)).toBe(markByCharacter(t));
      }),
      { numRuns: 3000 },
    );
  });

  it('are read and stripped as the line-by-line rules say', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(stripLineMarkers(t)).toEqual(stripByLine(t));
        expect(stripLineMarkers(addLineMarkers(t))).toEqual(stripByLine(markByCharacter(t)));
      }),
      { numRuns: 3000 },
    );
  });
});
