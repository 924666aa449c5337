import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/api.js';
import { planRun } from '../../src/materializations/plan-run.js';
import { renderPlan } from '../../src/materializations/render-plan.js';
import { readSeedCsv } from '../../src/loaders/formats/csv.js';
import type { SeedLoadStep } from '../../src/adapters/adapter.js';
import { removeDir, writeProject } from '../helpers/project.js';

/**
 * Redshift's seeds, pinned: no cluster is reachable here, so the statements a seed sends are
 * golden files. The CSV is read as it would be before the COPY (its types inferred with
 * dbt-redshift's rules), then the table and the COPY from the seed's S3 location are spelt.
 */
const FILES = {
  'dbt_project.yml': 'name: shop\nseeds:\n  shop:\n    lookups:\n      +column_types: {code: varchar(2)}\n',
  'seeds/raw_payments.csv': 'id,order_id,payment_method,amount,paid_at,refunded\n1,1,credit_card,10.5,2018-01-01 10:00:00,false\n2,1,coupon,2.25,2018-01-02 11:30:00,true\n',
  'seeds/lookups/codes.csv': 'code;label\nA;first\nB;sécond\n',
  'seeds/lookups/codes.yml': 'version: 2\nseeds:\n  - name: codes\n    config:\n      delimiter: ";"\n',
};

const CLUSTER = '[IAM_ROLE]\nARN = arn:aws:iam::123456789012:role/dwhRole\n';

describe('seeds on Redshift, planned', () => {
  it('each seed: the table with the inferred types, COPY ... CSV from [S3] SEED_DATA, and the swap or the replace of its rows', async () => {
    const dir = writeProject({ ...FILES, 'dwh.cfg': `${CLUSTER}[S3]\nSEED_DATA = s3://shop-seeds/v1\n` });
    try {
      const c = compile({ projectDir: dir, targetName: 'redshift', env: {}, offline: true });
      const ids = Object.keys(c.manifest.nodes).filter((id) => id.startsWith('seed.')).sort();
      expect(ids).toEqual(['seed.codes', 'seed.raw_payments']);
      const out: string[] = [];
      for (const existing of [[], ids.map((id) => ({ ...c.manifest.nodes[id]!.relation, type: 'table' as const }))]) {
        const plan = planRun(c.manifest, ids, existing, c.dialect);
        out.push(`-- ${existing.length === 0 ? 'first load' : 'again, the tables exist'}`, renderPlan(plan, c.dialect));
        // the statements sent once the file is read: the tmp table with the inferred columns, then the COPY
        for (const n of plan.nodes) {
          const step = n.steps.find((s): s is SeedLoadStep => s.kind === 'seed-load')!;
          const csv = await readSeedCsv(step.seed, (col) => c.dialect.seedColumnType(col));
          out.push(`-- ${n.id} when it runs:`, `${c.dialect.createTable(step.into, csv.columns)};`, `${c.dialect.seedLoad(step.into, csv.columns, step.seed).sql};`);
        }
      }
      await expect(out.join('\n').replaceAll(dir, '<project>') + '\n').toMatchFileSnapshot('./__golden__/redshift-seeds.sql');
    } finally {
      removeDir(dir);
    }
  });

  it('without [S3] SEED_DATA the seed says how to upload it', async () => {
    const dir = writeProject({ ...FILES, 'dwh.cfg': CLUSTER });
    try {
      const c = compile({ projectDir: dir, targetName: 'redshift', env: {}, offline: true });
      const plan = planRun(c.manifest, ['seed.raw_payments'], [], c.dialect);
      const step = plan.nodes[0]!.steps.find((s): s is SeedLoadStep => s.kind === 'seed-load')!;
      expect(() => c.dialect.seedLoad(step.into, [{ name: 'id', type: 'integer', declared: false }], step.seed)).toThrow(/no seed location is set/);
      expect(renderPlan(plan, c.dialect)).toContain('aws s3 sync seeds/ s3://<bucket>/<prefix>/');
      expect(readFileSync(step.seed.file, 'utf8')).toContain('credit_card');
    } finally {
      removeDir(dir);
    }
  });
});
