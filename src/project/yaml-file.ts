import { LineCounter, parseDocument, isMap as isYamlMap, isNode, isScalar, type Document } from 'yaml';
import { ProjectError } from '../errors.js';
import type { TemplateFile } from '../template/environment.js';

export interface YamlFile {
  file: string;
  doc: Document;
  value: unknown;
  /** the 1-based line (and column) of the node at a path, or of the closest parent that exists */
  at(path: (string | number)[]): { line: number; column: number };
}

export function parseYamlFile(f: TemplateFile): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(f.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new ProjectError(`invalid YAML: ${e.message.split('\n')[0]}`, {
      file: f.file,
      line: pos.line,
      column: pos.col,
      hint: 'check the indentation and the ":" after each key',
    });
  }
  const at = (p: (string | number)[]) => {
    for (let n = p.length; n >= 0; n--) {
      // point at the key of a map entry when there is one, so errors show the key itself
      const parent = n > 0 ? doc.getIn(p.slice(0, n - 1), true) : undefined;
      const pair = isYamlMap(parent) ? parent.items.find((i) => isScalar(i.key) && i.key.value === p[n - 1]) : undefined;
      const node = isScalar(pair?.key) && pair.key.range ? pair.key : doc.getIn(p.slice(0, n), true);
      if (isNode(node) && node.range) {
        const pos = lineCounter.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return { line: 1, column: 1 };
  };
  return { file: f.file, doc, value: doc.toJS(), at };
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
