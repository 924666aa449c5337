import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/api.js';
import { columnLineage, type ColumnLineageDoc } from '../../src/lineage/column-lineage.js';
import { removeDir } from '../helpers/project.js';
import { SEED_CFG } from '../redshift/redshift-project.js';
import { copyShippedProject } from './shipped-project.js';

/**
 * Column-level lineage of every column of the shipped Sparkify models (models/ at the repo root),
 * compiled for each engine: the same lineage on every engine, pinned in one golden file that follows
 * models/ (accept an intended change with `npm run test:update-goldens`). Each line is
 * `node.column: kind <- upstream node:column, ...`. The lineage mechanics are tested on fixtures in
 * src/lineage/ and test/docs/.
 */

const dir = copyShippedProject(SEED_CFG);
afterAll(() => removeDir(dir));

describe.each(['duckdb', 'postgres', 'redshift'])('column lineage of the Sparkify models compiled for %s', (targetName) => {
  let doc: ColumnLineageDoc;
  it('traces every column of every model', async () => {
    const c = compile({ projectDir: dir, targetName, env: {} });
    doc = await columnLineage(c.manifest, { dialect: c.dialect });
    const lines: string[] = [];
    for (const [id, node] of Object.entries(doc.nodes).sort(([a], [b]) => a.localeCompare(b))) {
      expect(node.error, id).toBeUndefined();
      for (const col of node.columns) lines.push(`${id}.${col.column}: ${col.kind} <- ${col.upstream.map((u) => `${u.node}:${u.column}`).join(', ')}`);
      // every model column declared in a property file is traced, in the model's own order
      const declared = c.manifest.nodes[id]!;
      if (declared.resourceType === 'model' && declared.columns.length > 0) expect(node.columns.map((x) => x.column)).toEqual(declared.columns.map((x) => x.name));
    }
    // every model and snapshot has its lineage
    expect(Object.keys(doc.nodes).sort()).toEqual(Object.values(c.manifest.nodes).filter((n) => n.resourceType === 'model' || n.resourceType === 'snapshot').map((n) => n.id).sort());
    await expect(lines.join('\n') + '\n').toMatchFileSnapshot('./__golden__/lineage.txt');
  });
});
