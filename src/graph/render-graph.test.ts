import { describe, expect, it } from 'vitest';
import { sparkifyManifest } from './fixture.test-helper.js';
import { renderGraph } from './render-graph.js';
import { selectNodes } from './select-nodes.js';

describe('renderGraph', () => {
  const m = sparkifyManifest();
  const ids = selectNodes(m, ['+time'], undefined);

  it('DOT: the selected nodes and only the edges between them', () => {
    expect(renderGraph(m, ids, 'dot')).toBe(
      [
        'digraph sparkify {',
        '  rankdir=LR;',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
        ...ids.map(
          (id) =>
            `  "${id}" [label="${id.startsWith('source.') ? id.replace('source.', 'source:') : id.slice('model.'.length)}", fillcolor=${id.startsWith('source.') ? '"#eef6ee"' : '"#eef3fb"'}];`,
        ),
        '  "source.sparkify.staging_events" -> "model.songplays";',
        '  "source.sparkify.staging_songs" -> "model.songplays";',
        '  "model.songplays" -> "model.time";',
        '}',
      ].join('\n'),
    );
  });

  it('Mermaid: a flowchart with safe ids, sources drawn as cylinders', () => {
    const text = renderGraph(m, ids, 'mermaid');
    const lines = text.split('\n');
    expect(lines[0]).toBe('flowchart LR');
    expect(lines).toContain('  n0_source_sparkify_staging_events[("source:sparkify.staging_events")]');
    expect(lines.filter((l) => l.includes('-->'))).toEqual([
      '  n0_source_sparkify_staging_events --> n2_model_songplays',
      '  n1_source_sparkify_staging_songs --> n2_model_songplays',
      '  n2_model_songplays --> n3_model_time',
    ]);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {2}n\d+_[A-Za-z0-9_]+(\[|\s-->\s)/);
  });

  it('an edge to a node outside the selection is left out', () => {
    expect(renderGraph(m, ['model.time'], 'dot')).not.toContain('->');
    expect(renderGraph(m, ['model.time'], 'mermaid')).toBe('flowchart LR\n  n0_model_time["time"]');
  });
});
