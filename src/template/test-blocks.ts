/**
 * Custom generic tests are dbt's `{% test name(model, column_name, ...) %} ... {% endtest %}` blocks.
 * As in dbt, each is a macro named `test_<name>`: the block tags are rewritten in place (same lines
 * and columns), so the macro file compiles with nunjucks and errors keep their positions.
 */
const TEST_OPEN = /\{%(-?)\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;
const TEST_CLOSE = /\{%(-?)\s*endtest\s*(-?)%\}/g;

export function rewriteTestBlocks(text: string): string {
  if (!text.includes('test')) return text;
  return text
    .replace(TEST_OPEN, (_m, dash: string, name: string) => `{%${dash} macro test_${name}(`)
    .replace(TEST_CLOSE, (_m, a: string, b: string) => `{%${a} endmacro ${b}%}`);
}

/** The custom generic tests defined in macro files, by test name (without the test_ prefix). */
export function customTestNames(files: { text: string }[]): string[] {
  const names = new Set<string>();
  for (const f of files) for (const m of f.text.matchAll(TEST_OPEN)) names.add(m[2]!);
  return [...names].sort();
}

const MATERIALIZATION_BLOCK = /\{%-?\s*materialization\s+([A-Za-z_][A-Za-z0-9_]*)[^%]*%\}[\s\S]*?\{%-?\s*endmaterialization\s*-?%\}/g;

/**
 * dbt's custom materializations (`{% materialization name, adapter %} ... {% endmaterialization %}`)
 * are not supported: each block is blanked out in place (line breaks kept, so the file's other
 * macros keep their lines) and returned with its line, for a warning; a model that names it fails
 * at its config() line.
 */
export function removeMaterializationBlocks(text: string): { text: string; blocks: { name: string; line: number }[] } {
  if (!text.includes('materialization')) return { text, blocks: [] };
  const blocks: { name: string; line: number }[] = [];
  const out = text.replace(MATERIALIZATION_BLOCK, (m: string, name: string, offset: number) => {
    blocks.push({ name, line: text.slice(0, offset).split('\n').length });
    return m.replace(/[^\n]/g, ' ');
  });
  return { text: out, blocks };
}
