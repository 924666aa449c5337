import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/adapters/adapter.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { compile, runCompiled } from '../../src/api.js';
import { formatError, formatLocation, LoadError } from '../../src/errors.js';
import { removeDir, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from './pg.js';

/**
 * The data files themselves, on DuckDB and PostgreSQL: a log file that grows while it loads is read
 * as of one moment (complete lines, counts that agree); an error about a data file names that file
 * and never the line of the source in sources.yml; a file name with a newline is quoted; a named
 * pipe in a data folder is skipped with a warning.
 */
const ENGINES = ['duckdb', 'postgres'] as const;

function sourcesYml(location: string, maxErrors: number): string {
  return `version: 2
sources:
  - name: raw
    tables:
      - name: events
        location: ${location}
        copy: { json: auto, max_errors: ${maxErrors} }
        columns:
          - { name: id, type: integer }
          - { name: note, type: text }
`;
}

describe('data files on DuckDB and PostgreSQL', () => {
  const schema = freshSchema('datafiles');
  let dir: string;
  const engines = {} as Record<(typeof ENGINES)[number], Engine>;

  beforeAll(async () => {
    dir = writeProject({ 'data/log/.keep': '', 'sources.yml': sourcesYml('data/log', 10), 'dwh.cfg': `${pgCfg(schema)}[DUCKDB]\nPATH = :memory:\nSCHEMA = ${schema}\n` });
    for (const type of ENGINES) engines[type] = await openEngine(compile({ projectDir: dir, targetName: type, env: {} }).target, 2);
  }, 60_000);

  afterAll(async () => {
    await engines.duckdb?.close();
    await engines.postgres?.close();
    await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  const run = async (type: (typeof ENGINES)[number], onWarning?: (w: string) => void) => {
    const { result } = await runCompiled(compile({ projectDir: dir, targetName: type, env: {} }), engines[type], { select: ['source:raw'], onWarning });
    return result.results[0]!;
  };

  describe.each(ENGINES)('on %s', (type) => {
    it('a file that cannot be read is named, without the line of the source in sources.yml', async () => {
      writeFileSync(path.join(dir, 'sources.yml'), sourcesYml(`data/${type}-gz`, 0));
      mkdirSync(path.join(dir, `data/${type}-gz`), { recursive: true });
      const file = path.join(dir, `data/${type}-gz/a.json.gz`);
      writeFileSync(file, '{"id": 1}\n');
      const r = await run(type);
      expect(r.status).toBe('error');
      expect(r.error).toMatchObject({ kind: 'load', file });
      expect(r.error!.line).toBeUndefined();
      expect(r.error!.message).toMatch(/cannot read .*a\.json\.gz: .*header/);
    });

    it('a file name with a newline is quoted in the error, which stays on one line', async () => {
      writeFileSync(path.join(dir, 'sources.yml'), sourcesYml(`data/${type}-nl`, 0));
      mkdirSync(path.join(dir, `data/${type}-nl`), { recursive: true });
      const file = path.join(dir, `data/${type}-nl/bad\nname.json`);
      writeFileSync(file, '{"id": 1}\n{"id": "two"}\n');
      const r = await run(type);
      expect(r.error).toMatchObject({ kind: 'load', file, line: 2 });
      const shown = formatError(new LoadError(String(r.error!.message), { file: String(r.error!.file), line: Number(r.error!.line) }));
      expect(shown.split('\n')[0]).toContain(`${JSON.stringify(file)}:2: Load error`);
      expect(formatLocation({ file, line: 2 })).toBe(`${JSON.stringify(file)}:2`);
    });

    it('a named pipe under a data folder is skipped with a warning; a location that is one is an error', async () => {
      const folder = path.join(dir, `data/${type}-fifo`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, 'a.json'), '{"id": 1}\n{"id": 2}\n');
      execFileSync('mkfifo', [path.join(folder, 'b.json')]);
      writeFileSync(path.join(dir, 'sources.yml'), sourcesYml(`data/${type}-fifo`, 0));
      const warnings: string[] = [];
      const r = await run(type, (w) => warnings.push(w));
      expect(r.message).toBeUndefined();
      expect([r.status, r.rows, r.files]).toEqual(['success', 2, 1]);
      expect(r.warnings).toEqual([`raw.events: skipped ${path.join(folder, 'b.json')}: a named pipe, not a regular file`]);
      expect(warnings).toEqual(r.warnings);
      writeFileSync(path.join(dir, 'sources.yml'), sourcesYml(`data/${type}-fifo/b.json`, 0));
      const direct = await run(type);
      expect(direct.error).toMatchObject({ kind: 'load', file: path.join(dir, 'sources.yml') });
      expect(direct.error!.message).toMatch(/is a named pipe, not a regular file or a folder/);
    });
  });
  const ids = async (type: (typeof ENGINES)[number]) =>
    (await engines[type].withConnection((c) => c.query(`select id from "${schema}".events order by id`))).map((r) => Number(r.id));

  describe.each(ENGINES)('on %s, a log file appended to while it loads', (type) => {
    let writer: ChildProcess | undefined;
    afterAll(() => {
      writer?.kill('SIGKILL');
    });

    it('loads the complete lines as of one moment: records read = rows + rejected, and the rows are a prefix of the file', async () => {
      const file = path.join(dir, `data/log/${type}.json`);
      writeFileSync(path.join(dir, 'sources.yml'), sourcesYml(`data/log/${type}.json`, 10));
      // a bad line makes DuckDB hand the file to sparkify's own reader, which reads it again later
      const first = Array.from({ length: 60_000 }, (_, i) => (i === 4 ? '{"id": "five"}' : `{"id": ${i + 1}, "note": "${'n'.repeat(40)}"}`));
      writeFileSync(file, first.join('\n') + '\n');
      // another process appends lines as fast as it can, in writes that may end mid-line, until it is killed (or the file reaches 150 MB)
      const script = `const fs = require('node:fs'); let id = ${first.length + 1};
        while (fs.statSync(${JSON.stringify(file)}).size < 150e6) { let s = ''; for (let k = 0; k < 50; k++) s += '{"id": ' + id++ + ', "note": "${'a'.repeat(40)}"}\\n';
          const cut = 1 + Math.floor(Math.random() * (s.length - 1)); fs.appendFileSync(${JSON.stringify(file)}, s.slice(0, cut)); fs.appendFileSync(${JSON.stringify(file)}, s.slice(cut)); }`;
      writer = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
      // the writer is running once the file has grown
      await new Promise<void>((resolve) => {
        const check = () => (statSync(file).size > first.join('\n').length + 1000 ? resolve() : setTimeout(check, 5));
        check();
      });
      const r = await run(type);
      writer.kill('SIGKILL');
      expect(r.message).toBeUndefined();
      expect(r.status).toBe('success');
      expect(r.rejected).toMatchObject({ count: 1 });
      expect(r.records).toBe(r.rows! + 1);
      const loaded = await ids(type);
      expect(loaded.length).toBe(r.rows);
      expect(loaded.length).toBeGreaterThanOrEqual(first.length - 1);
      // every id from 1 to the last loaded, but the bad line's: complete lines, none lost, none twice
      const want = Array.from({ length: loaded.length + 1 }, (_, i) => i + 1).filter((id) => id !== 5);
      expect(loaded).toEqual(want);
    }, 120_000);
  });
});
