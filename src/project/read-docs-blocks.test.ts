import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDocsBlocks, resolveDocs } from './read-docs-blocks.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sparkify-docs-blocks-'));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('readDocsBlocks and resolveDocs', () => {
  it('reads every block of every .md file under models/, with its file and line', () => {
    const dir = project({
      'models/docs.md': '# notes\n\n{% docs plays %}\nOne row per **play**.\n\nSecond paragraph.\n{% enddocs %}\n{%- docs ts -%}Epoch ms{%- enddocs -%}\n',
      'models/star/more.md': '{% docs level %}free or paid{% enddocs %}',
      'models/star/ignored.txt': '{% docs nope %}x{% enddocs %}',
    });
    const { blocks, errors } = readDocsBlocks(dir);
    expect(errors).toEqual([]);
    expect([...blocks.values()].map((b) => [b.name, b.text, b.file, b.line])).toEqual([
      ['plays', 'One row per **play**.\n\nSecond paragraph.', 'models/docs.md', 3],
      ['ts', 'Epoch ms', 'models/docs.md', 8],
      ['level', 'free or paid', 'models/star/more.md', 1],
    ]);
    expect(resolveDocs('{{ doc(\'plays\') }} Also: {{doc("level")}}.', blocks, { file: 'models/schema.yml', what: 'model x' })).toBe(
      'One row per **play**.\n\nSecond paragraph. Also: free or paid.',
    );
    expect(resolveDocs(undefined, blocks, { file: 'f', what: 'w' })).toBeUndefined();
  });

  it('an unclosed block and a duplicate name are errors at their file and line', () => {
    const dir = project({
      'models/a.md': 'x\n{% docs a %}one{% enddocs %}\n{% docs b %}\nnever closed\n{% docs c %}c{% enddocs %}\n',
      'models/b.md': '\n\n{% docs a %}two{% enddocs %}',
    });
    const { blocks, errors } = readDocsBlocks(dir);
    expect(errors.map((e) => [e.file, e.line, e.message])).toEqual([
      ['models/a.md', 3, '{% docs b %} is never closed'],
      ['models/b.md', 3, "docs block 'a' is defined twice (also at models/a.md:2)"],
    ]);
    expect([...blocks.keys()]).toEqual(['a', 'c']);
  });

  it('an unknown doc() is an error naming the description, with a suggestion', () => {
    const { blocks } = readDocsBlocks(project({ 'models/a.md': '{% docs songplays_doc %}x{% enddocs %}' }));
    let err: unknown;
    try {
      resolveDocs("{{ doc('songplay_doc') }}", blocks, { file: 'models/star/songplays.sql', what: 'model songplays' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      message: "unknown docs block 'songplay_doc' in the description of model songplays",
      file: 'models/star/songplays.sql',
      hint: "did you mean 'songplays_doc'?",
    });
  });

  it('a project without models/ has no blocks', () => {
    expect(readDocsBlocks(project({})).blocks.size).toBe(0);
  });
});
