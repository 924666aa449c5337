import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, Dialect, Engine, ExistingRelation, Step } from '../../src/adapters/adapter.js';
import { createDialect, openEngine } from '../../src/adapters/create-engine.js';
import { DuckDbDialect } from '../../src/adapters/duckdb/duckdb-dialect.js';
import { PostgresDialect } from '../../src/adapters/postgres/postgres-dialect.js';
import { compile, runCompiled } from '../../src/api.js';
import { compileProject } from '../../src/compile/compile-project.js';
import { resolveTarget, type EngineType } from '../../src/config/load-config.js';
import { SparkifyError } from '../../src/errors.js';
import { stepStatements } from '../../src/materializations/render-plan.js';
import { planRun } from '../../src/materializations/plan-run.js';
import type { Project } from '../../src/project/load-project.js';
import type { Manifest, SourceNode } from '../../src/types.js';
import { defaultSettings } from '../../src/project/project-settings.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';
import { removeDir, writeProject } from '../helpers/project.js';

/**
 * Hostile values in every config field and every source and model option: each is either refused
 * with a located error, or reaches SQL only inside a quoted literal or identifier. Then real runs on
 * DuckDB and PostgreSQL, recording every statement, prove that no SQL beyond the intended one runs.
 */
const HOSTILE = [
  `'; drop table users; --`,
  `x" ; drop table users; --`,
  `back\\slash\\'); drop table users; --`,
  `new\nline'); drop table users; --`,
  `*/ drop table users; /*`,
  `$$; drop table users; $$`,
];

/** The statement with every quoted literal ('…') and identifier ("…") removed: what the database parses as SQL. */
function outsideQuotes(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      // SQL quoting: the quote character doubled stands for itself
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new Error(`unterminated ${c} in ${sql}`);
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      out += ' Q ';
      i = j;
    } else out += c;
  }
  return out;
}

function assertOnlyIntended(sql: string): void {
  const bare = outsideQuotes(sql);
  expect(bare, sql).not.toMatch(/;|--|\/\*|\$\$|\busers\b/);
}

const CFG: Record<string, Record<string, string>> = {
  SPARKIFY: { TARGET: 'duckdb', THREADS: '2' },
  DUCKDB: { PATH: ':memory:', SCHEMA: 'main' },
  POSTGRES: { HOST: '127.0.0.1', PORT: '5432', DB_NAME: 'test', DB_USER: 'postgres', DB_PASSWORD: 'pw', SCHEMA: 'sec', SSL: 'false' },
  CLUSTER: { HOST: 'c.example.com', DB_NAME: 'dev', DB_USER: 'awsuser', DB_PASSWORD: 'pw', DB_PORT: '5439', SCHEMA: 'public', REGION: 'us-west-2' },
  IAM_ROLE: { ARN: 'arn:aws:iam::123456789012:role/dwhRole' },
  S3: {
    LOG_DATA: 's3://udacity-dend/log_data',
    LOG_JSONPATH: 's3://udacity-dend/log_json_path.json',
    SONG_DATA: 's3://udacity-dend/song_data',
    REGION: 'us-west-2',
    ENDPOINT: 'http://127.0.0.1:9000',
    FORCE_PATH_STYLE: 'true',
  },
};

const cfgText = (over?: [string, string, string]) =>
  Object.entries(CFG)
    .map(
      ([section, keys]) =>
        `[${section}]\n${Object.entries(keys)
          .map(([k, v]) => `${k} = ${over && over[0] === section && over[1] === k ? over[2] : v}`)
          .join('\n')}`,
    )
    .join('\n\n') + '\n';

type Yaml = Record<string, unknown>;
const SOURCE: Yaml = { name: 'raw', description: 'd', tags: ['t'], loader: 'l' };
const TABLE: Yaml = { name: 'events', identifier: 'events', description: 'd', location: '{{ target.s3.log_data }}', tags: ['t'] };
const COPY: Yaml = {
  format: 'json',
  json: 'auto',
  max_errors: 2,
  compression: 'gzip',
  timeformat: 'epochmillisecs',
  truncatecolumns: true,
  blanksasnull: true,
  emptyasnull: true,
  acceptinvchars: '?',
  compupdate: false,
  statupdate: false,
  manifest: false,
  region: 'us-west-2',
};
const COLUMN: Yaml = { name: 'id', type: 'integer', description: 'd' };

function sourcesText(over?: { at: 'source' | 'table' | 'copy' | 'column'; key: string; value: unknown }): string {
  const pick = (at: string, base: Yaml) => (over?.at === at ? { ...base, [over.key]: over.value } : base);
  const doc = {
    version: 2,
    sources: [
      {
        ...pick('source', SOURCE),
        tables: [{ ...pick('table', TABLE), copy: pick('copy', COPY), columns: [pick('column', COLUMN), { name: 'ts', type: 'bigint' }] }],
      },
    ],
  };
  // JSON is YAML: every hostile string stays one scalar, escaped
  return JSON.stringify(doc, null, 2);
}

const MODEL_CONFIG: Record<string, string> = {
  materialized: "'incremental'",
  unique_key: "'id'",
  tags: "['t']",
  schema: "'marts'",
  alias: "'inc'",
  sort: "['id']",
  dist: "'id'",
  sort_type: "'compound'",
  on_schema_change: "'ignore'",
  incremental_strategy: "'delete+insert'",
  full_refresh: 'false',
  enabled: 'true',
};

function modelText(over?: [string, string]): string {
  const cfg = Object.entries({ ...MODEL_CONFIG, ...(over ? { [over[0]]: over[1] } : {}) })
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `{{ config(${cfg}) }}\nselect id, ts from {{ source('raw', 'events') }}\n`;
}

const DIR = '/p';
function project(files: { sources?: string; model?: string; view?: string; docs?: string }): Project {
  const f = (rel: string, text: string) => ({ path: rel, file: path.join(DIR, rel), text });
  return {
    dir: DIR,
    settings: defaultSettings(),
    models: [
      { ...f('models/inc.sql', files.model ?? modelText()), name: 'inc' },
      { ...f('models/v.sql', files.view ?? "{{ config(materialized='view', bind=false) }}\nselect * from {{ ref('inc') }}\n"), name: 'v' },
    ],
    macros: [],
    sourcesFiles: [f('sources.yml', files.sources ?? sourcesText())],
    docFiles: [
      f(
        'models/schema.yml',
        files.docs ?? JSON.stringify({ version: 2, models: [{ name: 'inc', description: 'd', columns: [{ name: 'id', description: 'd' }] }] }),
      ),
    ],
    problems: [],
  };
}

const TYPES: EngineType[] = ['duckdb', 'postgres', 'redshift'];

/** Every statement a first build and a rebuild would send, including the engines' own load SQL. */
function statements(manifest: Manifest, d: Dialect): string[] {
  const existing: ExistingRelation[] = Object.values(manifest.nodes).map((n) => ({
    ...n.relation,
    type: n.resourceType === 'model' && n.config.materialized === 'view' ? 'view' : 'table',
  }));
  const out: string[] = [];
  const step = (s: Step) => {
    if (s.kind === 'sql' || s.kind === 'count' || s.kind === 'test' || s.kind === 'check' || s.kind === 'unit') out.push(s.sql);
    else if (s.kind === 'transaction') out.push(...s.statements);
    else if (s.kind === 'choose') {
      [s.then, s.else].flat().forEach(step);
      out.push(s.sql);
    }
    else if (s.kind === 'ledger-load') {
      out.push(...stepStatements(s, d));
      step({ kind: 'load', source: s.source, into: s.tmp });
    } else if (s.kind === 'seed-load') {
      out.push(d.seedLoad(s.into, [], s.seed).sql);
    } else {
      const table = (manifest.nodes[`source.${s.source.sourceName}.${s.source.name}`] as SourceNode).table;
      if (d instanceof DuckDbDialect)
        out.push(
          d.loadStatement(
            table,
            s.into,
            [table.location ?? '/x'],
            table.copy!.json,
            table.columns.map((c) => [c.name]),
          ),
        );
      else if (d instanceof PostgresDialect && d.type === 'postgres') out.push(d.createTable(s.into, table.columns), d.copyFromStdin(s.into, table.columns));
      if (d.loadStatements) out.push(...d.loadStatements(s));
    }
  };
  for (const ex of [[], existing]) {
    const plan = planRun(manifest, manifest.order, ex, d);
    plan.setup.forEach(step);
    for (const n of plan.nodes) [...n.steps, ...n.onFailure].forEach(step);
  }
  out.push(...(d.sessionSetup?.() ?? []));
  return out;
}

/** Compiles for every engine: a located error, or statements whose SQL outside quotes is ours alone. */
function check(cfg: string, p: Project, env: Record<string, string> = {}): { refused: number; planned: number } {
  let refused = 0;
  let planned = 0;
  for (const type of TYPES) {
    let manifest: Manifest;
    let dialect: Dialect;
    try {
      const target = resolveTarget({ projectDir: DIR, targetName: type, env, readFile: (f) => (f === path.join(DIR, 'dwh.cfg') ? cfg : undefined) });
      dialect = createDialect(target);
      manifest = compileProject(p, { target, dialect, env });
    } catch (err) {
      if (process.env.DEBUG_HOSTILE) console.log(type, err);
      expect(err).toBeInstanceOf(SparkifyError);
      const errors = (err as { errors?: SparkifyError[] }).errors ?? [err as SparkifyError];
      // env variables have no file; everything else is located
      for (const e of errors) if (!/environment variable/.test(e.message)) expect(e.line, e.message).toBeGreaterThanOrEqual(1);
      refused++;
      continue;
    }
    let sqls: string[];
    try {
      sqls = statements(manifest, dialect);
    } catch (err) {
      // refused while planning: no SQL was sent
      if (process.env.DEBUG_HOSTILE) console.log(type, err);
      expect(err).toBeInstanceOf(SparkifyError);
      refused++;
      continue;
    }
    for (const sql of sqls) assertOnlyIntended(sql);
    planned++;
  }
  return { refused, planned };
}

describe('hostile values in config, sources and models', () => {
  it('the unmodified project plans cleanly on every engine', () => {
    expect(check(cfgText(), project({}))).toEqual({ refused: 0, planned: 3 });
  });

  const cfgFields = Object.entries(CFG).flatMap(([section, keys]) => Object.keys(keys).map((k) => [section, k] as const));
  it.each(cfgFields)('dwh.cfg [%s] %s', (section, key) => {
    for (const h of HOSTILE) check(cfgText([section, key, h.replace(/\n/g, ' ')]), project({}));
  });

  it.each(['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD', 'AWS_SECRET_ACCESS_KEY'])('environment variable %s', (name) => {
    const cfg = cfgText().replace(/\[POSTGRES\][^[]*/, '');
    for (const h of HOSTILE) check(cfg, project({}), { [name]: h });
  });

  const sourceFields = [
    ...Object.keys(SOURCE).map((k) => ['source', k] as const),
    ...['schema', ...Object.keys(TABLE)].map((k) => ['table', k] as const),
    ...Object.keys(COPY).map((k) => ['copy', k] as const),
    ...Object.keys(COLUMN).map((k) => ['column', k] as const),
  ];
  it.each(sourceFields)('sources.yml %s %s', (at, key) => {
    for (const h of HOSTILE) check(cfgText(), project({ sources: sourcesText({ at: at === 'table' && key === 'schema' ? 'source' : at, key, value: h }) }));
  });

  it.each(Object.keys(MODEL_CONFIG))('config(%s=...)', (key) => {
    for (const h of HOSTILE) {
      const literal = JSON.stringify(h);
      check(cfgText(), project({ model: modelText([key, literal]) }));
      check(cfgText(), project({ model: modelText([key, `[${literal}]`]) }));
    }
  });

  it('model and column descriptions in a models/*.yml file', () => {
    for (const h of HOSTILE) {
      expect(
        check(
          cfgText(),
          project({ docs: JSON.stringify({ version: 2, models: [{ name: 'inc', description: h, columns: [{ name: 'id', description: h }] }] }) }),
        ).planned,
      ).toBe(3);
    }
  });
});

/** Every statement the engine is asked to run, recorded. */
function recording(engine: Engine, log: string[]): Engine {
  const wrap = (c: Connection): Connection => ({
    query: (sql) => (log.push(sql), c.query(sql)),
    execute: (sql) => (log.push(sql), c.execute(sql)),
    transaction: (s) => (log.push(...s), c.transaction(s)),
    rollback: () => c.rollback(),
    ...(c.copyFrom ? { copyFrom: (sql: string, data: AsyncIterable<Buffer>) => (log.push(sql), c.copyFrom!(sql, data)) } : {}),
  });
  return Object.assign(Object.create(engine) as Engine, {
    withConnection: <T>(fn: (c: Connection) => Promise<T>) => engine.withConnection((c) => fn(wrap(c))),
  });
}

describe('real runs with hostile values that are accepted, on DuckDB and PostgreSQL', () => {
  const schema = freshSchema('hostile');
  let dir: string;
  const hostileLine = (i: number) => JSON.stringify({ id: `${HOSTILE[i % HOSTILE.length]}`, ts: 1 });

  beforeAll(() => {
    const tag = HOSTILE.map((h) => JSON.stringify(h)).join(', ');
    dir = writeProject({
      'dwh.cfg': `${pgCfg(schema)}DB_PASSWORD = pw${HOSTILE[0]}\n[DUCKDB]\nPATH = back\\slash/warehouse.duckdb\nSCHEMA = ${schema}\n[S3]\nLOG_DATA = data/we ird -- $$ dir\n`,
      'sources.yml': sourcesText({ at: 'table', key: 'description', value: HOSTILE[1] })
        .replace('"compression": "gzip"', '"compression": "none"')
        .replace('"max_errors": 2', `"max_errors": ${HOSTILE.length}`),
      'data/we ird -- $$ dir/events.json': ['{"id": 1, "ts": 10}', ...HOSTILE.map((_, i) => hostileLine(i)), '{"id": 2, "ts": 20}'].join('\n') + '\n',
      'models/inc.sql': `{{ config(materialized='incremental', unique_key='id', tags=[${tag}]) }}\nselect id, ts from {{ source('raw', 'events') }}\n`,
      'models/schema.yml': JSON.stringify({
        version: 2,
        models: [{ name: 'inc', description: HOSTILE[2], columns: [{ name: 'id', description: HOSTILE[3] }] }],
      }),
    });
  });
  afterAll(async () => {
    await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  it.each(['duckdb', 'postgres'] as const)('%s: the sentinel table survives, bad lines are recorded verbatim, every statement is ours', async (type) => {
    const c = compile({ projectDir: dir, targetName: type, env: {} });
    const engine = await openEngine(c.target, 2);
    const log: string[] = [];
    try {
      const rel = `"${engine.schema}"."users"`;
      await engine.withConnection(async (x) => {
        await x.execute(`DROP TABLE IF EXISTS ${rel}`);
        await x.execute(`CREATE TABLE ${rel} (name varchar(32))`);
        await x.execute(`INSERT INTO ${rel} VALUES ('sentinel')`);
      });
      for (let i = 0; i < 2; i++) {
        const { result } = await runCompiled(c, recording(engine, log), {});
        expect(result.results.map((r) => [r.name, r.status, r.message])).toEqual([
          ['events', 'success', undefined],
          ['inc', 'success', undefined],
        ]);
        expect(result.results[0]).toMatchObject({ rows: 2, records: 2 + HOSTILE.length, rejected: { count: HOSTILE.length } });
      }
      const q = (sql: string) => engine.withConnection((x) => x.query(sql));
      expect(await q(`SELECT name FROM ${rel}`)).toEqual([{ name: 'sentinel' }]);
      const raws = await q(`SELECT raw_text FROM "${engine.schema}".sparkify_load_errors ORDER BY line`);
      expect(raws.map((r) => r.raw_text)).toEqual(
        [...HOSTILE.map((_, i) => hostileLine(i)), ...HOSTILE.map((_, i) => hostileLine(i))].sort(
          (a, b) => HOSTILE.map((_, i) => hostileLine(i)).indexOf(a) - HOSTILE.map((_, i) => hostileLine(i)).indexOf(b),
        ),
      );
      expect(log.length).toBeGreaterThan(10);
      for (const sql of log.filter((s) => !s.includes(rel))) assertOnlyIntended(sql);
    } finally {
      await engine.close();
    }
  });
});
