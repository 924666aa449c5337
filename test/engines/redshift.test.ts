import { engineSuitePlan } from './engine-suite.js';

// no cluster is reachable here: the suite's project is planned for Redshift and pinned; test/redshift/engine.test.ts
// runs the Redshift engine's own session code (COPY failures, load errors, retries) on a PostgreSQL stand-in
engineSuitePlan({
  name: 'Redshift',
  targetName: 'redshift',
  config: '[S3]\nLOG_DATA = s3://sparkify-suite/events\n',
  golden: './__golden__/redshift-run-plan.sql',
});
