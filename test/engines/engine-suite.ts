import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, runCompiled, writeRunPlan, type Compiled } from '../../src/api.js';
import type { Engine } from '../../src/adapters/adapter.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import type { EngineDefinition } from '../../src/adapters/engine-definition.js';
import type { RunResult } from '../../src/runner/execute-plan.js';
import { removeDir, writeProject } from '../helpers/project.js';

/**
 * One engine suite, written once and run against every engine (as Drizzle runs one shared suite
 * per driver): a fixture project with a source loaded under max_errors, a table, a view and an
 * incremental model, and data tests, built twice. Each engine has a file beside this one that
 * calls engineSuite() with how to reach it.
 */
export interface EngineUnderTest {
  /** the engine's name in the suite's title */
  name: string;
  /** --target */
  targetName: string;
  /** the dwh.cfg sections that point this engine at a fresh schema; LOG_DATA is the fixture's data folder */
  config: string;
  /** the engines the target may name (an engine from outside src/adapters/ adds itself here) */
  engines?: readonly EngineDefinition[];
  /** drops what the suite built on a server */
  cleanup?: () => Promise<void>;
}

const row = (id: number, name: string, amount: number | string) => JSON.stringify({ id, name, amount });

/** The fixture project: raw.events from JSON files (one bad line, max_errors 1), and three models over it. */
export const SUITE_FILES: Record<string, string> = {
  'data/events/part-1.json': [row(1, 'Ann', 5.5), row(2, "O'Neil", 12.25), row(3, 'Zoë', 40), row(4, 'tab\there', 0.125)].join('\n') + '\n',
  'data/events/part-2.json': `${row(5, 'Eve', 99)}\n${row(6, 'Bad', 'lots')}\n`,
  'sources.yml': `version: 2
sources:
  - name: raw
    tables:
      - name: events
        location: "{{ target.s3.log_data }}"
        copy: { format: json, json: auto, max_errors: 1 }
        columns:
          - { name: id, type: integer }
          - { name: name, type: varchar(16) }
          - { name: amount, type: double precision }
`,
  'models/events_clean.sql': "{{ config(materialized='table') }}\nselect id, name, amount from {{ source('raw', 'events') }}\n",
  'models/big_events.sql': "{{ config(materialized='view') }}\nselect id, name from {{ ref('events_clean') }}\nwhere amount > 10\n",
  'models/event_log.sql':
    "{{ config(materialized='incremental', unique_key='id') }}\nselect id, name, amount from {{ source('raw', 'events') }}\n{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n",
  'models/schema.yml': `version: 2
models:
  - name: events_clean
    columns:
      - name: id
        data_tests: [unique, not_null]
  - name: big_events
    columns:
      - name: name
        data_tests: [not_null]
`,
};

/** The nodes of the fixture in the order a run reports them, and what each one is. */
const NODES = [
  ['events', 'source'],
  ['event_log', 'model'],
  ['events_clean', 'model'],
  ['big_events', 'model'],
];

export function engineSuite(e: EngineUnderTest): void {
  describe(`the engine suite on ${e.name}`, () => {
    let dir: string;
    let compiled: Compiled;
    let engine: Engine;
    let first: RunResult;
    const q = (sql: string) => engine.withConnection((c) => c.query(sql));
    const rel = (name: string) => engine.dialect.relation({ schema: compiled.target.schema, name });
    const status = (r: RunResult) => r.results.map((n) => [n.name, n.status]);
    const byName = (r: RunResult, name: string) => r.results.find((n) => n.name === name)!;

    beforeAll(async () => {
      dir = writeProject({ ...SUITE_FILES, 'dwh.cfg': `${e.config}[S3]\nLOG_DATA = data/events\n` });
      compiled = compile({ projectDir: dir, targetName: e.targetName, env: {}, engines: e.engines });
      engine = await openEngine(compiled.target, 2, { engines: e.engines });
      first = (await runCompiled(compiled, engine, {})).result;
    });

    afterAll(async () => {
      await engine?.close();
      await e.cleanup?.();
      if (dir) removeDir(dir);
    });

    it('builds every node: the source, a table, a view and an incremental model', () => {
      expect(compiled.target.type).toBe(e.targetName);
      expect([...status(first)].sort()).toEqual(NODES.map(([n]) => [n, 'success']).sort());
      expect(byName(first, 'events')).toMatchObject({ rows: 5, files: 2, records: 6 });
      expect(byName(first, 'events_clean').rows).toBe(5);
    });

    it('loads the same values on every engine: text with quotes, tabs and non-ASCII, doubles exactly', async () => {
      const rows = await q(`select id, name, amount from ${rel('events_clean')} order by id`);
      expect(rows.map((r) => [Number(r.id), r.name, Number(r.amount)])).toEqual([
        [1, 'Ann', 5.5],
        [2, "O'Neil", 12.25],
        [3, 'Zoë', 40],
        [4, 'tab\there', 0.125],
        [5, 'Eve', 99],
      ]);
    });

    it('skips the bad line under max_errors and records it in sparkify_load_errors with its file, line and column', async () => {
      expect(byName(first, 'events').rejected).toMatchObject({ count: 1 });
      const rows = await q(`select file, line, column_name, reason from ${rel('sparkify_load_errors')}`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ file: path.join(dir, 'data/events/part-2.json'), column_name: 'amount' });
      expect(Number(rows[0]!.line)).toBe(2);
      expect(String(rows[0]!.reason)).toMatch(/double precision/);
    });

    it('builds the view over the table', async () => {
      expect(await engine.listRelations([compiled.target.schema])).toContainEqual({ schema: compiled.target.schema, name: 'big_events', type: 'view' });
      const rows = await q(`select id from ${rel('big_events')} order by id`);
      expect(rows.map((r) => Number(r.id))).toEqual([2, 3, 5]);
    });

    it('passes the data tests', async () => {
      const { result } = await runCompiled(compiled, engine, { resourceTypes: ['test'] });
      expect(result.results.map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
    });

    it('on a second run, adds only the new rows to the incremental model and rebuilds the table', async () => {
      writeFileSync(path.join(dir, 'data/events/part-3.json'), `${row(7, 'Kim', 1)}\n`);
      appendFileSync(path.join(dir, 'data/events/part-3.json'), `${row(8, 'Lee', 20)}\n`);
      const { result } = await runCompiled(compiled, engine, {});
      expect([...status(result)].sort()).toEqual(NODES.map(([n]) => [n, 'success']).sort());
      expect(byName(result, 'events').rows).toBe(7);
      expect(byName(result, 'event_log').inserted).toBe(2);
      const log = await q(`select id from ${rel('event_log')} order by id`);
      expect(log.map((r) => Number(r.id))).toEqual([1, 2, 3, 4, 5, 7, 8]);
      expect((await q(`select id from ${rel('big_events')} order by id`)).map((r) => Number(r.id))).toEqual([2, 3, 5, 8]);
    });
  });
}

/**
 * The suite for an engine this machine cannot reach (Redshift): the fixture project planned for
 * it, every statement pinned in a golden file, node for node the same plan as the engines that run.
 */
export function engineSuitePlan(e: Omit<EngineUnderTest, 'cleanup'> & { golden: string }): void {
  describe(`the engine suite on ${e.name}, planned`, () => {
    let dir: string;
    afterAll(() => dir && removeDir(dir));

    it('plans every node of the fixture: the COPY, the table, the view and the incremental upsert', async () => {
      dir = writeProject({ ...SUITE_FILES, 'dwh.cfg': e.config });
      const compiled = compile({ projectDir: dir, targetName: e.targetName, env: {}, offline: true, engines: e.engines });
      const file = writeRunPlan(compiled, Object.keys(compiled.manifest.nodes));
      const sql = readFileSync(file, 'utf8').replaceAll(dir, '<project>');
      for (const [name, kind] of NODES) expect(sql).toContain(`-- ${kind}.${kind === 'source' ? `raw.${name}` : name} `);
      await expect(sql).toMatchFileSnapshot(e.golden);
    });
  });
}
