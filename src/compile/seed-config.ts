import type { SeedConfig } from '../types.js';

/** The seed configs sparkify reads (dbt's names). */
export const SEED_CONFIG_KEYS = ['enabled', 'tags', 'schema', 'alias', 'column_types', 'quote_columns', 'delimiter', 'full_refresh'] as const;

export const DEFAULT_SEED_CONFIG: SeedConfig = { materialized: 'seed', tags: [], enabled: true, column_types: {}, quote_columns: false, delimiter: ',' };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** a column type: words, digits, spaces, commas and parentheses ("varchar(32)", "numeric(10, 2)", "double precision") */
const TYPE = /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+(\s*,\s*\d+)?\s*\))?(\[\])?$/;

export function checkSeedConfigValue(key: string, v: unknown): string | undefined {
  switch (key) {
    case 'enabled':
    case 'quote_columns':
    case 'full_refresh':
      return typeof v === 'boolean' ? undefined : 'must be true or false';
    case 'tags':
      return typeof v === 'string' || (Array.isArray(v) && v.every((t) => typeof t === 'string')) ? undefined : 'must be a string or a list of strings';
    case 'schema':
    case 'alias':
      return typeof v === 'string' && NAME.test(v) ? undefined : 'must be a name of letters, digits and _';
    case 'delimiter':
      return typeof v === 'string' && v.length === 1 && v !== '"' && v !== '\n' && v !== '\r' ? undefined : 'must be one character (not a quote or a line break)';
    case 'column_types':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be a mapping of column names to SQL types';
      for (const [c, t] of Object.entries(v)) {
        if (typeof t !== 'string' || !TYPE.test(t.trim())) return `column ${c}: ${JSON.stringify(t)} is not a SQL type sparkify accepts (e.g. varchar(32), numeric(10,2), date)`;
      }
      return undefined;
    default:
      return undefined;
  }
}
