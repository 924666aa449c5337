import { readSourceFilesStatus, type SourceFilesStatus } from '../../debug/source-files-status.js';
import { listNodes, type ListedNode } from '../../graph/list-nodes.js';
import { renderGraph } from '../../graph/render-graph.js';
import { selectNodes } from '../../graph/select-nodes.js';
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
    const types = a['resource-type']?.map(String);
    const ids = selectNodes(c.manifest, splitSelectors(a.select), splitSelectors(a.exclude), { onWarning: (m) => reporter.warn(m) }).filter((id) => !types?.length || types.includes(c.manifest.nodes[id]!.resourceType));
    if (a.output === 'dot' || a.output === 'mermaid') {
      reporter.print(renderGraph(c.manifest, ids, a.output));
      return 0;
    }
    let nodes: (ListedNode & { files?: Omit<SourceFilesStatus, 'source'> })[] = listNodes(c.manifest, ids);
    if (reporter.format === 'json' || a.output === 'json') {
      // incremental sources: how many files are loaded and pending, from the ledger (a read-only connection)
      let status: SourceFilesStatus[] = [];
      try {
        status = await readSourceFilesStatus(c.target, c.manifest, ids);
      } catch (err) {
        reporter.warn(`cannot read the load ledger: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
      const byId = new Map(status.map((s) => [`source.${s.source}`, s]));
      nodes = nodes.map((n) => {
        const s = byId.get(n.id);
        if (!s) return n;
        const { source: _, ...files } = s;
        return { ...n, files };
      });
    }
    if (reporter.format === 'json') {
      for (const n of nodes) reporter.json({ level: 'info', event: 'list_node', ...n });
      return 0;
    }
    reporter.printLines(nodes.map((n) => (a.output === 'name' ? n.name : a.output === 'path' ? n.path : JSON.stringify(n))));
    return 0;
  },
});
