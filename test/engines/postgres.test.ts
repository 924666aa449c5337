import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';
import { engineSuite } from './engine-suite.js';

const schema = freshSchema('suite');
engineSuite({ name: 'PostgreSQL', targetName: 'postgres', config: pgCfg(schema), cleanup: () => dropSchema(schema) });
