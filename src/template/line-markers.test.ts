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
