import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/adapters/create-engine.js';
import { defaultMemoryLimit } from '../../src/adapters/duckdb/index.js';
import { resolveProjectTarget } from '../../src/api.js';
import { removeDir, writeProject } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

async function settingsWith(cfg: string): Promise<Record<string, unknown>> {
  const dir = writeProject({});
  dirs.push(dir);
  writeFileSync(path.join(dir, 'dwh.cfg'), cfg);
  const engine = await openEngine(resolveProjectTarget({ projectDir: dir, env: {} }), 1);
  try {
    const [row] = await engine.withConnection((c) =>
      c.query(`select current_setting('memory_limit') as memory_limit, current_setting('temp_directory') as temp_directory`),
    );
    return { ...row!, dir };
  } finally {
    await engine.close();
  }
}

describe("DuckDB's memory_limit", () => {
  it('is at most 3 GiB by default, 80% of the memory below that, and the database spills next to its file', async () => {
    const limit = defaultMemoryLimit();
    const mib = Number(/^(\d+)MiB$/.exec(limit)?.[1]);
    expect(mib).toBeGreaterThan(0);
    expect(mib).toBeLessThanOrEqual(3072);
    const s = await settingsWith('[DUCKDB]\nPATH = w.duckdb\n');
    // duckdb: the setting reads back in its own units (3.0 GiB)
    expect(String(s.memory_limit)).toMatch(mib === 3072 ? /^3\.0 GiB$/ : /i?B$/);
    expect(s.temp_directory).toBe(path.join(String(s.dir), 'w.duckdb.tmp'));
  });

  it('is [DUCKDB] MEMORY_LIMIT when given', async () => {
    expect((await settingsWith('[DUCKDB]\nPATH = w.duckdb\nMEMORY_LIMIT = 1GiB\n')).memory_limit).toBe('1.0 GiB');
  });
});
