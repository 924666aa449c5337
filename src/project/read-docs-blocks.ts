import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ProjectError, type SparkifyError } from '../errors.js';
import { didYouMean } from '../suggest.js';

export interface DocsBlock {
  name: string;
  text: string;
  /** path relative to the project dir */
  file: string;
  line: number;
}

const OPEN = /\{%-?\s*docs\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}/g;
const CLOSE = /\{%-?\s*enddocs\s*-?%\}/g;

/**
 * dbt's `{% docs name %}...{% enddocs %}` blocks, from every .md file under the given folders of the
 * project (dbt's docs-paths default: the model, seed, snapshot, macro and test paths).
 */
export function readDocsBlocks(projectDir: string, folders: string[] = ['models']): { blocks: Map<string, DocsBlock>; errors: SparkifyError[] } {
  const blocks = new Map<string, DocsBlock>();
  const errors: SparkifyError[] = [];
  const files: string[] = [];
  for (const folder of [...new Set(folders)]) {
    const root = path.join(projectDir, folder);
    try {
      for (const rel of readdirSync(root, { recursive: true, encoding: 'utf8' }) as string[]) if (rel.endsWith('.md')) files.push(path.posix.join(folder, rel.split(path.sep).join('/')));
    } catch {
      // a folder that does not exist has no docs
    }
  }
  files.sort();
  for (const file of files) {
    const text = readFileSync(path.join(projectDir, file), 'utf8');
    const lineAt = (i: number) => text.slice(0, i).split('\n').length;
    OPEN.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = OPEN.exec(text)) !== null) {
      const name = m[1]!;
      CLOSE.lastIndex = OPEN.lastIndex;
      const end = CLOSE.exec(text);
      const nextOpen = text.slice(OPEN.lastIndex).search(/\{%-?\s*docs\s/);
      if (end === null || (nextOpen >= 0 && OPEN.lastIndex + nextOpen < end.index)) {
        errors.push(new ProjectError(`{% docs ${name} %} is never closed`, { file, line: lineAt(m.index), hint: 'end the block with {% enddocs %}' }));
        continue;
      }
      const prior = blocks.get(name);
      if (prior)
        errors.push(
          new ProjectError(`docs block '${name}' is defined twice (also at ${prior.file}:${prior.line})`, {
            file,
            line: lineAt(m.index),
            hint: 'rename one of them',
          }),
        );
      else blocks.set(name, { name, text: text.slice(OPEN.lastIndex, end.index).trim(), file, line: lineAt(m.index) });
      OPEN.lastIndex = CLOSE.lastIndex;
    }
  }
  return { blocks, errors };
}

const DOC_CALL = /\{\{\s*doc\(\s*(['"])([^'"]*)\1\s*\)\s*\}\}/g;

/** A description with every `{{ doc('name') }}` replaced by that block's text; `where` names the description in an error. */
export function resolveDocs(description: string | undefined, blocks: Map<string, DocsBlock>, where: { file: string; what: string }): string | undefined {
  if (description === undefined) return undefined;
  return description.replace(DOC_CALL, (_all, _q, name: string) => {
    const block = blocks.get(name);
    if (!block) {
      throw new ProjectError(`unknown docs block '${name}' in the description of ${where.what}`, {
        file: where.file,
        hint: didYouMean(name, blocks.keys()) ?? `define it in a .md file under models/: {% docs ${name} %}...{% enddocs %}`,
      });
    }
    return block.text;
  });
}

/**
 * resolveDocs for a description read from a property file: an unknown docs block is an error at the
 * description's own file and line (pushed to `errors`), and the description is kept as written.
 */
export function resolveDescription(
  description: unknown,
  blocks: Map<string, DocsBlock> | undefined,
  where: { file: string; line: number; column?: number | undefined; what: string },
  errors: SparkifyError[],
): string | undefined {
  if (typeof description !== 'string') return undefined;
  if (!blocks) return description;
  try {
    return resolveDocs(description, blocks, where);
  } catch (e) {
    const err = e as ProjectError;
    errors.push(new ProjectError(err.message, { file: where.file, line: where.line, column: where.column, hint: err.hint }));
    return description;
  }
}
