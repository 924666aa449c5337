import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/api.js';
import type { ModelNode } from '../../src/types.js';
import { removeDir, writeProject } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe('a {% materialization %} block in a macro file', () => {
  it('is a note at its line, and the macros around it keep working', () => {
    const dir = writeProject({
      'models/a.sql': 'select {{ before() }} as x, {{ after() }} as y\n',
      'macros/m.sql':
        '{% macro before() %}0{% endmacro %}\n{% materialization mymat, default %}\n{{ return({"relations": []}) }}\n{% endmaterialization %}\n{% macro after() %}1{% endmacro %}\n',
    });
    dirs.push(dir);
    const { manifest } = compile({ projectDir: dir, env: {} });
    expect((manifest.nodes['model.a'] as ModelNode).compiledSql.trim()).toBe('select 0 as x, 1 as y');
    const notes = (manifest.notes ?? []).filter((n) => n.file.endsWith('m.sql')).map((n) => `${n.line}: ${n.message}`);
    expect(notes).toEqual(['2: {% materialization mymat %}: custom materializations are not supported, so this block has no effect']);
  });
});
