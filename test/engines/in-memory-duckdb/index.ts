import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DuckDbDialect } from '../../../src/adapters/duckdb/duckdb-dialect.js';
import type { Connection, Engine, ExistingRelation, LoadProgress, LoadResult, LoadStep } from '../../../src/adapters/adapter.js';
import { defineEngine } from '../../../src/adapters/engine-definition.js';
import { DatabaseError } from '../../../src/errors.js';
import { fileReadingLoad } from '../../../src/loaders/file-reading-load.js';
import { SourceFiles } from '../../../src/loaders/source-files.js';

/**
 * An engine written the way a newcomer adds one: this folder and one entry in an engine list. It
 * is a real engine, DuckDB in memory (a database per open, gone when it closes), with its own
 * config section [MEMORY] SCHEMA, its own connection class and the shared file-reading load.
 */
class InMemoryDialect extends DuckDbDialect {
  override readonly type: string = 'memory';
  override readonly label: string = 'in-memory DuckDB';
}

class InMemoryConnection implements Connection {
  constructor(
    readonly conn: DuckDBConnection,
    private readonly dialect: InMemoryDialect,
  ) {}

  async query(sql: string): Promise<Record<string, unknown>[]> {
    try {
      return (await this.conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    } catch (err) {
      throw Object.assign(new DatabaseError(err instanceof Error ? err.message : String(err), { cause: err }), { sql });
    }
  }

  async execute(sql: string): Promise<number | undefined> {
    try {
      return (await this.conn.run(sql)).rowsChanged;
    } catch (err) {
      throw Object.assign(new DatabaseError(err instanceof Error ? err.message : String(err), { cause: err }), { sql });
    }
  }

  async rollback(): Promise<void> {
    await this.execute(this.dialect.rollback()).catch(() => undefined);
  }

  async transaction(statements: string[]): Promise<void> {
    await this.execute(this.dialect.beginTransaction());
    try {
      for (const s of statements) await this.execute(s);
      await this.execute(this.dialect.commit());
    } catch (err) {
      await this.execute(this.dialect.rollback()).catch(() => undefined);
      throw err;
    }
  }
}

class InMemoryEngine implements Engine {
  readonly dialect = new InMemoryDialect();
  private readonly idle: InMemoryConnection[] = [];
  private readonly busy = new Set<InMemoryConnection>();

  constructor(
    private readonly instance: DuckDBInstance,
    readonly schema: string,
    private readonly files: SourceFiles,
  ) {}

  async withConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const c = this.idle.pop() ?? new InMemoryConnection(await this.instance.connect(), this.dialect);
    this.busy.add(c);
    try {
      return await fn(c);
    } finally {
      this.busy.delete(c);
      this.idle.push(c);
    }
  }

  async listRelations(schemas: string[]): Promise<ExistingRelation[]> {
    if (schemas.length === 0) return [];
    return (await this.withConnection((c) => c.query(this.dialect.listRelations(schemas)))) as unknown as ExistingRelation[];
  }

  load(c: Connection, step: LoadStep, onProgress?: (p: LoadProgress) => void): Promise<LoadResult> {
    return fileReadingLoad(c, this.dialect, this.files, step, onProgress);
  }

  async cancel(): Promise<void> {
    for (const c of this.busy) c.conn.interrupt();
  }

  async close(): Promise<void> {
    for (const c of [...this.idle, ...this.busy]) c.conn.closeSync();
    this.instance.closeSync();
    await this.files.close();
  }
}

export const inMemoryDuckDb = defineEngine<{ schema: string }>({
  type: 'memory',
  label: 'in-memory DuckDB',
  configKeys: { MEMORY: ['SCHEMA'] },
  resolveConfig(r) {
    const schemaSetting = r.ini('MEMORY', 'SCHEMA');
    const schema = r.schema(schemaSetting) ?? 'main';
    return { settings: { schema }, schema, schemaSetting };
  },
  dialect: () => new InMemoryDialect(),
  async open(_settings, ctx) {
    const engine = new InMemoryEngine(await DuckDBInstance.create(':memory:'), ctx.schema, new SourceFiles(ctx.s3));
    if (!ctx.readOnly) await engine.withConnection((c) => c.execute(engine.dialect.createSchema(ctx.schema)));
    return engine;
  },
});
