import { listSelected, renderGraph, withSourceFiles } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, selectOptions, splitSelectors, type SelectArgs } from '../options.js';

export const lsCliCommand = defineCommand<SelectArgs & { output: 'name' | 'path' | 'json' | 'dot' | 'mermaid'; 'resource-type'?: string[] }>({
  names: ['ls', 'list'],
  describe: 'list the selected nodes in DAG order',
  options: (y) =>
    selectOptions(y)
      .option('resource-type', { type: 'array', string: true, describe: 'only these node types: source, model, snapshot, test' })
      .option('output', { alias: 'o', choices: ['name', 'path', 'json', 'dot', 'mermaid'] as const, default: 'name' as const, describe: 'what to print per node: its name, its file, or a JSON object; or the selected graph as Graphviz DOT or a Mermaid flowchart' }),
  run: async (a, ctx) => {
    const { reporter } = ctx;
    const c = await compileFor(a, ctx);
    const listed = listSelected(c.manifest, { select: splitSelectors(a.select), exclude: splitSelectors(a.exclude), resourceTypes: a['resource-type']?.map(String), onWarning: (m) => reporter.warn(m) });
    if (a.output === 'dot' || a.output === 'mermaid') {
      reporter.print(renderGraph(c.manifest, listed.map((n) => n.id), a.output));
      return 0;
    }
    // incremental sources: how many files are loaded and pending, from the ledger (a read-only connection)
    const nodes = reporter.format === 'json' || a.output === 'json' ? await withSourceFiles(c.target, c.manifest, listed, (m) => reporter.warn(m)) : listed;
    if (reporter.format === 'json') {
      for (const n of nodes) reporter.json({ level: 'info', event: 'list_node', ...n });
      return 0;
    }
    reporter.printLines(nodes.map((n) => (a.output === 'name' ? n.name : a.output === 'path' ? n.path : JSON.stringify(n))));
    return 0;
  },
});
