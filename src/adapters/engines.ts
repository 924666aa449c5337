import { duckdb } from './duckdb/index.js';
import type { EngineDefinition } from './engine-definition.js';
import { postgres } from './postgres/index.js';
import { redshift } from './redshift/index.js';

/**
 * The engines sparkify knows, by target type. A new engine is a folder under src/adapters/ whose
 * index.ts exports its EngineDefinition, plus one line here. A program that embeds sparkify can pass
 * a list of its own (`engines` in resolveTarget, openEngine and the API's options).
 */
export const ENGINES: readonly EngineDefinition[] = [duckdb, postgres, redshift];
