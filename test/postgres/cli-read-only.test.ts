import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, writeProject } from '../helpers/project.js';
import { connect, dropSchema, freshSchema, pgCfg } from './pg.js';

/** debug and show on PostgreSQL: read-only (no schema created), bare names resolved in the target schema. */
const schema = freshSchema('cli_ro');
const dir = writeProject({
  'dwh.cfg': pgCfg(schema) + '[SPARKIFY]\nTARGET = postgres\n',
  'sources.yml': `version: 2
sources:
  - name: raw
    tables:
      - name: events
        location: data
        copy: { json: auto }
        columns: [{ name: id, type: integer }, { name: v, type: bigint }]
`,
  'data/a.json': [1, 2, 3].map((i) => JSON.stringify({ id: i, v: i * 10 })).join('\n') + '\n',
  'models/totals.sql': "select count(*) as n, sum(v) as total from {{ source('raw', 'events') }}\n",
});
afterAll(async () => {
  await dropSchema(schema);
  removeDir(dir);
});

const cli = (...args: string[]) => runCli([...args, '--project-dir', dir]);

async function schemaExists(): Promise<boolean> {
  const c = await connect();
  try {
    return (await c.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).rowCount === 1;
  } finally {
    await c.end();
  }
}

describe('debug, show and load progress on PostgreSQL', () => {
  it('debug and show create no schema; show of an unbuilt model says how to build it', async () => {
    const debug = cli('debug');
    expect(debug.code).toBe(0);
    expect(debug.stdout).toContain('connection: OK');
    expect(debug.stdout).toContain(`schema ${schema}: empty or not created yet`);
    const unbuilt = cli('show', '--select', 'totals');
    expect(unbuilt.code).toBe(2);
    expect(unbuilt.stderr).toContain(`totals is not built yet: ${schema}.totals does not exist on postgres`);
    expect(unbuilt.stderr).toContain('run sparkify run -s totals');
    const inline = cli('show', '--inline', 'select 1 as one', '--output', 'json');
    expect(inline.code).toBe(0);
    expect(JSON.parse(inline.stdout)).toEqual([{ one: 1 }]);
    expect(await schemaExists()).toBe(false);
  });

  it('show --inline resolves bare names in the target schema (search_path); a missing relation names the schema searched', async () => {
    const run = cli('run', '--log-format', 'json');
    expect(run.code).toBe(0);
    // the load's progress on PostgreSQL, where sparkify streams the files into COPY
    const progress = run.stdout
      .split('\n')
      .filter((l) => l.includes('"node_progress"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(progress[0]).toMatchObject({ id: 'source.raw.events', done: 0, total: 1, rows: 0 });
    expect(progress[progress.length - 1]).toMatchObject({ id: 'source.raw.events', done: 1, total: 1, rows: 3, bytes: 48 });
    const bare = cli('show', '--inline', 'select n, total from totals', '--output', 'json');
    expect(bare.stderr).toBe('');
    expect(JSON.parse(bare.stdout)).toEqual([{ n: '3', total: '60' }]);
    const missing = cli('show', '--inline', 'select * from totls');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('relation "totls" does not exist');
    expect(missing.stderr).toContain(`searched schema ${schema} of postgres`);
    expect(missing.stderr).toContain("did you mean 'totals'?");
    // read-only: a write is refused by the server and changes nothing
    const drop = cli('show', '--inline', 'drop table totals', '--limit', '-1');
    expect(drop.code).toBe(1);
    expect(drop.stderr).toMatch(/read-only transaction/);
    expect(JSON.parse(cli('show', '--select', 'totals', '--output', 'json').stdout)).toEqual([{ n: '3', total: '60' }]);
  });
});
