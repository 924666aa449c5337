// Properties of the shipped models (models/ at the repo root) that keep the warehouse the same on
// every engine.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelNode } from '../../src/types.js';
import { removeDir } from '../helpers/project.js';
import { compileShipped, copyShippedProject } from './shipped-project.js';

const dir = copyShippedProject();
afterAll(() => removeDir(dir));

describe('the shipped models', () => {
  it("never divide with '/', whose integer result differs between DuckDB (3.5) and PostgreSQL (3) (test/postgres/engine-quirks.test.ts)", () => {
    // the dialects' helpers divide on purpose, so read the models' own text
    const { manifest } = compileShipped(dir, 'postgres');
    const models = Object.values(manifest.nodes).filter((n): n is ModelNode => n.resourceType === 'model');
    expect(models.length).toBeGreaterThan(0);
    for (const node of models) {
      const code = node.rawSql.replace(/\{#[\s\S]*?#\}/g, '').replace(/--.*$/gm, '');
      expect(code, `${path.basename(node.file)} divides`).not.toContain('/');
    }
  });
});
