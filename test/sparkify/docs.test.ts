// The docs site of the shipped project (models/ at the repo root): the nodes and edges its graph
// draws and the column lineage `docs generate` reports, built from the sample data and pinned in a
// golden file that follows models/ (accept an intended change with `npm run test:update-goldens`).
// The site's mechanics in a real browser are tested on the fixture warehouse in test/docs/docs-site.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SiteData } from '../../src/docs/site-data.js';
import { removeDir, runCli } from '../helpers/project.js';
import { copyShippedProject } from './shipped-project.js';

const dir = copyShippedProject();
afterAll(() => removeDir(dir));

describe('docs generate on the shipped project', () => {
  it('draws every model, source, seed and snapshot with the edges between them', async () => {
    const built = runCli(['build', '--project-dir', dir]);
    expect(built.code, built.stderr + built.stdout).toBe(0);
    const docs = runCli(['docs', 'generate', '--project-dir', dir]);
    expect(docs.code, docs.stderr + docs.stdout).toBe(0);
    const lineage = /column lineage of \d+ columns \(\d+ traced, \d+ untraceable\)/.exec(docs.stdout);
    expect(lineage, docs.stdout).not.toBeNull();

    const js = readFileSync(path.join(dir, 'target', 'docs', 'data.js'), 'utf8');
    const site = JSON.parse(js.slice(js.indexOf('{'), js.lastIndexOf('}') + 1)) as SiteData;
    // what the site's graph draws: every node but the tests, and each parent edge between them
    const drawn = site.graph.order.filter((id) => site.graph.nodes[id]?.resourceType !== 'test');
    const shown = new Set(drawn);
    const edges = drawn.flatMap((id) => (site.graph.parentMap[id] ?? []).filter((p) => shown.has(p)).map((p) => `${p} -> ${id}`));
    expect(drawn.length).toBeGreaterThan(0);
    const text = [
      `${drawn.length} nodes, ${edges.length} edges; ${lineage![0]}`,
      '',
      ...[...drawn].sort(),
      '',
      ...edges.sort(),
    ].join('\n');
    await expect(text + '\n').toMatchFileSnapshot('./__golden__/docs-graph.txt');
  });
});
