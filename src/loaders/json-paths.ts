import { LoadError } from '../errors.js';

/** One step of a JSONPaths expression: an object key or an array index. */
export type PathStep = string | number;

/**
 * Parses a Redshift JSONPaths expression: `$['key']`, `$["key"]`, `$.key`, `$['a'][0]`.
 * (AWS docs, "COPY from JSON format": bracket or dot notation, no wildcards or filters.)
 */
export function parseJsonPath(expr: string): PathStep[] | undefined {
  if (!expr.startsWith('$')) return undefined;
  const steps: PathStep[] = [];
  let i = 1;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '.') {
      const m = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(expr.slice(i + 1));
      if (!m) return undefined;
      steps.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === '[') {
      const rest = expr.slice(i);
      const idx = /^\[\s*(\d+)\s*\]/.exec(rest);
      const quoted = /^\[\s*(['"])((?:\\.|(?!\1).)*)\1\s*\]/.exec(rest);
      if (idx) {
        steps.push(Number(idx[1]));
        i += idx[0].length;
      } else if (quoted) {
        steps.push(quoted[2]!.replace(/\\(.)/g, '$1'));
        i += quoted[0].length;
      } else return undefined;
    } else return undefined;
  }
  return steps.length === 0 ? undefined : steps;
}

/** Reads a JSONPaths document ({"jsonpaths": [...]}) and checks it against the column count. */
export function parseJsonPathsFile(text: string, file: string, columnCount: number): PathStep[][] {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new LoadError(`JSONPaths file is not valid JSON: ${(e as Error).message}`, { file });
  }
  const list = (doc as { jsonpaths?: unknown } | null)?.jsonpaths;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) {
    throw new LoadError('JSONPaths file must be an object with a "jsonpaths" array of strings', { file });
  }
  if (list.length !== columnCount) {
    throw new LoadError(`JSONPaths file has ${list.length} paths but the table has ${columnCount} columns`, {
      file,
      hint: 'Redshift maps JSONPaths to columns by position: give exactly one path per column, in column order',
    });
  }
  return list.map((p, i) => {
    const steps = parseJsonPath(p as string);
    if (!steps) {
      const line = text.split('\n').findIndex((l) => l.includes(p as string));
      throw new LoadError(`invalid JSONPath expression ${JSON.stringify(p)} (path ${i + 1})`, {
        file,
        line: line >= 0 ? line + 1 : undefined,
        hint: "use bracket notation $['key'] or dot notation $.key, with optional [n] array indexes",
      });
    }
    return steps;
  });
}
