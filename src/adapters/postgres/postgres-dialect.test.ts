import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATE_PARTS, type Step } from '../adapter.js';
import { resolveTarget } from '../../config/load-config.js';
import { compileProject } from '../../compile/compile-project.js';
import { planRun } from '../../materializations/plan-run.js';
import { stepStatements } from '../../materializations/render-plan.js';
import { loadProject } from '../../project/load-project.js';
import { PostgresDialect } from './postgres-dialect.js';
import { RedshiftDialect } from '../redshift/redshift-dialect.js';

const d = new PostgresDialect();
const repo = path.resolve(import.meta.dirname, '../../..');

describe('PostgresDialect', () => {
  it('spells the SQL helpers so they agree with DuckDB (checked against both in test/postgres)', async () => {
    const lines = [
      `epochMsToTimestamp: ${d.epochMsToTimestamp('p.ts')}`,
      ...DATE_PARTS.map((p) => `datePart(${p}): ${d.datePart(p, 'start_time')}`),
      `surrogateKey: ${d.surrogateKey(['a', 'b'])}`,
      `castText: ${d.castText('x')}`,
    ];
    await expect(lines.join('\n') + '\n').toMatchFileSnapshot('./__golden__/helpers.sql');
  });

  it('indexes a staging table by its loads with BRIN, summarized in the append; Redshift has zone maps instead', () => {
    const r = { schema: 'sparkify', name: 'staging_events' };
    const source = { id: 'sparkify.staging_events', identifier: 'staging_events', name: 'staging_events', sourceName: 'sparkify', columns: [{ name: 'ts', type: 'bigint' }], file: 'sources.yml', line: 1, tags: [] };
    expect(d.indexStagingTable(r, source)).toEqual(['CREATE INDEX IF NOT EXISTS "staging_events_load_seq_brin" ON "sparkify"."staging_events" USING brin ("_load_seq")']);
    // the loaded_at_field, when it is a column, is summarized too
    expect(d.indexStagingTable(r, { ...source, loadedAtField: 'ts' })).toEqual(['CREATE INDEX IF NOT EXISTS "staging_events_load_seq_brin" ON "sparkify"."staging_events" USING brin ("_load_seq", "ts")']);
    expect(d.afterStagingAppend(r)).toEqual([`SELECT pg_catalog.brin_summarize_new_values('"sparkify"."staging_events_load_seq_brin"'::regclass)`]);
    // a name that would pass 63 bytes is cut, with a hash of the whole name, as tmp relations are
    const long = { schema: 's', name: 'x'.repeat(50) };
    const [sql] = d.indexStagingTable(long, source);
    const name = /INDEX IF NOT EXISTS "([^"]+)"/.exec(sql!)![1]!;
    expect(name.length).toBe(63);
    expect(name).toMatch(/^x+_load_seq_brin_[0-9a-f]{8}$/);
    expect(d.indexStagingTable({ schema: 's', name: 'x'.repeat(49) + 'y' }, source)[0]).not.toBe(sql);
    const rs = new RedshiftDialect();
    expect(rs.indexStagingTable(r, source)).toEqual([]);
    expect(rs.afterStagingAppend(r)).toEqual([]);
  });

  it('creates staging tables with byte-order collation on text columns only', () => {
    const cols = [
      { name: 'userid', type: 'varchar(32)' },
      { name: 'note', type: 'text' },
      { name: 'ts', type: 'bigint' },
      { name: 'length', type: 'double precision' },
    ];
    expect(d.createTable({ schema: 's', name: 't' }, cols)).toBe(
      'CREATE TABLE "s"."t" (\n  "userid" varchar(32) COLLATE "C",\n  "note" text COLLATE "C",\n  "ts" bigint,\n  "length" double precision\n)',
    );
    expect(d.copyFromStdin({ schema: 's', name: 't' }, cols)).toBe('COPY "s"."t" ("userid", "note", "ts", "length") FROM STDIN');
  });

  it('loads from the client: a load step, streamed by the engine', () => {
    const source = { id: 'source.s.t', columns: [] } as never;
    expect(d.loadSource(source, { schema: 's', name: 't__sparkify_tmp' })).toEqual([{ kind: 'load', source, into: { schema: 's', name: 't__sparkify_tmp' } }]);
  });

  it('run lock keys: 64 bits of a hash, distinct for schemas whose 31-bit FNV keys collided', () => {
    const [a, b] = [d.runLockKeys('attack_c69779'), d.runLockKeys('attack_c276906')];
    expect(a).not.toEqual(b);
    for (const k of [...a, ...b]) expect(Number.isInteger(k) && k >= -(2 ** 31) && k < 2 ** 31).toBe(true);
    // no two of 200,000 schema names share a key pair
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) seen.add(d.runLockKeys(`attack_c${i}`).join(','));
    expect(seen.size).toBe(200_000);
    // the lock statement names its target, and the holder's target reads back from it
    const sql = d.tryRunLock("it's_schema");
    expect(sql).toBe(`SELECT pg_try_advisory_lock(${d.runLockKeys("it's_schema").join(', ')}) AS locked, 'sparkify run lock' AS lock, 'it''s_schema' AS target`);
    expect(d.runLockTarget(sql)).toBe("it's_schema");
    expect(d.runLockTarget('SELECT 1')).toBeUndefined();
  });

  it('makes naming transactions take turns only for names that share their first 62 bytes', () => {
    const head = 't'.repeat(62);
    expect(d.serializeNaming!({ schema: 's', name: 't'.repeat(61) })).toBeUndefined();
    const a = d.serializeNaming!({ schema: 's', name: head + 'a' });
    expect(a).toMatch(/^SELECT pg_advisory_xact_lock\(-?\d+, -?\d+\)$/);
    expect(d.serializeNaming!({ schema: 's', name: head })).toBe(a);
    expect(d.serializeNaming!({ schema: 's', name: 'u' + head.slice(1) })).not.toBe(a);
    expect(d.serializeNaming!({ schema: 'other', name: head })).not.toBe(a);
    expect(new RedshiftDialect().serializeNaming).toBeUndefined();
  });

  it('cancels server processes by pid, as integers only', () => {
    expect(d.cancelBackends([12, 345])).toBe('SELECT pg_cancel_backend(pid) FROM unnest(ARRAY[12, 345]::integer[]) AS pid');
  });

  it('plans the Sparkify build: tmp table, COPY load, swap in one transaction', async () => {
    const target = resolveTarget({ projectDir: repo, env: {}, readFile: () => undefined, targetName: 'postgres' });
    target.s3 = { logData: '/data/log_data', logJsonPath: '/data/log_json_path.json', songData: '/data/song_data' };
    const manifest = compileProject(loadProject(repo), { target, dialect: d, env: {} });
    const existing = manifest.order.map((id) => ({ ...manifest.nodes[id]!.relation, type: 'table' as const }));
    const plan = planRun(manifest, manifest.order.filter((id) => ['model', 'source'].includes(manifest.nodes[id]!.resourceType)), existing, d);
    const step = (s: Step) =>
      s.kind === 'transaction' ? `BEGIN;\n${s.statements.join(';\n')};\nCOMMIT;` : s.kind === 'load' ? `-- load ${s.source.id}: ${d.createTable(s.into, s.source.columns)};\n${d.copyFromStdin(s.into, s.source.columns)};` : s.kind === 'sql' || s.kind === 'count' ? `${s.sql};` : stepStatements(s, d).map((x) => `${x};`).join('\n');
    const text = ['-- setup', ...plan.setup.map(step), ...plan.nodes.flatMap((n) => [`\n-- ${n.id} (${n.materialization})`, ...n.steps.map(step)])].join('\n') + '\n';
    await expect(text).toMatchFileSnapshot('./__golden__/postgres-rebuild.sql');
  });
});
