import { engineSuite } from './engine-suite.js';

engineSuite({ name: 'DuckDB', targetName: 'duckdb', config: '[DUCKDB]\nPATH = warehouse.duckdb\nSCHEMA = suite\n' });
