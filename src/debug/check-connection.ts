import { openEngine } from '../adapters/create-engine.js';
import type { Target } from '../config/load-config.js';

export interface ConnectionCheck {
  /** relations in the target schema (0 when it is empty or does not exist yet) */
  relations: number;
}

/**
 * `sparkify debug`: connects to the target and looks at its schema, read-only. Creates nothing:
 * no schema, and no DuckDB file. Throws the connection's error when it cannot connect.
 */
export async function checkConnection(target: Target): Promise<ConnectionCheck> {
  const engine = await openEngine(target, 1, { readOnly: true });
  try {
    await engine.withConnection((c) => c.query('SELECT 1 AS ok'));
    const relations = await engine.listRelations([target.schema]);
    return { relations: relations.length };
  } finally {
    await engine.close();
  }
}
