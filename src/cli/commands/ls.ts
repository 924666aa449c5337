import { listNodes } from '../../graph/list-nodes.js';
import { renderGraph } from '../../graph/render-graph.js';
import { selectNodes } from '../../graph/select-nodes.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, selectOptions, splitSelectors, type SelectArgs } from '../options.js';

export const lsCliCommand = defineCommand<SelectArgs & { output: 'name' | 'path' | 'json' | 'dot' | 'mermaid' }>({
  names: ['ls', 'list'],
  describe: 'list the selected nodes in DAG order',
  options: (y) => selectOptions(y).option('output', { alias: 'o', choices: ['name', 'path', 'json', 'dot', 'mermaid'] as const, default: 'name' as const, describe: 'what to print per node: its name, its file, or a JSON object; or the selected graph as Graphviz DOT or a Mermaid flowchart' }),
  run: async (a, ctx) => {
    const { reporter } = ctx;
    const c = await compileFor(a, ctx);
    const ids = selectNodes(c.manifest, splitSelectors(a.select), splitSelectors(a.exclude), { onWarning: (m) => reporter.warn(m) });
    if (a.output === 'dot' || a.output === 'mermaid') {
      reporter.print(renderGraph(c.manifest, ids, a.output));
      return 0;
    }
    const nodes = listNodes(c.manifest, ids);
    if (reporter.format === 'json') {
      for (const n of nodes) reporter.json({ level: 'info', event: 'list_node', ...n });
      return 0;
    }
    reporter.printLines(nodes.map((n) => (a.output === 'name' ? n.name : a.output === 'path' ? n.path : JSON.stringify(n))));
    return 0;
  },
});
