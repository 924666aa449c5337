import { ENGINES } from '../../src/adapters/engines.js';
import { inMemoryDuckDb } from './in-memory-duckdb/index.js';
import { engineSuite } from './engine-suite.js';

// an engine from outside src/adapters/: its folder, and one more entry in the list of engines
engineSuite({ name: 'an engine registered from a test folder (in-memory DuckDB)', targetName: 'memory', config: '[MEMORY]\nSCHEMA = mem\n', engines: [...ENGINES, inMemoryDuckDb] });
