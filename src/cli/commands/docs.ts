import path from 'node:path';
import { artifactsDir, generateDocs, projectSettings, serveDocs, VERSION } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { projectOptions, targetOptions, wholeNumber, type ProjectArgs } from '../options.js';

type DocsArgs = ProjectArgs & { action: 'generate' | 'serve'; port: number };

/** `sparkify docs generate` and `sparkify docs serve --port N` */
export const docsCliCommand = defineCommand<DocsArgs>({
  names: ['docs <action>'],
  describe: 'generate the docs site (target/docs, target/catalog.json, target/column_lineage.json) or serve it on 127.0.0.1',
  options: (y) =>
    targetOptions(y)
      .positional('action', { choices: ['generate', 'serve'] as const, describe: 'generate: write the site from the project and the warehouse; serve: serve target/docs until Ctrl-C' })
      .option('port', { requiresArg: true, default: 8080, coerce: wholeNumber('port', 0, 65535), describe: 'docs serve: the port on 127.0.0.1 (0 picks a free one)' }),
  run: async (a, ctx) => {
    const { reporter } = ctx;
    if (a.action === 'generate') {
      const t0 = performance.now();
      const r = await generateDocs({ ...projectOptions(a, ctx.env), version: VERSION });
      reporter.setSecrets(r.compiled.target.secrets);
      const cols = Object.values(r.lineage.nodes).flatMap((n) => n.columns);
      const untraceable = cols.filter((c) => c.kind === 'untraceable').length;
      const rel = (f: string) => path.relative(process.cwd(), f) || '.';
      const target = artifactsDir(r.compiled.manifest);
      const relations = Object.keys(r.catalog.nodes).length + Object.keys(r.catalog.sources).length;
      reporter.infoLines([
        ...r.notes,
        `catalog of ${relations} relations from ${r.compiled.target.type} -> ${rel(path.join(target, 'catalog.json'))}`,
        `column lineage of ${cols.length} columns (${cols.length - untraceable} traced, ${untraceable} untraceable) -> ${rel(path.join(target, 'column_lineage.json'))}`,
        `docs site -> ${rel(path.join(r.docsDir, 'index.html'))} (open it, or run sparkify docs serve)`,
        `Generated the docs in ${((performance.now() - t0) / 1000).toFixed(2)}s`,
      ]);
      return 0;
    }
    const projectDir = path.resolve(a['project-dir']);
    const docsDir = path.join(projectDir, projectSettings(projectDir).targetPath, 'docs');
    const server = await serveDocs(docsDir, { port: a.port });
    reporter.info(`Serving ${path.relative(process.cwd(), docsDir) || '.'} at ${server.url} (Ctrl-C to stop)`);
    const signal = await new Promise<string>((resolve) => ['SIGINT', 'SIGTERM'].forEach((s) => process.once(s, () => resolve(s))));
    await server.close();
    reporter.info(`Stopped serving the docs (${signal})`);
    return 0;
  },
});
