import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Engine } from '../../src/adapters/adapter.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { compile, resolveProjectTarget, runCompiled } from '../../src/api.js';
import { generateData } from '../../src/generate/generate-data.js';
import type { RunResult } from '../../src/runner/execute-plan.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';
import { SHARED_DATA, copyFixtureProject, removeDir, tempDir } from './project.js';

/**
 * Warehouses for the incremental-load tests: a project folder whose logs/ folder a test fills day
 * by day, built on DuckDB or PostgreSQL through the library, and compared table by table with a
 * full build of the same files. test/postgres/incremental-loads.test.ts runs it on the fixture
 * warehouse; test/sparkify/incremental.test.ts on the shipped project's own incremental models.
 */

export type EngineName = 'duckdb' | 'postgres';
export const ENGINES: EngineName[] = ['duckdb', 'postgres'];
export const TABLES = ['staging_events', 'staging_songs', 'songplays', 'users', 'songs', 'artists', 'time'];
const schemas: string[] = [];
const dirs: string[] = [];


/** One target of a project folder whose logs/ folder the test fills day by day. */
export class Warehouse {
  private constructor(
    readonly dir: string,
    readonly cfg: string,
    readonly schema: string,
    readonly engine: Engine,
  ) {}

  static async open(dir: string, type: EngineName, name: string, data: { jsonPaths: string; songs: string }): Promise<Warehouse> {
    const schema = freshSchema(`inc_${name}`);
    schemas.push(schema);
    const cfg = path.join(dir, `${name}.cfg`);
    writeFileSync(cfg, `[SPARKIFY]\nTARGET = ${type}\n[S3]\nLOG_DATA = logs\nLOG_JSONPATH = ${data.jsonPaths}\nSONG_DATA = ${data.songs}\n[DUCKDB]\nPATH = ${name}.duckdb\nSCHEMA = ${schema}\n${pgCfg(schema)}`);
    const target = resolveProjectTarget({ projectDir: dir, configPath: cfg, env: {} });
    return new Warehouse(dir, cfg, schema, await openEngine(target, 4));
  }

  async run(opts: { fullRefresh?: boolean } = {}): Promise<RunResult> {
    const po = { projectDir: this.dir, configPath: this.cfg, env: {} };
    const { result } = await runCompiled(compile(po, resolveProjectTarget(po)), this.engine, { fullRefresh: opts.fullRefresh });
    return result;
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return this.engine.withConnection((c) => c.query(sql));
  }

  /** every row, sorted; staging rows without the load sequence, which depends on how the files were batched */
  async contents(table: string): Promise<string[]> {
    const rows = await this.query(`select * from "${this.schema}"."${table}"`);
    return rows.map((r) => JSON.stringify(Object.entries(r).filter(([k]) => k !== '_load_seq'))).sort();
  }

  async ledger(): Promise<{ source: string; file: string; rows_loaded: number; load_seq: number }[]> {
    const rows = await this.query(`select source, file, rows_loaded, load_seq from "${this.schema}".sparkify_loaded_files order by source, file`);
    return rows.map((r) => ({ source: String(r.source), file: path.basename(String(r.file)), rows_loaded: Number(r.rows_loaded), load_seq: Number(r.load_seq) }));
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}

export const ok = (r: RunResult) => expect(r.results.filter((x) => x.status !== 'success').map((x) => [x.name, x.error?.message ?? x.message])).toEqual([]);

/** A project folder (a copy made by `copy`: the fixture warehouse unless given) with an empty logs/ folder; `add` copies day files into it. */
export function project(copy: (cfg: string) => string = copyFixtureProject): { dir: string; logs: string; add: (files: string[]) => void } {
  const dir = copy('');
  dirs.push(dir);
  const logs = path.join(dir, 'logs');
  mkdirSync(logs);
  return { dir, logs, add: (files) => files.forEach((f) => copyFileSync(f, path.join(logs, path.basename(f)))) };
}

/** Compares every table with a full build of the same files, built from nothing in another database. */
export async function expectEqualToFullBuild(w: Warehouse, type: EngineName, data: { jsonPaths: string; songs: string }): Promise<void> {
  const full = await Warehouse.open(w.dir, type, `full${schemas.length}`, data);
  try {
    ok(await full.run());
    for (const t of TABLES) {
      const [a, b] = [await w.contents(t), await full.contents(t)];
      expect(a.length, `${t} rows`).toBe(b.length);
      expect(a, t).toEqual(b);
    }
  } finally {
    await full.close();
  }
}

export const publishedDays = () => {
  const folder = path.join(SHARED_DATA, 'log_data', '2018', '11');
  return readdirSync(folder).sort().map((f) => path.join(folder, f));
};
export const published = { jsonPaths: path.join(SHARED_DATA, 'log_json_path.json'), songs: path.join(SHARED_DATA, 'song_data') };

/** Drops the schemas and removes the folders the warehouses of a test file made (its afterAll). */
export async function cleanUpWarehouses(): Promise<void> {
  for (const s of schemas.splice(0)) await dropSchema(s);
  for (const d of dirs.splice(0)) removeDir(d);
}

/** 12 generated days, every 15th event of each moved two files later: files hold events of earlier days. */
export async function generatedWithLateEvents(): Promise<{ days: string[]; data: { jsonPaths: string; songs: string } }> {
  const out = tempDir('sparkify-late-');
  dirs.push(out);
  await generateData({ outDir: out, events: 3_000, songs: 40, seed: 15, days: 12, matchRate: 0.5 });
  const folder = path.join(out, 'log_data', '2018', '11');
  const days = readdirSync(folder).sort().map((f) => path.join(folder, f));
  const texts = days.map((d) => readFileSync(d, 'utf8').split('\n').filter(Boolean));
  const moved = texts.map(() => [] as string[]);
  const kept = texts.map((lines, i) => lines.filter((l, j) => (i + 2 < days.length && j % 15 === 7 ? (moved[i + 2]!.push(l), false) : true)));
  days.forEach((d, i) => writeFileSync(d, [...kept[i]!, ...moved[i]!].join('\n') + '\n'));
  return { days, data: { jsonPaths: path.join(out, 'log_json_path.json'), songs: path.join(out, 'song_data') } };
}

