import type { Compiled, ProjectOptions } from '../api.js';
import { openEngine } from '../adapters/create-engine.js';
import { compileInline } from '../compile/compile-project.js';
import { DatabaseError, UsageError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { selectNodes } from '../graph/select-nodes.js';
import { loadProject } from '../project/load-project.js';
import type { GraphNode } from '../types.js';

export interface ShowOptions {
  /** SQL to run; may use ref() and source() */
  inline?: string | undefined;
  /** a selector that names exactly one node, whose relation is previewed */
  select?: string[] | undefined;
  /** rows to return; -1 for all */
  limit: number;
}

export interface ShowResult {
  /** the SQL sent (before the limit is applied) */
  sql: string;
  /** the node previewed, with --select */
  node?: string | undefined;
  rows: Record<string, unknown>[];
}

/**
 * `sparkify show`: runs a query, or reads a model's relation, in a read-only transaction with
 * unqualified names resolved in the target schema. Creates nothing (not even the schema).
 */
export async function showQuery(c: Compiled, project: ProjectOptions, opts: ShowOptions): Promise<ShowResult> {
  let sql: string;
  let node: GraphNode | undefined;
  if (opts.inline !== undefined) {
    sql = compileInline(loadProject(project.projectDir), c.manifest, { target: c.target, dialect: c.dialect, env: project.env }, opts.inline);
  } else {
    const ids = opts.select ? selectNodes(c.manifest, opts.select, undefined) : [];
    if (ids.length !== 1) {
      throw new UsageError(`show needs --inline "SQL" or a --select that names exactly one node${ids.length > 1 ? ` (this one selects ${ids.length})` : ''}`, { hint: 'e.g. sparkify show --select songplays' });
    }
    node = c.manifest.nodes[ids[0]!]!;
    sql = `SELECT * FROM ${c.dialect.relation(node.relation)}`;
  }
  const limited = opts.limit >= 0 ? `SELECT * FROM (\n${sql.trim().replace(/;\s*$/, '')}\n) AS sparkify_show LIMIT ${Math.floor(opts.limit)}` : sql;
  const engine = await openEngine(c.target, 1, { readOnly: true });
  try {
    if (node) {
      const existing = await engine.listRelations([node.relation.schema]);
      const fold = c.dialect.foldsIdentifierCase ? (s: string) => s.toLowerCase() : (s: string) => s;
      if (!existing.some((r) => fold(r.name) === fold(node.relation.name) && fold(r.schema) === fold(node.relation.schema))) {
        const name = node.resourceType === 'source' ? `source:${node.sourceName}.${node.name}` : node.name;
        throw new UsageError(`${name} is not built yet: ${node.relation.schema}.${node.relation.name} does not exist on ${c.target.type} (target ${c.target.name})`, {
          hint: `run sparkify run -s ${name}`,
        });
      }
    }
    const rows = await engine.withConnection(async (conn) => {
      await conn.execute(c.dialect.beginReadOnly());
      try {
        await conn.execute(c.dialect.setSearchPath(c.target.schema));
        return await conn.query(limited);
      } finally {
        await conn.execute('ROLLBACK').catch(() => undefined);
      }
    });
    return { sql, node: node?.id, rows };
  } catch (err) {
    throw explainMissingRelation(err, c);
  } finally {
    await engine.close();
  }
}

/** A "relation does not exist" error: which schema was searched, and ref() or the build that would fix it. */
function explainMissingRelation(err: unknown, c: Compiled): unknown {
  if (!(err instanceof DatabaseError) || err.hint) return err;
  const missing = c.dialect.missingRelation(err.message);
  if (missing === undefined) return err;
  const bare = missing.split('.').pop()!;
  const models = Object.values(c.manifest.nodes).filter((n) => n.resourceType === 'model');
  const model = models.find((n) => n.name === bare || n.relation.name === bare);
  const searched = `searched schema ${c.target.schema} of ${c.target.type} (target ${c.target.name})`;
  if (model) {
    err.hint = `${searched}: model ${model.name} is not built there yet; run sparkify run -s ${model.name}, and write {{ ref('${model.name}') }} to name it in any schema`;
  } else {
    const like = didYouMean(bare, models.map((n) => n.name));
    err.hint = `${searched}; name models with {{ ref('model') }} and sources with {{ source('name', 'table') }}${like ? `; ${like}` : ''}`;
  }
  return err;
}
