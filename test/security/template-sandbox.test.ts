import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, writeProject } from '../helpers/project.js';

/**
 * A template that reaches Function runs any JavaScript during `sparkify compile`. Each payload
 * below, if it ran, would create a marker file; the real CLI must refuse every one at its location
 * and create none.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const write = (marker: string) => `process.getBuiltinModule('fs').writeFileSync('${marker}', 'ran')`;

describe('templates are sandboxed in models, macros and sources.yml', () => {
  it('the known nunjucks escapes are template errors at file:line, and none of them runs', () => {
    // the markers go to a folder of their own, made first, so the payloads can name them
    const markers = writeProject({});
    dirs.push(markers);
    const m = (name: string) => path.join(markers, `ran-${name}`);
    const files = {
      'models/via_range.sql': `select 1 as x\n-- {{ range.constructor("${write(m('range'))}")() }}\n`,
      'models/via_cycler.sql': `select 1 as x,\n  '{{ cycler.constructor("${write(m('cycler'))}")() }}' as y\n`,
      'models/via_string.sql': `select 1 as x\n\n{{ ''.constructor.constructor("${write(m('string'))}")() }}\n`,
      'models/via_computed.sql': `{% set k = 'constr' ~ 'uctor' %}\nselect 1 as x\n{{ joiner[k]("${write(m('computed'))}")() }}\n`,
      'models/via_macro.sql': 'select {{ evil() }} as x\n',
      'macros/evil.sql': `{% macro evil() %}\n1\n{{ range.__proto__.constructor.constructor("${write(m('macro'))}")() }}\n{% endmacro %}\n`,
      'sources.yml': `version: 2\nsources:\n  - name: raw\n    tables:\n      - name: t\n        location: 'data/{{ range.constructor("${write(m('yaml')).replace(/'/g, "''")}")() }}'\n        columns: [{ name: id, type: integer }]\n`,
    };
    const project = writeProject(files);
    dirs.push(project);
    const r = runCli(['compile', '--project-dir', project], { cwd: project });
    expect(r.code).toBe(2);
    const heads = r.stderr.split('\n').filter((l) => /error/i.test(l) && !l.startsWith(' '));
    const blocked = /cannot be used in a template: it would reach JavaScript's internals$/;
    expect(heads).toEqual([
      expect.stringMatching(/^macros\/evil\.sql:3:\d+: Template error: 'constructor' /),
      expect.stringMatching(/^models\/via_computed\.sql:3:\d+: Template error: 'constructor' /),
      expect.stringMatching(/^models\/via_cycler\.sql:2:\d+: Template error: 'constructor' /),
      // the macro file did not load, so the model that calls it reports that
      'models/via_macro.sql: Template error: Unable to call `evil`, which is undefined or falsey',
      expect.stringMatching(/^models\/via_range\.sql:2:\d+: Template error: 'constructor' /),
      expect.stringMatching(/^models\/via_string\.sql:3:\d+: Template error: 'constructor' /),
      expect.stringMatching(/^sources\.yml:6:\d+: Project error: cannot render .*'constructor' cannot be used in a template/),
    ]);
    for (const h of heads.filter((x) => !x.includes('via_macro') && !x.startsWith('sources'))) expect(h).toMatch(blocked);
    for (const name of ['range', 'cycler', 'string', 'computed', 'macro', 'yaml']) expect(existsSync(m(name)), `payload ${name} ran`).toBe(false);
  });
});
